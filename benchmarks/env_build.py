"""Environment build cost: the same cell built with uv and with venv + pip, in one run.

    python benchmarks/env_build.py [--requirement numpy==2.1.3] [--python 3.11] [--rounds 2]

Prints seconds per build and the pip/uv ratio (the figure that matters on a noisy machine),
plus the worker's own start-up cost: a replay of a trivial scenario against a bare interpreter.
"""
import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import environment, runner  # noqa: E402
from harness.matrix import Cell  # noqa: E402

TRIVIAL = "NAME = 'trivial'\nREPEATS = 1\n\ndef run_once(keras, np):\n    return 0.5\n"


def build_seconds(installer, requirement, python, rounds):
    times = []
    for _ in range(rounds):
        cell = Cell(name=f"bench-{installer}", api="none", backend="none", python=python,
                    requirements=(requirement,), installer=installer)
        with tempfile.TemporaryDirectory() as envs:
            outcome = environment.build(cell, Path(envs) / cell.name)
            if outcome.status != "ok":
                raise SystemExit(f"{installer} build failed: {outcome.error}")
            times.append(outcome.install_seconds)
    return statistics.median(times)


def worker_overhead(rounds):
    cell = Cell(name="bench", api="none", backend="none", python="3.11", requirements=())
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "trivial.py"
        scenario.write_text(TRIVIAL)
        replays, bare = [], []
        for _ in range(rounds):
            replays.append(runner.run_replay(sys.executable, cell, scenario, "none", 60)["wall_seconds"])
            start = time.time()
            subprocess.run([sys.executable, "-c", "import numpy"], check=True)
            bare.append(time.time() - start)
    return statistics.median(replays), statistics.median(bare)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requirement", default="numpy==2.1.3")
    parser.add_argument("--python", default="3.11")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    uv = build_seconds("uv", args.requirement, args.python, args.rounds)
    pip = build_seconds("pip", args.requirement, args.python, args.rounds)
    print(f"environment build ({args.requirement}, Python {args.python}, median of {args.rounds}):")
    print(f"  uv   {uv:7.2f} s")
    print(f"  pip  {pip:7.2f} s")
    print(f"  pip/uv ratio {pip / uv:5.1f}x")
    replay, bare = worker_overhead(max(3, args.rounds))
    print(f"worker replay of a trivial scenario {replay:.2f} s vs bare `python -c 'import numpy'` "
          f"{bare:.2f} s: ratio {replay / bare:.1f}x")


if __name__ == "__main__":
    main()
