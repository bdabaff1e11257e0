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


def test_portable_recipe_adds_the_code_path_pins_to_its_base_recipe():
    from harness.execute.worker import recipe_environment, portable_base
    assert portable_base("tf.keras", "tensorflow") == "full"
    assert portable_base("keras2", "tensorflow") == "strict"     # a TF 1.x session races: strict
    tf2 = recipe_environment("portable", "tensorflow", "cpu", {}, "keras3")
    assert tf2 == {"PYTHONHASHSEED": "0", "TF_ENABLE_ONEDNN_OPTS": "0"}
    tf1 = recipe_environment("portable", "tensorflow", "cpu", {}, "keras2")
    assert tf1["TF_ENABLE_ONEDNN_OPTS"] == "0" and tf1["TF_NUM_INTRAOP_THREADS"] == "1"
    assert recipe_environment("portable", "torch", "cpu", {}, "keras3")["MKL_CBWR"] == "COMPATIBLE"
    assert recipe_environment("portable", "jax", "cpu", {}, "keras3") == {"PYTHONHASHSEED": "0"}


def test_portable_recipe_records_its_pins_and_the_base_calls(tmp_path):
    _, result = run_worker(tmp_path, "portable")
    assert result["status"] == "ok"
    assert result["seed_calls"][:3] == ["env PYTHONHASHSEED=0", "random.seed(1)", "numpy.random.seed(1)"]


def test_every_replay_records_its_code_path_read_from_the_process(tmp_path):
    """The BLAS numpy loaded answers through its own API (OpenBLAS's core name), numpy its SIMD
    dispatch; variables that were not set are absent, not guessed."""
    _, result = run_worker(tmp_path, "numpy", extra=())
    path = result["codepath"]
    assert path["cpu_count"] >= 1
    import numpy
    blas = [b for b in path["blas"] if b["kind"] == "openblas"]
    if "openblas" in str(numpy.show_config(mode="dicts")).lower():
        assert blas and all(isinstance(b["core"], str) and b["core"] for b in blas)
    assert path["numpy_simd"]["baseline"]          # numpy >= 1.20 reports its baseline
    assert "MKL_CBWR" not in path["env"]
    env = dict(__import__("os").environ, MKL_CBWR="COMPATIBLE")
    out = tmp_path / "env.json"
    subprocess.run([sys.executable, str(paths.WORKER), "--scenario", str(TEST_SCENARIOS / "numpy_draw.py"),
                    "--recipe", "numpy", "--api", "none", "--backend", "none", "--out", str(out)],
                   env=env, capture_output=True, timeout=60)
    assert json.loads(out.read_text())["codepath"]["env"]["MKL_CBWR"] == "COMPATIBLE"


def test_an_ablation_drops_one_call_or_variable_and_records_it(tmp_path):
    done, result = run_worker(tmp_path, "full", extra=("--drop", "random.seed"))
    assert result["seed_calls"] == ["env PYTHONHASHSEED=0", "numpy.random.seed(1)"]
    assert result["seed_dropped"] == ["random.seed(1)"] and result["seed_drops"] == ["random.seed"]
    _, result = run_worker(tmp_path, "full", extra=("--drop", "env PYTHONHASHSEED"))
    assert "PYTHONHASHSEED" not in result["thread_env"]        # not set, not inherited
    assert result["seed_dropped"] == ["env PYTHONHASHSEED=None"]
    assert result["seed_calls"] == ["random.seed(1)", "numpy.random.seed(1)"]
