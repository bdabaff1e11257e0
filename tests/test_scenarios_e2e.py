"""End to end: a user's own scenario file, run with `harness run --scenario FILE.py` on the real
Keras 3 + JAX environment, lands under its own name with the metric and repeats it declares, and
gets its page in the published matrix. Slow (two worker processes; the environment is reused)."""
import os
import subprocess
import sys

import pytest

from harness.store import machines, records

CELL = "keras3.15.1-jax0.10.2-python3.11"
pytestmark = pytest.mark.e2e


def test_a_users_scenario_runs_across_a_cell_and_is_published(tmp_path, root):
    results = tmp_path / "results"
    example = root / "docs" / "examples" / "my_model.py"
    done = subprocess.run([sys.executable, "-m", "harness", "--results", str(results), "run", CELL,
                           "--scenario", str(example), "--recipe", "full", "--replays", "2", "-j", "1",
                           "--progress", "plain"],
                          cwd=root, capture_output=True, text=True, timeout=1800,
                          env=dict(os.environ, HARNESS_RESULTS=str(results)))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    record = records.read(records.recipe_path(results, machines.this_machine(), CELL, "my_model", "full"))
    assert record["complete"] and record["scenario"]["name"] == "my_model"
    for replay in record["replays"]:
        assert replay["status"] == "ok", replay.get("error_summary")
        assert replay["metric"] == "held-out cross-entropy after 5 epochs" and replay["repeats"] == 3
        assert len(replay["values"]) == 3 and len(replay["loss_traces"][0]) == 5
    assert record["replays"][0]["values"] == record["replays"][1]["values"]      # `full` on JAX: bitwise
    out = tmp_path / "published"
    done = subprocess.run([sys.executable, "-m", "harness", "--results", str(results), "publish", "--out",
                           str(out), "--no-readme"], cwd=root, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    page = (out / "scenarios" / "my_model.md").read_text()
    assert "held-out cross-entropy after 5 epochs" in page and "bitwise" in page
