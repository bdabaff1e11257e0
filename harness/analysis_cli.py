"""Subcommands of the analysis layer: agree, minimal, stats, diff, bisect.

Each parser sets `func`, a handler taking the parsed args and returning an exit code;
harness.cli.main calls it for commands it does not define itself.
"""
from __future__ import annotations

import sys
from pathlib import Path

from . import matrix, paths, records

RECIPES = ("none", "numpy", "tutorial", "full", "strict")


def add_parsers(sub, selection):
    p = sub.add_parser("agree", help="digits of agreement between cells and their lineages")
    p.add_argument("--recipe", action="append", choices=RECIPES,
                   help="only these recipes (default: the seeded ones)")
    p.add_argument("--scenario", help="only this scenario")
    p.add_argument("--out", type=Path, help="also write agreement.md and agreement.png here")
    p.set_defaults(func=cmd_agree)

    p = sub.add_parser("minimal", help="weakest recipe that is bitwise / 6-digit reproducible per cell")
    p.add_argument("--scenario", help="only this scenario")
    p.set_defaults(func=cmd_minimal)

    p = sub.add_parser("stats", help="statistics of unseeded values; top up to N values per cell")
    selection(p)
    p.add_argument("--n", type=int, default=30, help="unseeded values wanted per cell (default: 30)")
    p.add_argument("--per-process", type=int, default=10, help="repeats per extra worker process")
    p.add_argument("--no-run", action="store_true", help="never run workers; summarize what exists")
    p.add_argument("--envs", type=Path, help="where environments live (default: .envs/)")
    p.add_argument("--out", type=Path, help="also write stats.md and stats.png here")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("diff", help="compare two result directories (exit 1 when something changed)")
    p.add_argument("old", help="old results directory, or git:REF for the results tree at a revision")
    p.add_argument("new", type=Path, help="new results directory")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("bisect", help="first cell of a tagged ladder whose result changed")
    p.add_argument("--tag", required=True, help="the cells with this tag, in version order (natural order of their names)")
    p.add_argument("--recipe", required=True, choices=RECIPES)
    p.add_argument("--scenario", help="scenario (default: the first cell's first scenario)")
    p.add_argument("--by", choices=("fingerprint", "verdict"), default="fingerprint",
                   help="what counts as a change (default: fingerprint)")
    p.add_argument("--envs", type=Path, help="where environments live (default: .envs/)")
    p.set_defaults(func=cmd_bisect)


def _results(args) -> Path:
    return Path(args.results or paths.results_dir())


def cmd_agree(args) -> int:
    from .analysis import agreement, samples
    results = _results(args)
    recipes = args.recipe or ("numpy", "tutorial", "full", "strict")
    found, failures = samples.seeded_samples(results, recipes)
    found = [s for s in found if args.scenario in (None, s.scenario)]
    comparisons = agreement.compare(found)
    for comparison in comparisons:
        print(agreement.markdown(comparison))
        print()
    for failure in failures:
        if args.scenario in (None, failure.scenario):
            print(f"failure: {failure.cell} {failure.scenario} {failure.recipe}: {failure.status} ({failure.record})")
    if not comparisons:
        print("no seeded results to compare")
    if args.out:
        _publish_part(results, args.out, "agreement")
    return 0


def cmd_minimal(args) -> int:
    from .analysis import minimal, render
    frame = minimal.minimal_from_results(_results(args), with_records=True)
    if args.scenario:
        frame = frame[frame["scenario"] == args.scenario]
    if frame.empty:
        print("no results")
        return 0
    print(render.markdown_table(
        ["cell", "scenario", "minimal bitwise", "minimal 6 digits", "bitwise record", "6-digit record"],
        [[r.cell, r.scenario, r.minimal_bitwise, r.minimal_6_digits, render.code(r.bitwise_record),
          render.code(r.six_digits_record)] for r in frame.itertuples()]))
    return 0


def cmd_stats(args) -> int:
    from .analysis import repeats, stats_markdown
    results = _results(args)
    if args.n < 2:
        raise ValueError("--n must be at least 2")
    cells = matrix.load(args.matrix).select(args.cells, args.tag)
    if not args.no_run:
        envs = Path(args.envs or paths.envs_dir())
        ran = {c["cell"]["name"] for c in records.load_all(results, "environment") if c["outcome"]["status"] == "ok"}
        for cell in cells:
            if cell.name not in ran:
                print(f"[{cell.name}] no installed environment on record; `harness run` it first",
                      file=sys.stderr)
                continue
            repeats.top_up(cell, results, envs, args.n, args.per_process)
    chosen = {c.name for c in cells} if (args.cells or args.tag) else None
    text, _ = stats_markdown(results, chosen)
    print(text)
    if args.out:
        _publish_part(results, args.out, "stats")
    return 0


def _publish_part(results: Path, out: Path, part: str):
    """Write one pair of documents exactly as publish_analysis does."""
    from . import analysis
    writer = analysis.write_agreement if part == "agreement" else analysis.write_stats
    for path in writer(results, out):
        print(f"wrote {path}", file=sys.stderr)


def cmd_diff(args) -> int:
    """Exit 0: nothing changed; 1: something changed (CI can fail or comment); 2: error."""
    from .analysis import diff
    try:
        text, status = diff.run_diff(args.old, args.new, _results(args))
    except (diff.DiffError, OSError) as exc:
        print(f"harness diff: error: {exc}", file=sys.stderr)
        return 2
    print(text, end="")
    return status


def cmd_bisect(args) -> int:
    from .analysis import bisect
    cells = matrix.version_order(matrix.load(args.matrix).select(tags=[args.tag]))
    if not cells:
        print(f"no cell carries tag {args.tag!r}", file=sys.stderr)
        return 2
    scenario = args.scenario or cells[0].scenarios[0]
    envs = Path(args.envs or paths.envs_dir())
    result, prober = bisect.bisect_cells(cells, args.recipe, scenario, _results(args), envs, by=args.by,
                                         echo=lambda text: print(text, file=sys.stderr))
    print(bisect.report(cells, result, prober, args.tag))
    return 0
