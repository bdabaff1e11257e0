"""The in-environment worker: old-Python syntax, recipes applied and recorded, result via file."""
import json
import subprocess
import sys

import pytest

from conftest import PYENV, TEST_SCENARIOS
from harness import paths

OLD_PYTHONS = sorted(PYENV.glob("3.6.*/bin/python")) + sorted(PYENV.glob("2.7.*/bin/python"))


@pytest.mark.oldpython
@pytest.mark.parametrize("python", OLD_PYTHONS, ids=lambda p: p.parent.parent.name)
def test_worker_and_scenarios_compile_on_old_interpreters(python, root):
    files = [paths.WORKER, paths.WORKER.parent / "scenario_support.py"] + sorted((root / "scenarios").glob("*.py")) \
        + sorted(TEST_SCENARIOS.glob("*.py"))
    for path in files:
        done = subprocess.run([str(python), "-c", "import sys; compile(open(sys.argv[1]).read(), sys.argv[1], 'exec')",
                               str(path)], capture_output=True, text=True)
        assert done.returncode == 0, f"{path} does not compile on {python}: {done.stderr}"


@pytest.mark.oldpython
def test_old_interpreters_are_present():
    if not OLD_PYTHONS:
        pytest.skip("no pyenv 3.6 / 2.7 build on this machine")
    assert any("3.6" in str(p) for p in OLD_PYTHONS)


def run_worker(tmp_path, recipe, scenario="numpy_draw", extra=()):
    out = tmp_path / f"{recipe}.json"
    done = subprocess.run([sys.executable, str(paths.WORKER), "--scenario", str(TEST_SCENARIOS / f"{scenario}.py"),
                           "--recipe", recipe, "--api", "none", "--backend", "none", "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=60)
    return done, json.loads(out.read_text())


def test_result_goes_to_the_file_with_exact_values(tmp_path):
    done, result = run_worker(tmp_path, "numpy")
    assert done.returncode == 0 and result["status"] == "ok"
    assert len(result["values"]) == 3   # the scenario's REPEATS
    assert [float.fromhex(h) for h in result["values_hex"]] == result["values"]
    assert len(result["fit_seconds"]) == 3 and result["total_seconds"] >= 0
    assert result["observed"]["python"] == "%d.%d.%d" % sys.version_info[:3]
    assert result["seed_calls"] == ["numpy.random.seed(1)"]


def test_numpy_recipe_reproduces_across_processes_and_none_does_not(tmp_path):
    def values(recipe, folder):
        (tmp_path / folder).mkdir()
        return run_worker(tmp_path / folder, recipe)[1]["values"]

    first, second = values("numpy", "a"), values("numpy", "b")
    assert first == second
    import numpy
    numpy.random.seed(1)
    assert first == [float(numpy.random.rand()) for _ in range(3)]  # what seed 1 gives, independently
    assert values("none", "c") != values("none", "d")


def test_full_recipe_sets_pythonhashseed_before_the_interpreter_starts(tmp_path):
    _, result = run_worker(tmp_path, "full")
    assert result["thread_env"]["PYTHONHASHSEED"] == "0"
    assert result["seed_calls"][:3] == ["env PYTHONHASHSEED=0", "random.seed(1)", "numpy.random.seed(1)"]
    assert {"call": "keras.utils.set_random_seed", "why": "not provided by this Keras"} in result["seed_unavailable"]


def test_strict_recipe_pins_threads(tmp_path):
    _, result = run_worker(tmp_path, "strict")
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        assert result["thread_env"][name] == "1"


def test_repeats_override_and_bad_arguments(tmp_path):
    _, result = run_worker(tmp_path, "none", extra=("--repeats", "5"))
    assert len(result["values"]) == 5
    done = subprocess.run([sys.executable, str(paths.WORKER), "--recipe", "bogus"], capture_output=True, text=True)
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_missing_keras_is_an_import_failure_recorded_in_the_file(tmp_path):
    out = tmp_path / "r.json"
    subprocess.run([sys.executable, str(paths.WORKER), "--scenario", str(TEST_SCENARIOS / "numpy_draw.py"),
                    "--recipe", "none", "--api", "keras2", "--backend", "theano", "--out", str(out)],
                   capture_output=True, timeout=60)
    result = json.loads(out.read_text())
    assert result["status"] == "import-failed"
    assert result["error"]["type"] in ("ModuleNotFoundError", "ImportError")
    assert "theano" in result["error"]["message"]


def test_recipe_environment_by_backend_and_device():
    """GPU settings cannot run here (no GPU on the test machines); their variables are checked."""
    from harness.execute.worker import recipe_environment
    assert recipe_environment("none", "tensorflow", "cpu", {}) == {}
    assert recipe_environment("full", "torch", "cpu", {}) == {"PYTHONHASHSEED": "0"}
    strict_tf = recipe_environment("strict", "tensorflow", "cpu", {})
    assert strict_tf["TF_DETERMINISTIC_OPS"] == "1" and strict_tf["OMP_NUM_THREADS"] == "1"
    jax_gpu = recipe_environment("strict", "jax", "gpu", {"XLA_FLAGS": "--xla_dump_to=/tmp/x"})
    assert jax_gpu["XLA_FLAGS"] == "--xla_dump_to=/tmp/x --xla_gpu_deterministic_ops=true"
    assert "XLA_FLAGS" not in recipe_environment("strict", "jax", "cpu", {})
    assert recipe_environment("strict", "torch", "gpu", {})["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    theano = recipe_environment("strict", "theano", "cpu", {"THEANO_FLAGS": "base_compiledir=/c"})
    assert theano["THEANO_FLAGS"] == "base_compiledir=/c,deterministic=more"
