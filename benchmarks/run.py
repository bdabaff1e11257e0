"""Every performance figure of the harness, in one run, as ratios against its goal.

    python benchmarks/run.py                 # everything (about 25 minutes on 2 cores)
    python benchmarks/run.py --skip default  # without the default matrix (about 6 minutes)

1. overhead   a replay through the harness (runner + worker) against the bare scenario run by the
              same interpreter in the same environment, in CPU seconds (wall time too)
                                                                  goal <= 1.05x
2. parallel   `run -j 2` against `run -j 1` on four light cells (Keras 3 + JAX), same fingerprints
                                                                  goal >= 1.7x faster
3. build      an environment built with uv against venv + pip     goal <= 0.2x
4. default    the default matrix, fresh environments from warm package caches, default -j
                                                                  goal <= 12 minutes
5. no-op      `run -t default` again once every record is current goal <= 2 s

Figures go to stdout (and as JSON to --json FILE); benchmarks/README.md records them.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import matrix, paths  # noqa: E402
from harness.provision import environments  # noqa: E402
from harness.execute import runner, worker  # noqa: E402
from harness.ops import run  # noqa: E402
from harness.store import machines  # noqa: E402

LIGHT = ("keras3.15.1-jax0.10.2-python3.11", "keras3.15.1-jax0.10.2-python3.12",
         "keras3.15.1-jax0.10.2-python3.13", "keras3.12.4-jax0.6.2-python3.10")
BARE = """
import os, sys, numpy as np
np.random.seed(1)
import keras
space = {}
exec(compile(open(sys.argv[1]).read(), sys.argv[1], "exec"), space)
for _ in range(space["REPEATS"]):
    space["run_once"](keras, np)
"""
GOALS = {"overhead": ("<=", 1.05), "parallel": (">=", 1.7), "build": ("<=", 0.2),
         "default_minutes": ("<=", 12.0), "noop_seconds": ("<=", 2.0)}


def say(text):
    print(text, flush=True)


def overhead(m, envs, rounds):
    """Median wall time of harness replays and of bare runs, alternated so load hits both alike."""
    cell = m.get(LIGHT[0])
    outcome = environments.ensure(cell, envs)
    scenario = paths.scenarios_dir() / "canonical_mlp.py"
    env = runner.worker_environment(cell.env_dict, outcome.extra_env)
    env.update(worker.device_environment(cell.backend, cell.device))   # as the worker runs it
    harness, bare, harness_cpu, bare_cpu = [], [], [], []
    for _ in range(rounds):
        cpu = children_cpu()
        replay = runner.run_replay(outcome.python, cell, scenario, "numpy", 1200, extra_env=outcome.extra_env)
        harness_cpu.append(children_cpu() - cpu)
        assert replay["status"] == "ok", replay
        harness.append(replay["wall_seconds"])
        started, cpu = time.time(), children_cpu()
        subprocess.run([outcome.python, "-c", BARE, str(scenario)], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        bare.append(time.time() - started)
        bare_cpu.append(children_cpu() - cpu)
    h, b = statistics.median(harness), statistics.median(bare)
    hc, bc = statistics.median(harness_cpu), statistics.median(bare_cpu)
    # judged on CPU seconds: on a shared machine wall time mostly measures the neighbours
    return {"overhead": round(hc / bc, 3), "wall_ratio": round(h / b, 3), "replay_cpu_seconds": round(hc, 2),
            "bare_cpu_seconds": round(bc, 2), "replay_seconds": round(h, 2), "bare_seconds": round(b, 2),
            "rounds": rounds}


def children_cpu() -> float:
    """User + system seconds of every finished child process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def parallel(m, envs, replays):
    cells = [m.get(name) for name in LIGHT]
    for cell in cells:              # built (or reused) before timing: this measures the replays
        outcome = environments.ensure(cell, envs)
        assert outcome.status == "ok", outcome.error
    found = {}
    for jobs in (1, 2):
        with tempfile.TemporaryDirectory() as results:
            started = time.monotonic()
            summary = run.run_cells(cells, results, envs, recipes=["full"], replays=replays, jobs=jobs,
                                    display=run.EchoDisplay(lambda text: None))
            found[jobs] = time.monotonic() - started
            found[f"fingerprints_j{jobs}"] = {k[0]: v.fingerprints for k, v in summary.verdicts.items()}
    same = found["fingerprints_j1"] == found["fingerprints_j2"]
    return {"parallel": round(found[1] / found[2], 3), "j1_seconds": round(found[1], 1),
            "j2_seconds": round(found[2], 1), "same_fingerprints": same, "cells": list(LIGHT),
            "replays": replays}


def build(requirement, python, rounds):
    times, cpu = {}, {}
    for installer in ("uv", "pip"):
        seconds, used = [], []
        for _ in range(rounds):
            before = children_cpu()
            cell = matrix.Cell(name=f"bench-{installer}", api="none", backend="none", python=python,
                               requirements=(requirement,), installer=installer)
            with tempfile.TemporaryDirectory() as envs:
                outcome = environments.build(cell, Path(envs) / cell.name)
                assert outcome.status == "ok", outcome.error
                seconds.append(outcome.install_seconds)
                used.append(children_cpu() - before)
        times[installer], cpu[installer] = statistics.median(seconds), statistics.median(used)
    # judged on wall time (what a user waits for); CPU seconds shown beside it
    return {"build": round(times["uv"] / times["pip"], 3), "uv_seconds": times["uv"],
            "pip_seconds": times["pip"], "cpu_ratio": round(cpu["uv"] / cpu["pip"], 3),
            "uv_cpu_seconds": round(cpu["uv"], 2), "pip_cpu_seconds": round(cpu["pip"], 2),
            "requirement": requirement, "python": python}


def harness_run(results, envs, *argv):
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "harness", "--results", str(results), "run", "-t", "default",
                           "--envs", str(envs), "--progress", "plain", *argv], cwd=ROOT,
                          capture_output=True, text=True)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"harness run failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def default_matrix(work: Path, results: Path | None):
    envs = work / "envs"               # fresh environments, warm package caches
    results = results or work / "results"
    seconds, out = harness_run(results, envs)
    (work / "default-run.log").write_text(out)
    tail = [line for line in out.splitlines() if not line.startswith("[")]
    return {"default_minutes": round(seconds / 60, 2), "summary": tail[-6:]}, results, envs


def noop(results, envs):
    seconds, out = harness_run(results, envs)
    return {"noop_seconds": round(seconds, 2), "said": out.strip().splitlines()[-3:]}


def verdict(name, value):
    op, goal = GOALS[name]
    ok = value <= goal if op == "<=" else value >= goal
    return f"{'met' if ok else 'MISSED'} (goal {op} {goal})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip", action="append", default=[],
                        choices=("overhead", "parallel", "build", "default", "noop"))
    parser.add_argument("--envs", type=Path, default=paths.envs_dir(),
                        help="environments for the overhead and parallel figures (reused)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--replays", type=int, default=3, help="replays per cell for the -j figure")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    m = matrix.load()
    info = machines.machine_info()
    figures = {"machine": machines.label(info), "machine_id": machines.machine_id(info),
               "python": platform.python_version(), "load_before": os.getloadavg()}
    say(f"machine {figures['machine_id']}: {figures['machine']}")
    with tempfile.TemporaryDirectory(prefix="harness-bench-") as tmp:
        work = Path(tmp)
        steps = []
        if "overhead" not in args.skip:
            steps.append(("overhead", lambda: overhead(m, args.envs, args.rounds)))
        if "parallel" not in args.skip:
            steps.append(("parallel", lambda: parallel(m, args.envs, args.replays)))
        if "build" not in args.skip:
            steps.append(("build", lambda: build("numpy==2.1.3", "3.11", 2)))
        for name, step in steps:
            say(f"-- {name} ...")
            result = step()
            figures[name] = result
            say(f"   {name}: {result[name]} {verdict(name, result[name])}  {json.dumps(result)}")
        if "default" not in args.skip:
            say("-- default matrix (fresh environments, warm package caches) ...")
            result, results, envs = default_matrix(work, None)
            figures["default"] = result
            say(f"   default: {result['default_minutes']} min {verdict('default_minutes', result['default_minutes'])}")
            for line in result["summary"]:
                say(f"     {line}")
            if "noop" not in args.skip:
                result = noop(results, envs)
                figures["noop"] = result
                say(f"   no-op rerun: {result['noop_seconds']} s {verdict('noop_seconds', result['noop_seconds'])}")
    figures["load_after"] = os.getloadavg()
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
