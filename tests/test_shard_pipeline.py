"""What the CI jobs run, run here: a tiny matrix as two shards, each in its own checkout-like
directory and results directory (the shard step of the generated workflow, word for word), merged
by `harness merge` and published: the same tables as one unsharded run."""
import csv
import io
import os
import shutil
import subprocess
import sys

import pytest

from harness import generated

pytestmark = pytest.mark.slow   # two shards run and merged in real processes

from support import TWO_CELL_MATRIX as MATRIX  # noqa: E402
TIMING_COLUMNS = {"s_per_run", "install_s", "seconds_per_run", "seconds_per_fit", "import_seconds",
                  "install_seconds"}


@pytest.fixture(scope="module")
def checkout(tmp_path_factory, root):
    """A function making a fresh 'checkout': the tiny matrix and the shard job's .host/bin/python."""
    base = tmp_path_factory.mktemp("pipeline")
    python = "%d.%d" % sys.version_info[:2]

    def make(name):
        work = base / name
        (work / ".host" / "bin").mkdir(parents=True)
        (work / "matrix.toml").write_text(MATRIX.format(python=python))
        launcher = work / ".host" / "bin" / "python"
        launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        launcher.chmod(0o755)
        return work

    env = dict(os.environ, HARNESS_SCENARIOS=str(root / "tests" / "scenarios"),
               HARNESS_ENVS=str(base / "envs"), PYTHONPATH=str(root))
    env.pop("HARNESS_ROOT", None)
    env.pop("HARNESS_RESULTS", None)
    return make, env


def harness(args, cwd, env):
    done = subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"harness {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def table(path, drop=TIMING_COLUMNS):
    rows = list(csv.reader(io.StringIO(path.read_text())))
    keep = [i for i, name in enumerate(rows[0]) if name not in drop]
    return [[row[i] for i in keep] for row in rows]


def test_two_shards_merged_publish_the_same_tables_as_one_run(checkout, tmp_path):
    if shutil.which("bash") is None:
        pytest.skip("the shard step is a bash script")
    make, env = checkout
    jobs = []
    for index in (1, 2):
        work = make(f"job{index}")
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", generated.shard_script()], cwd=work,
                              capture_output=True, text=True, timeout=600,
                              env=dict(env, CELLS="alpha beta", SHARD=f"{index}/2", RUN_ARGS=""))
        assert done.returncode == 0, done.stdout + done.stderr
        jobs.append(work / generated.RESULTS_JOB)
    # each shard ran one cell (equal estimates: dealt in name order) and wrote only its own records
    for results, cell in zip(jobs, ("alpha", "beta")):
        ran = {p.parent.parent.name for p in results.glob("records/*/*/*/*.json")}
        assert ran == {cell}, results

    publish_job = make("publish")
    merged = publish_job / "results"
    harness(["--results", str(merged), "merge", *map(str, jobs)], publish_job, env)
    harness(["--results", str(merged), "publish", "--no-readme"], publish_job, env)

    single = make("single")
    harness(["--results", "results", "run", "alpha", "beta"], single, env)
    harness(["--results", "results", "publish", "--no-readme"], single, env)

    one = single / "results"
    assert table(merged / "matrix.csv") == table(one / "matrix.csv")
    assert table(merged / "verdicts.csv") == table(one / "verdicts.csv")
    for name in ("agreement.md", "portability.md"):
        assert (merged / name).read_text() == (one / name).read_text(), name
    verdicts = {(r[1], r[7]): r[8] for r in table(one / "verdicts.csv")[1:]}
    assert verdicts == {("alpha", "numpy"): "bitwise", ("alpha", "full"): "bitwise",
                        ("beta", "numpy"): "bitwise", ("beta", "full"): "bitwise"}
