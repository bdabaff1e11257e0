"""End to end: build the real Keras 3 + JAX environment and run the real canonical scenario
through the nox front end, then publish. Slow (one environment install, four worker processes)."""
import os
import subprocess
import sys

import pytest

import json

from harness.derive import verdicts
from harness.store import machines, records
from support import load

CELL = "keras3.15.1-jax0.10.2-python3.11"
pytestmark = pytest.mark.e2e


M = machines.this_machine()


def harness_env(results):
    return dict(os.environ, HARNESS_RESULTS=str(results))


@pytest.fixture(scope="module")
def results(tmp_path_factory, root):
    results = tmp_path_factory.mktemp("e2e-results")
    done = subprocess.run([sys.executable, "-m", "nox", "-s", CELL, "--", "--replays", "2",
                           "--recipe", "none", "--recipe", "full"],
                          cwd=root, env=harness_env(results), capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return results


def test_real_canonical_scenario_records(results):
    full = records.read(records.recipe_path(results, M, CELL, "canonical_mlp", "full"))
    none = records.read(records.recipe_path(results, M, CELL, "canonical_mlp", "none"))
    for record in (full, none):
        assert record["complete"] and len(record["replays"]) == 2
        for replay in record["replays"]:
            assert replay["status"] == "ok", replay.get("error_summary")
            assert len(replay["values"]) == 10                       # the tutorial's 10 repeats
            assert all(0.0 <= v < 1.0 for v in replay["values"])     # MSE on targets 0.1..0.9
            observed = replay["observed"]
            assert observed["keras"] == "3.15.1" and observed["backend_reported"] == "jax"
            assert observed["backend_library"]["jax"] == "0.10.2"
    assert "keras.utils.set_random_seed(1)" in full["replays"][0]["seed_calls"]
    assert full["replays"][0]["values"] == full["replays"][1]["values"]      # seeded: bitwise
    assert none["replays"][0]["values"] != none["replays"][1]["values"]      # unseeded: differs
    env = records.read(records.environment_path(results, M, CELL))["outcome"]
    assert env["status"] == "ok" and "keras==3.15.1" in env["packages"]


def test_published_matrix_from_the_real_run(results, root):
    out = results / "published"
    done = subprocess.run([sys.executable, "-m", "harness", "--results", str(results), "publish",
                           "--out", str(out), "--no-readme"], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    found = {o.recipe: o.verdict for o in load(results)[1]}
    assert {k: v.name for k, v in found.items()} == {"none": "diverged", "full": "bitwise"}
    table = (out / "matrix.md").read_text()
    fingerprint = found["full"].fingerprints[0]
    assert f"`{CELL}`" in table and f"bitwise {fingerprint}" in table and "3.15.1" in table
    for name in ("matrix.csv", "matrix.html", "matrix.png"):
        assert (out / name).stat().st_size > 0
    shown = subprocess.run([sys.executable, "-m", "harness", "--results", str(results), "show", CELL],
                           cwd=root, capture_output=True, text=True)
    assert shown.returncode == 0 and f"fingerprint {fingerprint}" in shown.stdout


def test_tox_front_end_runs_the_same_cell(results, root, tmp_path):
    """`tox -e CELL` does the nox session's job: same environment, same seeded numbers."""
    pytest.importorskip("tox")
    done = subprocess.run([sys.executable, "-m", "tox", "-e", CELL, "--", "--replays", "1", "--recipe", "full"],
                          cwd=root, env=harness_env(tmp_path), capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    via_tox = records.read(records.recipe_path(tmp_path, M, CELL, "canonical_mlp", "full"))["replays"][0]
    via_nox = records.read(records.recipe_path(results, M, CELL, "canonical_mlp", "full"))["replays"][0]
    assert via_tox["values_hex"] == via_nox["values_hex"]


def test_fresh_run_reproduces_the_committed_fingerprint(results, root):
    """Keras 3 + JAX `full` gave the same doubles on both machines of the committed records
    (portable); a fresh run here must give them again."""
    committed = sorted((root / "results" / "records").glob(f"*/{CELL}/canonical_mlp/full.json"))
    assert len(committed) >= 2
    expected = {verdicts.fingerprint(json.loads(p.read_text())["replays"][0]["values"]) for p in committed}
    fresh = records.read(records.recipe_path(results, M, CELL, "canonical_mlp", "full"))
    assert {verdicts.fingerprint(fresh["replays"][0]["values"])} == expected
