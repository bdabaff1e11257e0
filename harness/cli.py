"""Command line: one parser, one command table. `python -m harness --help` lists the verbs."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import __version__, inputs, matrix, paths
from .store import records


class CommandError(ValueError):
    """A user-facing error: printed as one line, exit status 2."""


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    if value > matrix.MAX_COUNT:
        raise argparse.ArgumentTypeError(f"{text[:40]} is more than the {matrix.MAX_COUNT} allowed")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text[:40]} must be a positive, finite number of seconds")
    if value > matrix.MAX_TIMEOUT:
        raise argparse.ArgumentTypeError(f"{text[:40]} is more than the {matrix.MAX_TIMEOUT} seconds allowed")
    return value


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------
def _selection(p):
    p.add_argument("cells", nargs="*", help="cell names (default: all, or those with --tag)")
    p.add_argument("-t", "--tag", action="append", default=[],
                   help="only cells with this tag (repeat: all of them)")


def _matrix(args):
    return matrix.load(args.matrix)


def _results(args) -> Path:
    return Path(args.results or paths.results_dir())


def _envs(args) -> Path:
    return Path(getattr(args, "envs", None) or paths.envs_dir())


def _load(args, must_exist=True):
    """The result set of --results (refusing a missing directory), and its outcomes."""
    from .derive import outcomes
    from .store.resultset import ResultSet
    results = _results(args)
    if must_exist and not results.is_dir():
        raise CommandError(f"{results}: no such results directory (check --results / HARNESS_RESULTS)")
    rs = ResultSet.load(results)
    for problem in rs.problems:
        print(f"warning: skipped {problem}", file=sys.stderr)
    current = inputs.scenario_inputs(sorted({record.scenario for record in rs.recipes.values()}))
    return rs, outcomes.outcomes(rs, current, _locks())


def _locks() -> dict:
    """{cell: the version of each package its lock installs}, for the closure mark."""
    from .provision import lockfiles
    found, problems = lockfiles.read_all(paths.locks_dir())
    for problem in problems:
        print(f"warning: skipped {problem}", file=sys.stderr)
    return {name: lock.installed() for name, lock in found.items()}


# --------------------------------------------------------------------------------------------
# Commands: each has a parser configurator and a handler, registered once in COMMANDS
# --------------------------------------------------------------------------------------------
def p_list(p):
    _selection(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")


def cmd_list(args) -> int:
    cells = _matrix(args).select(args.cells, args.tag)
    if args.json:
        print(json.dumps([c.as_dict() for c in cells], indent=1))
        return 0
    for cell in cells:
        print(f"{cell.name:45s} {cell.api:9s} {cell.backend:11s} py{cell.python:5s} {cell.device}  "
              f"[{', '.join(cell.tags)}]")
    return 0


def p_check(p):
    p.add_argument("--records", nargs="+", type=Path, metavar="DIR",
                   help="instead: check a run's results directories (CI shard artifacts); exit 1 "
                        "when no cell was built or every cell failed to install (a broken harness "
                        "set-up, not a finding)")


def cmd_check(args) -> int:
    from . import generated
    from .provision import interpreters
    if args.records:
        return _check_records(args.records)
    from .ops import lock
    m = _matrix(args)
    problems = [str(p) for p in interpreters.check(m)] + generated.stale_files(m)
    problems += [str(p) for cell in m.cells for p in lock.problems(cell, paths.locks_dir())]
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(m.cells)} cells, {len(problems)} problem(s)")
    return 1 if problems else 0


def _check_records(folders) -> int:
    """Exit 1 when the run's records show a broken harness rather than findings."""
    from .store.resultset import ResultSet
    builds = []
    for folder in folders:
        if not Path(folder).is_dir():
            raise CommandError(f"{folder}: no such results directory")
        rs = ResultSet.load(folder)
        for problem in rs.problems:
            print(f"warning: skipped {problem}", file=sys.stderr)
        builds += list(rs.environments.values())
    failed = [env for env in builds if not env.ok]
    if not builds:
        print(f"harness failure: no cell environment was built in {len(folders)} results "
              "director(ies)", file=sys.stderr)
        return 1
    if len(failed) == len(builds):
        first = (failed[0].outcome.get("error") or "").strip().splitlines()
        print(f"harness failure: every cell ({len(builds)}) failed to install, so the set-up is "
              f"broken, not the cells; first error ({failed[0].cell.get('name')}): "
              f"{first[-1] if first else 'none recorded'}", file=sys.stderr)
        return 1
    print(f"{len(builds)} cell build(s), {len(failed)} failed to install: the harness worked")
    return 0


def p_lock(p):
    _selection(p)
    p.add_argument("--write", action="store_true",
                   help="write the missing and outdated locks from closures already known (an "
                        "environment built here, else a record of the same definition); resolve "
                        "only cells nothing is known of")
    p.add_argument("--refresh", action="store_true",
                   help="resolve the selected cells' closures anew from today's index and rewrite "
                        "their locks")
    p.add_argument("--envs", type=Path, help="where environments live (default: .envs/)")


def cmd_lock(args) -> int:
    """Without --write or --refresh: report missing and outdated locks (exit 1 when any)."""
    from .ops import lock
    cells = [c for c in _matrix(args).select(args.cells, args.tag) if lock.lockable(c)]
    if not cells:
        raise CommandError("no cell with a lock matches the selection (existing-interpreter cells have none)")
    locks, left = paths.locks_dir(), 0
    machine = lock.this_machine() if (args.write or args.refresh) else None
    command = "harness lock " + ("--refresh" if args.refresh else "--write")
    for cell in cells:
        problems = lock.problems(cell, locks)
        if not (args.refresh or (args.write and problems)):
            print(f"{cell.name}: " + ("ok" if not problems else
                                      "; ".join(f"{p.where}: {p.text}" for p in problems)))
            left += bool(problems)
            continue
        try:
            found = None if args.refresh else lock.known(cell, _envs(args), _results(args), machine)
            found = found or lock.resolve(cell, echo=print)
        except lock.ResolveError as exc:
            print(f"{cell.name}: not written: {exc}", file=sys.stderr)
            left += 1
            continue
        path = lock.write(cell, locks, found, command)
        print(f"{cell.name}: wrote {path} ({len(found.packages)} packages, from {found.source})")
    print(f"{len(cells)} cell(s), {left} without a current lock"
          + ("; `harness lock --write` writes them" if left and not (args.write or args.refresh) else ""))
    return 1 if left else 0


def p_run(p):
    _selection(p)
    p.add_argument("--recipe", action="append", choices=matrix.RECIPES, help="only these recipes")
    p.add_argument("--replays", type=positive_int, help="fresh processes per recipe (default: the matrix's)")
    p.add_argument("--timeout", type=positive_float, help="seconds per worker process")
    p.add_argument("--rebuild", action="store_true",
                   help="rebuild environments even when current (and rerun their recipes)")
    p.add_argument("--force", action="store_true", help="rerun recipes whose records are current")
    p.add_argument("-j", "--jobs", type=positive_int, default=None,
                   help="replays and builds side by side (default: $HARNESS_JOBS, else the CPUs, at most 4)")
    p.add_argument("--progress", choices=("auto", "live", "plain"), default="auto",
                   help="live display on a terminal (auto), or plain lines")
    p.add_argument("--envs", type=Path, help="where environments live (default: .envs/)")
    p.add_argument("--shard", metavar="I/N",
                   help="run part I of N of the selection (deterministic, balanced by earlier timings)")
    p.add_argument("--timings", type=Path, metavar="DIR",
                   help="records whose timings balance --shard (default: the results directory)")
    p.add_argument("--scenario", action="append", metavar="NAME|FILE.py",
                   help="run these scenarios instead of the cells' own: a built-in name "
                        "(scenarios/NAME.py), `all` built-in ones, or your own file (repeatable)")
    p.add_argument("--python", type=Path, metavar="PATH",
                   help="run the cells in this interpreter, which already holds their stack "
                        "(a CUDA container, a conda env, a cluster module): nothing is built but a "
                        "layered environment; records go to CELL-existing")
    p.add_argument("--find-links", type=Path, metavar="DIR",
                   help="with --python: a local wheel folder for --add (no index is used)")
    p.add_argument("--add", action="append", default=[], metavar="REQ",
                   help="with --python: a package the interpreter lacks (repeatable)")


def cmd_run(args) -> int:
    from .ops import run
    from .report import progress
    cells = _matrix(args).select(args.cells, args.tag)
    if not cells:
        raise CommandError("no cell matches the selection")
    if args.python:
        cells = _existing(args, cells)
    elif args.find_links or args.add:
        raise CommandError("--find-links and --add go with --python")
    if args.shard:
        cells = _shard(args, cells)
        if not cells:
            print(f"shard {args.shard}: no cell falls in this part; nothing to run")
            return 0
    results = _results(args)
    _check_writable(results)
    display = progress.choose(sys.stdout, {"auto": None, "live": True, "plain": False}[args.progress])
    try:
        groups = run.scenario_groups(args.scenario) if args.scenario else [(None, None)]
    except (ValueError, FileNotFoundError) as exc:
        raise CommandError(str(exc)) from None
    for folder, names in groups:
        options = run.Options(recipes=tuple(args.recipe) if args.recipe else None, replays=args.replays,
                              timeout=args.timeout, scenarios_dir=folder, scenarios=names,
                              rebuild=args.rebuild,
                              force=args.force, jobs=args.jobs or run.default_jobs())
        summary = run.run_cells(cells, results, _envs(args), options, display)
        for line in progress.summary_lines(summary):
            print(line)
    # Exit 0 even when cells failed: a failed install, import or crash is a recorded outcome.
    print(f"records in {results}; `harness publish` renders them")
    return 0


def _shard(args, cells) -> list:
    """Part I of N of the selected cells, balanced by the timings of earlier records."""
    from .derive import shard
    from .store.resultset import ResultSet
    source = args.timings or _results(args)
    known = shard.timings(ResultSet.load(source)) if Path(source).is_dir() else shard.Timings({}, {})
    try:
        chosen = shard.select(cells, args.shard, known, args.recipe, args.replays)
    except shard.ShardError as exc:
        raise CommandError(str(exc)) from None
    print(f"shard {args.shard}: {len(chosen)} of {len(cells)} cell(s): "
          + (" ".join(c.name for c in chosen) or "none"))
    return chosen


def _existing(args, cells) -> list:
    """The selected cells moved onto an existing interpreter (matrix.existing_variant)."""
    from .provision import interpreters
    python = interpreters.version_of(args.python.expanduser())
    if python is None:
        raise CommandError(f"--python {args.python}: not an interpreter that runs (run with -c, it "
                           f"printed no Python version); nothing was built")
    if args.find_links and not args.find_links.is_dir():
        raise CommandError(f"--find-links {args.find_links}: not a directory")
    for requirement in args.add:
        try:
            matrix.Requirement(requirement)
        except matrix.InvalidRequirement as exc:
            raise CommandError(f"--add {requirement!r}: {exc}") from None
    return [matrix.existing_variant(c, args.python.expanduser().absolute(), python,
                                    args.find_links.absolute() if args.find_links else "", args.add)
            for c in cells]


def _check_writable(results: Path):
    """Refuse before any environment is built when the results cannot be written."""
    probe = results
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise CommandError(f"{results}: results directory cannot be created ({probe} is not a directory)")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise CommandError(f"{results}: results directory is not writable ({probe})")


def p_publish(p):
    p.add_argument("--out", type=Path, help="output directory (default: the results directory)")
    p.add_argument("--no-readme", action="store_true", help="do not update the README's matrix block")
    p.add_argument("--list", action="store_true", help="also name every file written")


def cmd_publish(args) -> int:
    from .report import progress, publish, site
    from .store import gitref
    rs, found = _load(args)
    readme = None if args.no_readme else paths.root() / "README.md"
    out = args.out or _results(args)
    before = progress.snapshot(out)
    if readme is not None and readme.is_file():
        before[readme] = _sha(readme)
    try:
        written = publish.publish(rs, found, out, readme=readme,
                                  commit=gitref.records_commit(_results(args)))
    except publish.PublishError as exc:
        raise CommandError(str(exc)) from None
    rows, _, main = site.grid_stacks(found, site.builtin_scenarios(), rs.machine_infos())
    shown = [s for s in rows if s.scenario == main]
    for line in progress.publish_lines(
            site.answer_sentences(shown), main, len(shown), len({o.machine for o in found}),
            len({o.cell_name for o in found if o.cell.get("device") == "gpu"}), written,
            progress.changed_files(before, written), out, _committed_diff(args, found)):
        print(line)
    if args.list:
        for path in written:
            print(f"wrote {path}")
    return 1 if rs.problems else 0


def _sha(path: Path) -> str:
    import hashlib
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _committed_diff(args, found):
    """The diff of the outcomes against the records at git HEAD, or None outside git."""
    import tempfile
    from .derive import diff, outcomes
    from .store import gitref
    from .store.resultset import ResultSet
    with tempfile.TemporaryDirectory(prefix="harness-publish-") as tmp:
        try:
            old = gitref.git_tree("git:HEAD", _results(args), Path(tmp))
        except (gitref.GitError, OSError):
            return None
        return diff.compare(outcomes.outcomes(ResultSet.load(old)), found, "git:HEAD", str(_results(args)))


def p_show(p):
    p.add_argument("cell")
    p.add_argument("--recipe", action="append", choices=matrix.RECIPES)
    p.add_argument("--machine", help="only this machine (an id or its first characters)")


def cmd_show(args) -> int:
    from .report import evidence
    rs, found = _load(args)
    closures = {o.machine: o.closure for o in found if o.cell_name == args.cell and o.closure}
    print(evidence.show_cell(rs, args.cell, args.recipe, args.machine, closures))
    return 0


def p_sync(p):
    pass


def cmd_sync(args) -> int:
    from . import generated
    for path in generated.write_all(_matrix(args)):
        print(f"wrote {path}")
    return 0


def p_merge(p):
    p.add_argument("sources", nargs="+", type=Path,
                   help="results directories to bring in (another machine's results/, CI artifacts)")


def cmd_merge(args) -> int:
    from .ops import merge
    results = _results(args)
    _check_writable(results)
    try:
        report = merge.merge(args.sources, results)
    except merge.MergeError as exc:
        raise CommandError(str(exc)) from None
    for line in report.lines():
        print(line)
    return 0


def p_agree(p):
    p.add_argument("--recipe", action="append", choices=matrix.RECIPES,
                   help="only these recipes (default: the seeded ones)")
    p.add_argument("--scenario", help="only this scenario")
    p.add_argument("--machine", help="only this machine (an id or its first characters)")


def cmd_agree(args) -> int:
    from .derive import agreement, samples
    from .report import agreement as agreement_report
    _, found = _load(args)
    found = [o for o in found if args.scenario in (None, o.scenario)
             and (not args.machine or o.machine.startswith(args.machine))]
    seeded, failures = samples.seeded_samples(found, args.recipe or matrix.SEEDED)
    comparisons = agreement.compare(seeded)
    for comparison in comparisons:
        print(agreement_report.markdown(comparison) + "\n")
    for failure in failures:
        print(f"failure: {failure.machine} {failure.cell} {failure.scenario} {failure.recipe}: "
              f"{failure.status} ({failure.record})")
    if not comparisons:
        print("no seeded results to compare")
    return 0


def p_minimal(p):
    p.add_argument("--scenario", help="only this scenario")


def cmd_minimal(args) -> int:
    from .derive.minimal import minimal_recipes
    from .report import render
    _, found = _load(args)
    answers = [m for m in minimal_recipes(found) if args.scenario in (None, m.scenario)]
    if not answers:
        print("no results")
        return 0
    print(render.markdown_table(
        ["machine", "cell", "scenario", "minimal bitwise", "minimal 6 digits", "bitwise record",
         "6-digit record"],
        [[render.code(m.machine), m.cell, m.scenario, m.bitwise_text(), m.six_digits_text(),
          render.code(m.bitwise_record), render.code(m.six_digits_record)] for m in answers]))
    broken = sum(not m.monotone for m in answers)
    if broken:
        print(f"\n{broken} of {len(answers)} ladder(s) not monotone: a weaker recipe is bitwise where a "
              "stronger one is not; the answer is the weakest recipe from which every stronger one is bitwise")
    return 0


def p_stats(p):
    _selection(p)
    p.add_argument("--n", type=positive_int, default=30, help="unseeded values wanted per cell (default: 30)")
    p.add_argument("--per-process", type=positive_int, default=10, help="repeats per extra worker process")
    p.add_argument("--no-run", action="store_true", help="never run workers; summarize what exists")
    p.add_argument("--envs", type=Path, help="where environments live (default: .envs/)")
    p.add_argument("--margin", type=positive_float, default=None,
                   help="equivalence margin in pooled standard deviations (default: 0.5)")


def cmd_stats(args) -> int:
    from .ops import repeats
    from .report import publish
    if args.n < 2:
        raise CommandError("--n must be at least 2")
    cells = _matrix(args).select(args.cells, args.tag)
    if not args.no_run:
        repeats.top_up_cells(cells, _results(args), _envs(args), args.n, args.per_process,
                             warn=lambda text: print(text, file=sys.stderr))
    rs, found = _load(args)
    chosen = {c.name for c in cells} if (args.cells or args.tag) else None
    text, _ = publish.stats_markdown(rs, found, chosen, args.margin)
    print(text)
    return 0


def p_diff(p):
    p.add_argument("old", help="old results directory, or git:REF for the records at a revision")
    p.add_argument("new", type=Path, help="new results directory")
    p.add_argument("--fail-on", choices=("change", "bitwise-lost"), default="change",
                   help="what exits 1: any change (default), or only a row bitwise in OLD that "
                        "is not bitwise in NEW (pull-request checks)")


def cmd_diff(args) -> int:
    """Exit 0: nothing changed; 1: something changed (CI can fail or comment); 2: error."""
    import tempfile
    from .derive import diff, outcomes
    from .report import diff as diff_report
    from .store import gitref
    from .store.resultset import ResultSet
    with tempfile.TemporaryDirectory(prefix="harness-diff-") as tmp:
        try:
            old = (gitref.git_tree(args.old, _results(args), Path(tmp))
                   if args.old.startswith(gitref.GIT_PREFIX) else Path(args.old))
        except gitref.GitError as exc:
            raise CommandError(str(exc)) from None
        sides = []
        for folder in (old, args.new):
            if not Path(folder).is_dir():
                raise CommandError(f"{folder}: no such results directory")
            rs = ResultSet.load(folder)
            for problem in rs.problems:
                print(f"warning: skipped {problem}", file=sys.stderr)
            sides.append(outcomes.outcomes(rs))
        report = diff.compare(sides[0], sides[1], args.old, str(args.new))
    print(diff_report.markdown(report), end="")
    if args.fail_on == "bitwise-lost":
        return 1 if report.bitwise_lost else 0
    return 1 if report.changed else 0


def p_bisect(p):
    p.add_argument("--tag", required=True, help="the cells with this tag, in version order")
    p.add_argument("--recipe", required=True, choices=matrix.RECIPES)
    p.add_argument("--scenario", help="scenario (default: the first cell's first scenario)")
    p.add_argument("--by", choices=("fingerprint", "verdict"), default="fingerprint",
                   help="what counts as a change (default: fingerprint)")
    p.add_argument("--envs", type=Path, help="where environments live (default: .envs/)")


def cmd_bisect(args) -> int:
    from .ops import bisect
    from .report import bisect as bisect_report
    cells = matrix.version_order(_matrix(args).select(tags=[args.tag]))
    if not cells:
        raise CommandError(f"no cell carries tag {args.tag!r}")
    scenario = args.scenario or cells[0].scenarios[0]
    result, prober = bisect.bisect_cells(cells, args.recipe, scenario, _results(args), _envs(args),
                                         by=args.by, echo=lambda text: print(text, file=sys.stderr))
    print(bisect_report.report(cells, result, prober, args.tag))
    return 0


def p_identify(p):
    p.add_argument("numbers", nargs="*",
                   help="the values (or text containing them); default: --file or stdin. Put `--` "
                        "before them when the first starts with a minus sign (`-- -inf 0.5`)")
    p.add_argument("--file", type=Path, help="a file with the numbers (a log, a table, a paper's text)")
    p.add_argument("--top", type=positive_int, default=10, help="matches shown (default: 10)")


def cmd_identify(args) -> int:
    """Exit 0 when some record gives the same numbers or lineage, 1 when none does."""
    from .derive import identify
    from .report import identify as identify_report
    if args.numbers:
        text, binary = identify.text_of(" ".join(args.numbers).encode("utf-8", errors="replace"))
    elif args.file:
        try:
            text, binary = identify.text_of(args.file.read_bytes())
        except OSError as exc:
            raise CommandError(f"{args.file}: cannot read ({exc.strerror})") from None
    else:
        text, binary = identify.text_of(sys.stdin.buffer.read())
    printed = identify.parse(text)
    rs, found = _load(args)
    try:
        matches = identify.identify(printed, found)
    except identify.IdentifyError as exc:
        raise CommandError(str(exc) + (" (binary input: only its printable runs were read)" if binary else "")) from None
    labels = {m: rs.machine_label(m) for m in rs.machine_ids()}
    print(identify_report.report(printed, matches, args.top, labels, binary, rs.machine_infos()))
    return 0 if identify.found_them(matches) else 1


def p_ablate(p):
    _selection(p)
    p.add_argument("--scenario", action="append", default=None, metavar="NAME",
                   help="scenarios to ablate (default: the cells' own; repeatable)")
    p.add_argument("--processes", type=positive_int, default=None,
                   help="fresh processes per ablation (default: the stack's verdict minimum)")
    p.add_argument("--no-run", action="store_true", help="never run workers; show what is recorded")
    p.add_argument("--envs", type=Path, help="where environments live (default: .envs/)")


def cmd_ablate(args) -> int:
    """Leave each call of the weakest bitwise recipe out in turn; print which calls are needed."""
    from .ops import ablate
    from .report import ablation as ablation_report
    cells = _matrix(args).select(args.cells, args.tag)
    if args.processes is not None and args.processes > 1000:
        raise CommandError("--processes: at most 1000")
    if not args.no_run:
        for cell in cells:
            ablate.ablate(cell, _results(args), _envs(args), args.scenario, args.processes)
    rs, found = _load(args)
    chosen = {c.name for c in cells}
    rows = [r for r in ablation_report.rows_from(rs, found) if r[1] in chosen
            and (not args.scenario or r[2] in args.scenario)]
    print(ablation_report.markdown(rows))
    return 0


def p_machine(p):
    p.add_argument("-t", "--tag", action="append", default=None,
                   help="stacks of these tags (default: default)")
    p.add_argument("--json", action="store_true", help="print the facts as JSON")


def cmd_machine(args) -> int:
    """This machine's id, its class and the facts that decide its numerical code paths."""
    from .derive import classes
    from .report import classes as classes_report
    from .store import machines, machine_facts, resultset
    info = machine_facts.complete_info(machines.machine_info())
    machine_id = machine_facts.machine_id(info)
    if args.json:
        print(json.dumps({"machine": machine_id, "class": classes.machine_class(info),
                          "facts": classes.facts(info)}, indent=1, sort_keys=True))
        return 0
    tags = args.tag or ["default"]
    cells = [c.as_dict() for c in matrix.load(args.matrix).cells if set(tags) <= set(c.tags)]
    known = resultset.ResultSet.load(_results(args)).machine_infos()
    print(classes_report.machine_report(machine_id, info, cells, known))
    return 0


def p_releases(p):
    p.add_argument("--index-url", metavar="URL",
                   help="simple index to ask (PEP 691 JSON; default: $PIP_INDEX_URL, else PyPI)")
    p.add_argument("--timeout", type=positive_float, default=30.0,
                   help="seconds to wait for each answer of the index (default 30)")
    p.add_argument("--write", action="store_true",
                   help="add the new cells to the matrix file (ladder versions or [[cell]] tables), "
                        "then regenerate the generated files")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def cmd_releases(args) -> int:
    """Exit 0: the matrix has every release; 1: new releases found (written with --write); 2: error."""
    from . import generated
    from .ops import releases
    from .provision import index
    path = Path(args.matrix or matrix.default_path())
    try:
        asked, found, missing = releases.find(path, args.index_url, args.timeout)
    except index.IndexUnreachable as exc:
        raise CommandError(str(exc)) from None
    for name in missing:
        print(f"warning: {asked} has no project {name} (HTTP 404); its releases are not compared",
              file=sys.stderr)
    synced, note = [], ""
    if args.write and found:
        try:
            edited = releases.write(path, found)
        except releases.WriteRefused as exc:
            raise CommandError(str(exc)) from None
        if path.resolve() == (paths.root() / "matrix.toml").resolve():
            synced = [str(p) for p in generated.write_all(edited)]
        else:
            note = f"{path} is not this project's matrix; run `harness sync` where it is"
    if args.json:
        print(json.dumps({"index": asked, "missing": missing, "new": [p.as_dict() for p in found],
                          "written": bool(args.write and found), "synced": synced,
                          "note": note}, indent=1))
        return 1 if found else 0
    if not found:
        print(f"{asked}: the matrix has every release it follows")
        return 0
    print(f"{asked}: {len(found)} new cell(s)")
    for p in found:
        where = f"ladder {p.ladder} + {p.version}" + (" (override)" if p.override else "") \
            if p.ladder else "new [[cell]]"
        print(f"  {p.name:45s} python {p.python:5s} {' '.join(p.requirements)}")
        print(f"      {p.reason}; {where}")
    if args.write:
        print(f"wrote {path}")
        for written in synced:
            print(f"wrote {written}")
        print(note or "generated files regenerated (harness sync)")
    else:
        print("add them with `harness releases --write`")
    return 1


COMMANDS = {
    "list": (p_list, cmd_list, "list the cells of the matrix"),
    "check": (p_check, cmd_check, "validate the matrix, interpreters and generated files"),
    "run": (p_run, cmd_run, "build environments and run the worker for cells"),
    "lock": (p_lock, cmd_lock, "each cell's lock of its full closure: report, --write, --refresh"),
    "publish": (p_publish, cmd_publish, "regenerate the published matrix from the records"),
    "show": (p_show, cmd_show, "one cell's definition, environment and values, per machine"),
    "sync": (p_sync, cmd_sync, "regenerate tox.ini and the CI workflow from the matrix"),
    "merge": (p_merge, cmd_merge, "bring other machines' or CI artifacts' records into the results"),
    "agree": (p_agree, cmd_agree, "digits of agreement between cells and their lineages"),
    "minimal": (p_minimal, cmd_minimal, "weakest bitwise / 6-digit recipe per cell and machine"),
    "stats": (p_stats, cmd_stats, "statistics of unseeded values; top up to N values per cell"),
    "diff": (p_diff, cmd_diff, "compare two result sets (exit 1 when something changed)"),
    "bisect": (p_bisect, cmd_bisect, "first cell of a tagged ladder whose result changed"),
    "identify": (p_identify, cmd_identify, "which recorded stack, recipe and machine produced these numbers"),
    "ablate": (p_ablate, cmd_ablate, "leave each call of a bitwise recipe out in turn: which calls are needed"),
    "machine": (p_machine, cmd_machine, "this machine's id, class and the facts behind its code paths"),
    "releases": (p_releases, cmd_releases, "releases on the package index that the matrix lacks "
                                           "(exit 1 when there are; --write adds them)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument("--matrix", type=Path, help="matrix file (default: matrix.toml at the project root)")
    parser.add_argument("--results", type=Path, help="results directory (default: results/)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (configure, _, help_text) in COMMANDS.items():
        configure(sub.add_parser(name, help=help_text))
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command][1](args)
    except KeyboardInterrupt:
        print(f"harness {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `harness show ... | head`: the reader went away; not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (CommandError, matrix.MatrixError, records.RecordError, KeyError, FileNotFoundError,
            ValueError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"harness {args.command}: error: {message}", file=sys.stderr)
        return 2
