"""Scenario contract 2: declarations, ctx, applies(), phase timings and loss traces (no Keras needed)."""
import json
import os
import subprocess
from pathlib import Path
import sys

import numpy
import pytest

from conftest import PYENV, TEST_SCENARIOS, plain_cell
from harness import paths
from harness.execute import runner, worker


def run_worker(tmp_path, scenario, recipe="numpy", python=sys.executable, env=None, extra=()):
    out = tmp_path / "result.json"
    done = subprocess.run([str(python), str(paths.WORKER), "--scenario", str(TEST_SCENARIOS / f"{scenario}.py"),
                           "--recipe", recipe, "--api", "none", "--backend", "none", "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=60, env=env)
    assert out.exists(), done.stderr
    return done, json.loads(out.read_text())


def test_contract_2_declarations_phases_data_and_loss_traces(tmp_path):
    done, result = run_worker(tmp_path, "contract2")
    assert done.returncode == 0 and result["status"] == "ok", result.get("error")
    assert (result["contract"], result["metric"], result["repeats"]) == (2, "mean of five draws", 3)
    assert (result["timeout"], result["data_seed"], result["scenario_name"]) == (45, 7, "contract2")
    # every repeat gets a fresh RandomState(DATA_SEED): the same data, whatever the recipe did
    assert result["values"] == [float(numpy.random.RandomState(7).rand(5).mean())] * 3
    assert [sorted(p) for p in result["phase_seconds"]] == [["build", "fit"]] * 3
    assert all(0 <= s < 5 for p in result["phase_seconds"] for s in p.values())
    traces = [[float.fromhex(h) for h in trace] for trace in result["loss_traces"]]
    numpy.random.seed(1)   # the numpy recipe's seed: the global generator moves on between repeats
    assert [t[0] for t in traces] == [float(numpy.random.rand()) for _ in range(3)]
    assert all(t[1] == 0.5 and t[2] != t[2] for t in traces)   # NaN survives as the text "nan"
    assert set(result["import_phase_seconds"]) == {"backend", "keras"}


def test_contract_1_scenarios_keep_working_with_defaults(tmp_path):
    _, result = run_worker(tmp_path, "numpy_draw")
    assert result["status"] == "ok"
    assert (result["contract"], result["metric"], result["repeats"], result["timeout"]) == (1, "MSE", 3, None)
    assert result["phase_seconds"] == [{}, {}, {}] and result["loss_traces"] == [None, None, None]
    assert len(result["fit_seconds"]) == 3


def test_applies_can_decline_a_cell_with_a_reason(tmp_path):
    done, result = run_worker(tmp_path, "not_applicable")
    assert done.returncode == 0
    assert result["status"] == "not-applicable"
    assert result["reason"] == "needs Keras 3 (this cell has api none)"
    assert "values" not in result and "error" not in result


def test_the_runner_passes_not_applicable_through_with_its_reason():
    replay = runner.run_replay(sys.executable, plain_cell(), TEST_SCENARIOS / "not_applicable.py", "none", 60)
    assert replay["status"] == "not-applicable"
    assert replay["error_summary"] == "needs Keras 3 (this cell has api none)"
    assert runner._shape_problem({"schema": 2, "status": "not-applicable"}) == \
        "result has status not-applicable but no reason"


def plan(**declared):
    namespace = {"run_once": lambda keras, np: 0.0}
    namespace.update(declared)
    return worker.scenario_plan(namespace, "/s/some_scenario.py")


def test_scenario_plan_defaults_and_checks():
    assert plan() == {"contract": 1, "repeats": 10, "name": "some_scenario", "metric": "MSE",
                      "timeout": None, "data_seed": None}
    v2 = plan(CONTRACT=2, NAME="n", METRIC="accuracy", REPEATS=4, TIMEOUT=90.5, DATA_SEED=3)
    assert (v2["metric"], v2["repeats"], v2["timeout"], v2["data_seed"]) == ("accuracy", 4, 90.5, 3)
    with pytest.raises(ValueError, match="must define METRIC, REPEATS"):
        plan(CONTRACT=2, NAME="n")
    with pytest.raises(ValueError, match="this worker runs contracts 1, 2"):
        plan(CONTRACT=3)
    for bad in ({"REPEATS": 0}, {"REPEATS": True}, {"TIMEOUT": -1}, {"DATA_SEED": 2 ** 32}, {"METRIC": 5}):
        with pytest.raises(ValueError, match="scenario .* is a"):
            plan(**bad)


def test_a_bad_declaration_is_a_crash_that_says_why(tmp_path):
    scenario = tmp_path / "bad.py"
    scenario.write_text("CONTRACT = 2\nNAME = 'bad'\nREPEATS = 1\ndef run_once(keras, np, ctx):\n    return 1.0\n")
    out = tmp_path / "r.json"
    subprocess.run([sys.executable, str(paths.WORKER), "--scenario", str(scenario), "--recipe", "none",
                    "--api", "none", "--backend", "none", "--out", str(out)], capture_output=True, timeout=60)
    result = json.loads(out.read_text())
    assert result["status"] == "crashed" and result["error"]["phase"] == "scenario"
    assert result["error"]["message"] == "a contract-2 scenario must define METRIC"


def test_context_phases_add_up_and_helpers_come_from_scenario_support():
    support = worker.load_support()
    facts = worker.Facts(api="keras3", backend="jax", device="cpu", keras_major=3)
    ctx = worker.Context(support, None, facts, data_seed=None)
    ctx.add_phase("fit", 1.5)
    ctx.add_phase("fit", 0.25)
    assert ctx.phases == {"fit": 1.75}
    assert ctx.weights_digest is support.weights_digest and ctx.dense_input is support.dense_input
    assert sys.modules["scenario_support"] is support
    with pytest.raises(ValueError, match="DATA_SEED"):
        ctx.data_rng
    with pytest.raises(AttributeError):
        ctx.no_such_helper
    ctx.loss_trace({"loss": [numpy.float32(0.5), 0.25]})
    assert ctx.losses == [0.5, 0.25]


def test_long_loss_traces_keep_their_first_and_last_epochs():
    losses = [float(i) for i in range(worker.LOSS_TRACE_LIMIT + 500)]
    kept = [float.fromhex(h) for h in worker.trace_hex(losses)]
    half = worker.LOSS_TRACE_LIMIT // 2
    assert kept == losses[:half] + losses[-half:]


OLD_PYTHONS = sorted(PYENV.glob("3.6.*/bin/python")) + sorted(PYENV.glob("2.7.*/bin/python"))


OLD_NUMPY = {"2.7": "numpy==1.16.6", "3.6": "numpy==1.19.5"}   # the last releases for them


def numpy_folder(python):
    """A folder holding a numpy for that interpreter: HARNESS_TEST_NUMPY_2_7 (or _3_6), else the
    last numpy release for it, installed once with the interpreter's own pip into a cache."""
    version = python.parent.parent.name.rsplit(".", 1)[0]
    given = os.environ.get("HARNESS_TEST_NUMPY_" + version.replace(".", "_"))
    if given:
        return given
    folder = Path.home() / ".cache" / "keras-repro" / f"numpy-python{version}"
    if not (folder / "numpy").is_dir():
        done = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                               "--only-binary", ":all:", "--target", str(folder), OLD_NUMPY[version]],
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
    return str(folder)


@pytest.mark.oldpython
@pytest.mark.parametrize("python", OLD_PYTHONS, ids=lambda p: p.parent.parent.name)
def test_the_worker_runs_both_contracts_on_old_interpreters(tmp_path, python):
    env = dict(os.environ, PYTHONPATH=numpy_folder(python))
    assert subprocess.run([str(python), "-c", "import numpy"], env=env, capture_output=True).returncode == 0
    for scenario in ("contract2", "numpy_draw", "non_finite", "huge_return"):
        _, result = run_worker(tmp_path, scenario, python=python, env=env)
        expected = {"contract2": "ok", "numpy_draw": "ok", "non_finite": "non-finite", "huge_return": "crashed"}
        assert result["status"] == expected[scenario], result.get("error")
    _, result = run_worker(tmp_path, "contract2", python=python, env=env)
    assert result["values"] == [float(numpy.random.RandomState(7).rand(5).mean())] * 3
