"""What the adaptive replay rule costs against fixed replay counts, read off real records.

    python benchmarks/adaptive_cost.py [--results results] [--machine ID] [-t TAG]

For every recipe record of the machine (schema-3 workers: those made under the adaptive rule), it
counts the worker processes that ran and their wall seconds, and sets them beside what a fixed
rule would have run for the same verdicts: the stack's minimum on every recipe (5, or 10 on
Keras 2 on TensorFlow), and the old fixed 3. A recipe that was stopped early would, under a fixed
rule, have run its remaining processes at its median seconds per process.
Prints the figures; nothing is written.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import matrix  # noqa: E402
from harness.derive import verdicts  # noqa: E402
from harness.store import machines  # noqa: E402
from harness.store.resultset import ResultSet  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--machine", default=None, help="machine id (default: this machine)")
    parser.add_argument("-t", "--tag", default="default")
    args = parser.parse_args(argv)
    machine = args.machine or machines.this_machine()
    names = {c.name for c in matrix.load().cells if args.tag in c.tags}
    rs = ResultSet.load(args.results)
    ran = fixed = old = 0
    seconds = fixed_seconds = old_seconds = 0.0
    records = 0
    for (m, cell, _, recipe), record in rs.recipes.items():
        if m != machine or cell not in names or not record.replays:
            continue
        if not all(r.get("worker_schema", 0) >= 3 for r in record.replays):
            continue
        records += 1
        walls = [r.get("wall_seconds") or 0.0 for r in record.replays]
        median = statistics.median(walls)
        minimum = verdicts.minimum_processes(record.cell.get("api"), record.cell.get("backend"))
        ran += len(walls)
        seconds += sum(walls)
        fixed += max(minimum, len(walls))
        fixed_seconds += sum(walls) + max(0, minimum - len(walls)) * median
        old += 3
        old_seconds += median * 3
    if not records:
        print(f"no schema-3 records of tag {args.tag!r} on {machine} in {args.results}")
        return 1
    print(f"machine {machine}, tag {args.tag}: {records} recipe records")
    print(f"adaptive rule:         {ran:5d} processes, {seconds / 60:6.1f} min of worker wall time")
    print(f"fixed at the minimum:  {fixed:5d} processes, {fixed_seconds / 60:6.1f} min "
          f"(adaptive/fixed: {ran / fixed:.2f}x processes, {seconds / fixed_seconds:.2f}x time)")
    print(f"old fixed 3:           {old:5d} processes, {old_seconds / 60:6.1f} min "
          f"(adaptive/old: {ran / old:.2f}x processes, {seconds / old_seconds:.2f}x time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
