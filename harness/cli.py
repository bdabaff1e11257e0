"""Command line: one subcommand per verb. `python -m harness --help` lists them."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__, matrix, paths


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness", description=__doc__.split("\n")[0])
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument("--matrix", type=Path, help="matrix file (default: matrix.toml at the project root)")
    parser.add_argument("--results", type=Path, help="results directory (default: results/)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list the cells of the matrix")
    _selection(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")

    sub.add_parser("check", help="validate the matrix, interpreters and derived files")

    p = sub.add_parser("run", help="build environments and run the worker for cells")
    _selection(p)
    p.add_argument("--recipe", action="append", choices=matrix.RECIPES, help="only these recipes")
    p.add_argument("--replays", type=int, help="fresh processes per recipe (default: the matrix's)")
    p.add_argument("--timeout", type=float, help="seconds per worker process")
    p.add_argument("--rebuild", action="store_true", help="rebuild environments even when current")
    p.add_argument("--envs", type=Path, help="where environments live (default: .envs/)")

    p = sub.add_parser("publish", help="regenerate the published matrix from the records")
    p.add_argument("--out", type=Path, help="output directory (default: the results directory)")
    p.add_argument("--no-readme", action="store_true", help="do not update the README's matrix block")

    p = sub.add_parser("show", help="one cell's definition, environment and values")
    p.add_argument("cell")
    p.add_argument("--recipe", action="append", choices=matrix.RECIPES)

    sub.add_parser("sync", help="regenerate tox.ini and the CI workflow from the matrix")

    from . import analysis_cli
    analysis_cli.add_parsers(sub, _selection)
    return parser


def _selection(p):
    p.add_argument("cells", nargs="*", help="cell names (default: all, or those with --tag)")
    p.add_argument("-t", "--tag", action="append", default=[], help="only cells with this tag (repeat: all of them)")


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command not in COMMANDS:
            return args.func(args)
        return COMMANDS[args.command](args)
    except (matrix.MatrixError, KeyError, FileNotFoundError, ValueError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"harness {args.command}: error: {message}", file=sys.stderr)
        return 2


def _matrix(args):
    return matrix.load(args.matrix)


def _results(args) -> Path:
    return Path(args.results or paths.results_dir())


def cmd_list(args) -> int:
    cells = _matrix(args).select(args.cells, args.tag)
    if args.json:
        print(json.dumps([c.as_dict() for c in cells], indent=1))
        return 0
    for cell in cells:
        print(f"{cell.name:45s} {cell.api:9s} {cell.backend:11s} py{cell.python:5s} {cell.device}  "
              f"[{', '.join(cell.tags)}]")
    return 0


def cmd_check(args) -> int:
    from . import derived
    m = _matrix(args)
    problems = [str(p) for p in matrix.check_interpreters(m)] + derived.stale_files(m)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(m.cells)} cells, {len(problems)} problem(s)")
    return 1 if problems else 0


def cmd_run(args) -> int:
    from . import run
    cells = _matrix(args).select(args.cells, args.tag)
    if not cells:
        print("no cell matches the selection", file=sys.stderr)
        return 2
    envs = Path(args.envs or paths.envs_dir())
    for cell in cells:
        run.run_cell(cell, _results(args), envs, recipes=args.recipe, replays=args.replays,
                     timeout=args.timeout, rebuild=args.rebuild)
    # Exit 0 even when cells failed: a failed install, import or crash is a recorded outcome.
    print(f"ran {len(cells)} cell(s); records in {_results(args)}; `harness publish` renders them")
    return 0


def cmd_publish(args) -> int:
    from . import publish
    written = publish.publish(_results(args), args.out, readme=None if args.no_readme else paths.root() / "README.md")
    for path in written:
        print(f"wrote {path}")
    return 0


def cmd_show(args) -> int:
    from . import evidence
    print(evidence.show_cell(_results(args), args.cell, args.recipe))
    return 0


def cmd_sync(args) -> int:
    from . import derived
    for path in derived.write_all(_matrix(args)):
        print(f"wrote {path}")
    return 0


COMMANDS = {"list": cmd_list, "check": cmd_check, "run": cmd_run, "publish": cmd_publish,
            "show": cmd_show, "sync": cmd_sync}
