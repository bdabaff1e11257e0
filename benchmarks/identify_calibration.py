"""How often `harness identify` says "same numbers" / "same lineage" on lists built from the
records, exact and perturbed: the figures behind its thresholds (derive/identify.py). Printed,
not asserted (tests/test_derive_identify.py asserts the cases on fixture records).

    python3 benchmarks/identify_calibration.py [--results results] [--digits 6] [--lists 200]

For up to --lists distinct recorded lists of at least 5 repeats, printed with --digits significant
digits: the list itself, its first 3 values (truncated), one value altered by 5%, shuffled, reversed,
the same cell and recipe's list of another scenario (its lineage is a right answer only where the
two scenarios share a model; the figure counts it anyway), and uniform random numbers in the
list's range. A perturbed list must never be named "same numbers" by a record it did not come from.
"""
import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.derive import identify  # noqa: E402
from harness.derive.outcomes import outcomes  # noqa: E402
from harness.store.resultset import ResultSet  # noqa: E402


def perturbations(values, other, rng):
    shuffled = list(values)
    while shuffled == list(values):
        rng.shuffle(shuffled)
    altered = list(values)
    altered[3] *= 1.05
    low, high = min(values), max(values)
    return {"exact": list(values), "truncated": list(values[:3]), "altered": altered,
            "shuffled": shuffled, "reversed": list(reversed(values)), "another scenario": other,
            "random": [rng.uniform(low, high) for _ in values]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--digits", type=int, default=6)
    parser.add_argument("--lists", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(0)
    found = outcomes(ResultSet.load(args.results))
    index = identify.Index(found)
    by_key = {}
    for o in found:
        if o.values and len(set(o.values)) >= 3:
            by_key.setdefault((o.machine, o.cell_name, o.recipe), {}).setdefault(o.scenario, tuple(o.values))
    cases = []
    for (machine, cell, recipe), scenarios in sorted(by_key.items()):
        names = sorted(scenarios)
        for name in names:
            others = [scenarios[n] for n in names if n != name and scenarios[n] != scenarios[name]]
            cases.append((scenarios[name], others[0] if others else None))
    rng.shuffle(cases)
    tally, started = {}, time.perf_counter()
    for values, other in [c for c in cases if len(set(c[0])) >= 5][:args.lists]:
        for kind, numbers in perturbations(values, other, rng).items():
            if numbers is None:
                continue
            text = " ".join(f"{v:.{args.digits}g}" for v in numbers)
            matches = identify.identify(identify.parse(text), found, index)
            best = matches[0].meaning if matches else "no match"
            if best in ("same numbers", "same lineage"):
                source = tuple(values) if kind != "another scenario" else tuple(other)
                named = {m.values for m in matches if m.meaning == best and m.length == matches[0].length}
                best += " (its source)" if source in named else " (ANOTHER list)"
            counts = tally.setdefault(kind, {})
            counts[best] = counts.get(best, 0) + 1
    print(f"{sum(tally['exact'].values())} recorded lists from {args.results}, printed with {args.digits} "
          f"significant digits ({time.perf_counter() - started:.1f} s)")
    for kind, counts in tally.items():
        total = sum(counts.values())
        print(f"  {kind:17} " + ", ".join(f"{name}: {n}/{total}" for name, n in sorted(counts.items())))


if __name__ == "__main__":
    main()
