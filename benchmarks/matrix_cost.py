"""What the full matrix costs on one machine, read off the committed records.

    python benchmarks/matrix_cost.py [--results results] [--machine ID] [-t TAG] [--cells]

Per cell of the matrix: the worker processes its replay records hold on the machine and their
wall seconds (`wall_seconds` of every replay, all scenarios; stats top-ups and ablations are not
the matrix and are left out), and the seconds its environment took to build (environment.json's
`install_seconds`). A cell without records on the machine is estimated the way `harness run`
plans (ops/plan.py `estimate`: every missing process at its recipe's earlier pace, else
FALLBACK_SECONDS, and ops/run.py's BUILD_SECONDS per environment); where another machine has
measured it, its figure is printed beside the estimate. Totals by era (the Keras API
generation) and by tag. Prints the figures; nothing is written.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import matrix  # noqa: E402
from harness.ops import plan  # noqa: E402
from harness.ops.run import BUILD_SECONDS  # noqa: E402
from harness.store import machines  # noqa: E402
from harness.store.resultset import ResultSet  # noqa: E402


def measured(rs, machine: str, cell: str) -> tuple | None:
    """(processes, worker seconds, install seconds) of a cell's records on a machine, or None."""
    replays = [r for key, record in rs.recipes.items() if key[:2] == (machine, cell)
               for r in record.replays]
    env = rs.environments.get((machine, cell))
    if not replays and env is None:
        return None
    seconds = sum(r.get("wall_seconds") or 0.0 for r in replays)
    install = (env.outcome.get("install_seconds") or 0.0) if env else 0.0
    return len(replays), seconds, install


def other_machines(rs, machine: str, cell: str) -> tuple | None:
    """The first other machine (by id) that measured the cell, and its figures."""
    for other in rs.machine_ids():
        if other != machine:
            found = measured(rs, other, cell)
            if found:
                return (other,) + found
    return None


def _paced(row) -> float:
    """An estimated cell's seconds at the pace another machine measured (per process and build),
    else the fallback's."""
    _, _, processes, seconds, install, other = row
    if not other or not other[1]:
        return seconds + install
    return processes * other[2] / other[1] + other[3]


def minutes(seconds: float) -> str:
    return f"{seconds / 60:7.1f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--machine", default=None, help="machine id (default: this machine)")
    parser.add_argument("-t", "--tag", action="append", default=[], help="only cells with this tag")
    parser.add_argument("--cells", action="store_true", help="also print one line per cell")
    args = parser.parse_args(argv)
    machine = args.machine or machines.this_machine()
    cells = matrix.load().select(tags=args.tag)
    rs = ResultSet.load(args.results)
    rows = []
    for cell in cells:
        found = measured(rs, machine, cell.name)
        if found:
            rows.append((cell, "measured", *found, None))
        else:
            processes, seconds = plan.estimate([cell], args.results, machine)
            rows.append((cell, "estimate", processes, seconds, BUILD_SECONDS,
                         other_machines(rs, machine, cell.name)))
    if args.cells:
        print(f"{'cell':50s} {'how':8s} {'procs':>5s} {'run min':>7s} {'build min':>9s}  elsewhere")
        for cell, how, processes, seconds, install, other in rows:
            elsewhere = (f"{other[0]}: {other[1]} procs, {other[2] / 60:.1f} + {other[3] / 60:.1f} min"
                         if other else "")
            print(f"{cell.name:50s} {how:8s} {processes:5d} {minutes(seconds)} {minutes(install):>9s}  {elsewhere}")
        print()
    print(f"machine {machine}: {len(cells)} cells, {sum(r[1] == 'measured' for r in rows)} with records here; "
          f"the others estimated at {plan.FALLBACK_SECONDS:.0f} s a process and {BUILD_SECONDS / 60:.0f} min a "
          "build (the plan's fallback), or at the pace another machine measured them")
    groups = [("all", rows)]
    groups += [(f"era {era}", [r for r in rows if matrix.API_ERA[r[0].api] == era])
               for era in dict.fromkeys(matrix.API_ERA.values())]
    groups += [(f"tag {tag}", [r for r in rows if tag in r[0].tags])
               for tag in ("default", "codepath", "gpu-latest")]
    print(f"{'':16s} {'cells':>5s} {'here':>5s} {'processes':>9s} {'min here':>9s} "
          f"{'total min at fallback':>21s} {'at other pace':>13s}")
    for label, members in groups:
        if not members:
            continue
        mine = [r for r in members if r[1] == "measured"]
        est = [r for r in members if r[1] == "estimate"]
        here = sum(r[3] + r[4] for r in mine)
        fallback = here + sum(r[3] + r[4] for r in est)
        paced = here + sum(_paced(r) for r in est)
        print(f"{label:16s} {len(members):5d} {len(mine):5d} {sum(r[2] for r in members):9d} "
              f"{minutes(here):>9s} {minutes(fallback):>21s} {minutes(paced):>13s}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
