"""How long `harness identify` takes on a long training log: a Keras-like log of about --mb MB
(three numbers a line: loss, val_loss, lr) with one recorded list printed among its lines, read,
parsed and matched against every record of --results. Printed, not asserted
(tests/test_derive_identify.py asserts that ten times the input takes about ten times as long).

    python3 benchmarks/identify_speed.py [--results results] [--mb 10]
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


def log(values, size):
    rng = random.Random(0)
    lines, total, placed = [], 0, 0
    every = max(1, size // 80 // (len(values) + 1))
    while total < size:
        line = (f"Epoch {len(lines) % 100 + 1}/100 - 0s - loss: {rng.random():.4f} - "
                f"val_loss: {rng.uniform(0.5, 9):.6f} - lr: 0.001\n")
        if len(lines) % every == every - 1 and placed < len(values):
            line += f"repeat {placed}: test MSE {values[placed]:.9g}\n"
            placed += 1
        lines.append(line)
        total += len(line)
    return "".join(lines).encode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--mb", type=float, default=10.0)
    args = parser.parse_args()
    found = outcomes(ResultSet.load(args.results))
    source = next(o for o in found if o.values and len(set(o.values)) >= 10)
    data = log(source.values, int(args.mb * 1e6))
    started, cpu = time.perf_counter(), time.process_time()
    text, _ = identify.text_of(data)
    numbers = identify.parse(text)
    parsed = time.perf_counter()
    matches = identify.identify(numbers, found)
    done, cpu = time.perf_counter(), time.process_time() - cpu
    top = matches[0]
    print(f"{len(data) / 1e6:.1f} MB, {len(numbers):,} numbers, {len(found)} outcomes: "
          f"read and parsed in {parsed - started:.2f} s, matched in {done - parsed:.2f} s, "
          f"{done - started:.2f} s in all ({cpu:.2f} CPU s; a loaded machine stretches the wall time)")
    print(f"best: {top.meaning} ({top.exact}/{top.length} exact), {top.outcome.cell_name} "
          f"{top.outcome.scenario} {top.outcome.recipe} — the list printed came from "
          f"{source.cell_name} {source.scenario} {source.recipe}")


if __name__ == "__main__":
    main()
