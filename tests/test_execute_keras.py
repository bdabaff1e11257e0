"""The worker with a real Keras: contract 2 timings and traces leave the canonical numbers unchanged.

Runs in the default cells' Keras 3 environments (JAX, torch), built or reused by the harness in
the environments directory; HARNESS_TEST_KERAS_PYTHON names another interpreter with Keras 3 and
the backend instead. The real-GPU test skips without a GPU torch can use."""
import json
import os
import subprocess

import pytest

from conftest import ROOT, TEST_SCENARIOS
from harness import paths

pytestmark = pytest.mark.e2e
CELLS = {"jax": "keras3.15.1-jax0.10.2-python3.11", "torch": "keras3.15.1-torch2.13.0-python3.11"}


def python_for(backend):
    """An interpreter with Keras 3 and the backend: the given one, or the default cell's
    environment (built once, reused after; a failed build fails the test, it does not skip)."""
    given = os.environ.get("HARNESS_TEST_KERAS_PYTHON")
    if given:
        if subprocess.run([given, "-c", "import keras, " + backend], capture_output=True).returncode:
            pytest.skip(f"{given} has no keras or {backend}")
        return given
    from harness import matrix
    from harness.provision import environments
    outcome = environments.ensure(matrix.load().get(CELLS[backend]), paths.envs_dir())
    assert outcome.status == "ok", outcome.error
    return outcome.python


def run(tmp_path, scenario_path, recipe, name, repeats=None, backend="jax", device="cpu", status="ok"):
    python = python_for(backend)
    out = tmp_path / f"{name}.json"
    command = [python, str(paths.WORKER), "--scenario", str(scenario_path), "--recipe", recipe, "--api", "keras3",
               "--backend", backend, "--device", device, "--out", str(out)]
    done = subprocess.run(command + (["--repeats", str(repeats)] if repeats else []), capture_output=True, text=True,
                          timeout=600, env=dict(os.environ, KERAS_BACKEND=backend))
    result = json.loads(out.read_text())
    assert result["status"] == status, (result.get("error"), done.stderr[-2000:])
    return result


def test_contract_2_matches_the_canonical_scenario_bitwise_and_reports_phases(tmp_path):
    v2 = run(tmp_path, TEST_SCENARIOS / "keras_mlp_v2.py", "full", "v2")
    v1 = run(tmp_path, ROOT / "scenarios" / "canonical_mlp.py", "full", "v1", repeats=3)
    assert v2["values_hex"] == v1["values_hex"]       # the timer callback and phases change nothing
    for phases in v2["phase_seconds"]:
        assert set(phases) == {"build", "fit", "fit_first_epoch", "fit_later_epochs", "evaluate"}
        assert phases["fit_first_epoch"] + phases["fit_later_epochs"] <= phases["fit"]
        # each fresh model is traced and compiled in its first epoch: slower than a later one
        assert phases["fit_first_epoch"] > 5 * phases["fit_later_epochs"] / (100 - 1)
    for trace in v2["loss_traces"]:
        assert len(trace) == 100
        assert float.fromhex(trace[-1]) < float.fromhex(trace[0])
    assert set(v2["import_phase_seconds"]) == {"backend", "keras"}
    assert v2["observed"]["device_used"] == "cpu" and v2["observed"]["gpu"]["platform"] == "cpu"
    assert v2["observed"]["gpu"]["gpus"] == []


def test_initial_weights_are_fixed_by_the_full_recipe_only(tmp_path):
    seeded = run(tmp_path, TEST_SCENARIOS / "initial_weights.py", "full", "seeded")
    again = run(tmp_path, TEST_SCENARIOS / "initial_weights.py", "full", "again")
    unseeded = run(tmp_path, TEST_SCENARIOS / "initial_weights.py", "none", "unseeded")
    assert seeded["metric"] == "weights digest"
    assert seeded["values_hex"] == again["values_hex"]
    assert seeded["values"][0] != unseeded["values"][0]
    assert len(set(seeded["values"])) == 3    # the seed is set once per process: each model differs


def test_strict_torch_on_the_cpu(tmp_path):
    result = run(tmp_path, TEST_SCENARIOS / "keras_mlp_v2.py", "strict", "torch", repeats=2, backend="torch")
    assert "torch.use_deterministic_algorithms(True)" in result["seed_calls"]
    assert not any("cudnn" in call for call in result["seed_calls"])   # GPU switches only on the GPU
    assert result["observed"]["device_used"] == "cpu"
    assert result["observed"]["backend_reported"] == "torch"
    assert result["thread_env"]["CUDA_VISIBLE_DEVICES"] == ""


def gpu_visible():
    python = python_for("torch")
    probe = "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"
    if subprocess.run([python, "-c", probe], capture_output=True).returncode:
        pytest.skip("needs a GPU that torch can use")


def test_strict_torch_on_a_real_gpu(tmp_path):
    gpu_visible()
    result = run(tmp_path, TEST_SCENARIOS / "keras_mlp_v2.py", "strict", "gpu", repeats=2, backend="torch",
                 device="gpu")
    observed = result["observed"]
    assert observed["device_used"] == "gpu" and observed["gpu"]["gpus"][0]["capability"]
    assert "torch.backends.cudnn.deterministic = True" in result["seed_calls"]
    assert "env CUBLAS_WORKSPACE_CONFIG=:4096:8" in result["seed_calls"]
