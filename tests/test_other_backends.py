"""The backends beyond TensorFlow, Theano, CNTK, JAX and torch: keras-mxnet (mxnet), PlaidML
(plaidml) and Keras 3's inference-only numpy and openvino backends; their recipe calls, the
not-applicable rule for training scenarios, and the inference scenario.

The e2e tests run the worker in the real cell environments when they are built (`harness run
CELL` builds them; HARNESS_ENVS points at a shared folder), and skip, saying so, when not."""
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy
import pytest

from conftest import TEST_SCENARIOS
from harness import matrix, paths
from harness.execute import scenario_support, worker
from harness.provision import environments

ROOT = Path(__file__).resolve().parent.parent
INFERENCE = ROOT / "scenarios" / "inference.py"
CANONICAL = ROOT / "scenarios" / "canonical_mlp.py"
CELLS = {"numpy": "keras3.15.1-numpy-python3.11", "openvino": "keras3.15.1-openvino2026.4.1-python3.11",
         "mxnet": "keras-mxnet2.2.4.3-mxnet1.9.1-python3.8", "plaidml": "keras2.2.4-plaidml0.7.0-python3.7"}


def namespace(path):
    return worker.load_scenario(str(path))[0]


def run_worker(tmp_path, recipe, backend, api="none", scenario=TEST_SCENARIOS / "numpy_draw.py",
               python=sys.executable, env=None):
    out = tmp_path / f"{backend}-{recipe}-{Path(scenario).stem}.json"
    done = subprocess.run([str(python), str(paths.WORKER), "--scenario", str(scenario), "--recipe", recipe,
                           "--api", api, "--backend", backend, "--out", str(out)],
                          capture_output=True, text=True, timeout=600, env=env)
    return done, json.loads(out.read_text())


# ------------------------------------------------------------------ the matrix knows them
def test_the_matrix_defines_the_new_backends_cells_with_their_environment():
    m = matrix.load()
    for backend, name in CELLS.items():
        assert m.get(name).backend == backend
    plaidml = m.get(CELLS["plaidml"]).env_dict
    assert plaidml["KERAS_BACKEND"] == "plaidml.keras.backend"      # the cell's value, not the backend name
    assert plaidml["PLAIDML_DEVICE_IDS"] == "llvm_cpu.0" and plaidml["PLAIDML_EXPERIMENTAL"] == "1"
    assert m.get(CELLS["mxnet"]).env_dict["KERAS_BACKEND"] == "mxnet"
    for backend in ("numpy", "openvino"):
        assert m.get(CELLS[backend]).scenarios == ("inference", "canonical_mlp")


def test_an_unknown_backend_is_still_refused_by_name(tmp_path):
    with pytest.raises(matrix.MatrixError, match="backend 'mxnet2' is not one of"):
        matrix.expand({"cell": [{"name": "c", "api": "keras2", "backend": "mxnet2", "python": "3.8",
                                 "requirements": []}]}, tmp_path / "m.toml")


# ------------------------------------------------------------------ recipes
class FakeMxnet(types.ModuleType):
    """A stand-in for the mxnet module: MXNet's last release has no wheel for the host's Python
    (3.11), so the unit test records the call on this double; the e2e test below makes it for real."""

    def __init__(self):
        types.ModuleType.__init__(self, "mxnet")
        self.seeds = []
        self.random = types.SimpleNamespace(seed=self.seeds.append)


@pytest.mark.parametrize("recipe,seeded", [("numpy", False), ("tutorial", True), ("full", True),
                                           ("strict", True), ("portable", True)])
def test_mxnet_gets_its_own_seed_where_other_backends_get_theirs(recipe, seeded, monkeypatch):
    monkeypatch.setenv("MXNET_ENFORCE_DETERMINISM", "1")
    lib, log = FakeMxnet(), worker.SeedLog()
    worker.apply_before_keras(recipe, "mxnet", lib, log, "cpu", "keras2")
    assert ("mx.random.seed(2)" in log.calls) is seeded
    assert lib.seeds == ([worker.BACKEND_SEED] if seeded else [])
    assert ("env MXNET_ENFORCE_DETERMINISM=1" in log.calls) is (recipe == "strict")


def test_strict_on_mxnet_asks_for_its_deterministic_algorithms():
    assert worker.recipe_environment("strict", "mxnet", "cpu", {})["MXNET_ENFORCE_DETERMINISM"] == "1"
    assert "MXNET_ENFORCE_DETERMINISM" not in worker.recipe_environment("full", "mxnet", "cpu", {})
    assert worker.recipe_environment("portable", "mxnet", "cpu", {}, "keras2") == {"PYTHONHASHSEED": "0"}


@pytest.mark.parametrize("backend", ["plaidml", "numpy", "openvino"])
def test_backends_without_a_seed_call_record_why(backend):
    log = worker.SeedLog()
    worker.apply_before_keras("tutorial", backend, None, log, "cpu", "keras3")
    assert log.calls == ["numpy.random.seed(1)"]
    assert log.unavailable == [{"call": "backend seed", "why": worker.BACKEND_WITHOUT_SEED[backend]}]


def test_the_numpy_backend_runs_the_recipes_in_a_real_process(tmp_path):
    """Backend numpy imports numpy itself: the whole worker runs here, no Keras needed (api none)."""
    done, result = run_worker(tmp_path, "tutorial", "numpy")
    assert done.returncode == 0 and result["status"] == "ok", done.stderr[-2000:]
    assert result["seed_calls"] == ["numpy.random.seed(1)"]
    assert result["seed_unavailable"][0]["call"] == "backend seed"
    assert result["observed"]["devices"] == ["cpu"] and result["observed"]["device_used"] == "cpu"
    assert result["observed"]["backend_library"] == {"numpy": numpy.__version__}


# ------------------------------------------------------------------ training scenarios on inference-only backends
def test_training_scenarios_are_not_applicable_on_inference_only_backends():
    canonical = namespace(CANONICAL)
    for backend in ("numpy", "openvino"):
        reason = worker.inference_only_reason(canonical, "keras3", backend)
        assert "NotImplementedError" in reason and "inference only" in reason
        assert "canonical_mlp trains" in reason
        assert worker.inference_only_reason(namespace(INFERENCE), "keras3", backend) is None
    for backend in ("jax", "torch", "tensorflow", "mxnet", "plaidml"):
        assert worker.inference_only_reason(canonical, "keras3", backend) is None
    assert "TRAINS" not in canonical and namespace(INFERENCE)["TRAINS"] is False


# ------------------------------------------------------------------ the inference scenario
class Dense(object):
    def __init__(self, units, **kwargs):
        self.units, self.kwargs = units, kwargs


class NumpyMlp(object):
    """A float32 Dense stack written with numpy: a stand-in for a keras module that is not
    installed on the host, so the scenario's contract can be exercised in this process."""

    def __init__(self):
        self.layers, self.weights = [], []

    def add(self, layer):
        if isinstance(layer, Dense):
            width = layer.kwargs.get("input_shape", (self.layers[-1].units if self.layers else None,))[0]
            kernel = numpy.random.uniform(-1, 1, (width, layer.units)).astype(numpy.float32)  # an initialiser
            self.weights += [kernel, numpy.zeros(layer.units, numpy.float32)]
            self.layers.append(layer)

    def get_weights(self):
        return list(self.weights)

    def set_weights(self, arrays):
        self.weights = [numpy.asarray(a, numpy.float32) for a in arrays]

    def predict(self, X, batch_size=None, verbose=0):
        out = X
        for kernel, bias in zip(self.weights[::2], self.weights[1::2]):
            out = out @ kernel + bias
        return out


def fake_keras():
    return types.SimpleNamespace(models=types.SimpleNamespace(Sequential=NumpyMlp),
                                 layers=types.SimpleNamespace(Dense=Dense), __version__="2.2.4")


def inference_value(keras):
    scenario = namespace(INFERENCE)
    plan = worker.scenario_plan(scenario, str(INFERENCE))
    facts = worker.Facts(api="keras2", backend="none", device="cpu", keras="2.2.4", keras_major=2)
    ctx = worker.Context(scenario_support, keras, facts, plan["data_seed"])
    return scenario["run_once"](keras, numpy, ctx), ctx


def test_inference_is_the_digest_of_the_mlps_predictions_from_the_scenarios_own_generator():
    value, ctx = inference_value(fake_keras())
    assert set(ctx.phases) == {"build", "predict"}
    # the same model written out by hand: weights then 247 inputs from RandomState(DATA_SEED)
    rng = numpy.random.RandomState(namespace(INFERENCE)["DATA_SEED"])
    w1 = rng.uniform(-numpy.sqrt(6 / 11), numpy.sqrt(6 / 11), (1, 10)).astype(numpy.float32)
    w2 = rng.uniform(-numpy.sqrt(6 / 11), numpy.sqrt(6 / 11), (10, 1)).astype(numpy.float32)
    X = numpy.concatenate([numpy.arange(9) / 10.0, rng.uniform(-1, 1, 247)]).astype(numpy.float32)
    predictions = (X.reshape(256, 1) @ w1) @ w2
    assert value == scenario_support.weights_digest([predictions])
    assert inference_value(fake_keras())[0] == value        # a fresh ctx: the same data again


def test_inference_runs_under_the_worker_with_the_same_value_for_every_recipe(tmp_path):
    """No recipe enters the value (nothing is drawn from a seeded generator): the real worker, two
    processes, unseeded and fully seeded, on the hand-written MLP module above."""
    module = tmp_path / "keras.py"
    module.write_text("from test_other_backends import fake_keras\nmodels = fake_keras().models\n"
                      "layers = fake_keras().layers\n__version__ = '2.2.4'\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT / "tests"), str(ROOT)]))
    values = []
    for recipe in ("none", "full"):
        done, result = run_worker(tmp_path, recipe, "none", api="keras2", scenario=INFERENCE, env=env)
        assert result["status"] == "ok", done.stderr[-2000:]
        values.append(result["values_hex"])
    assert values[0] == values[1] and len(set(values[0])) == 1


# ------------------------------------------------------------------ e2e in the real environments
def built(backend):
    """The cell's real environment, built from its lock when it is not there yet (as `harness run`
    builds it)."""
    cell = matrix.load().get(CELLS[backend])
    envs = Path(os.environ.get("HARNESS_ENVS", ROOT / ".envs"))
    outcome = environments.ensure(cell, envs)
    assert outcome.status == "ok", f"{cell.name} did not build: {outcome.error}"
    return cell, environments.env_python(environments.env_path(cell, envs))


def cell_env(cell):
    return dict(os.environ, **cell.env_dict)


@pytest.mark.e2e
def test_numpy_backend_runs_inference_and_declines_training_for_real(tmp_path):
    cell, python = built("numpy")
    done, result = run_worker(tmp_path, "full", "numpy", "keras3", INFERENCE, python, cell_env(cell))
    assert result["status"] == "ok", done.stderr[-2000:]
    assert result["observed"]["backend_reported"] == "numpy"
    expected, _ = inference_value(fake_keras())      # numpy float32 by hand, the same weights and inputs
    assert all(abs(v - expected) <= 1e-6 * abs(expected) for v in result["values"])
    done, result = run_worker(tmp_path, "full", "numpy", "keras3", CANONICAL, python, cell_env(cell))
    assert done.returncode == 0 and result["status"] == "not-applicable"
    assert "fit raises NotImplementedError" in result["reason"]


@pytest.mark.e2e
def test_mxnet_seeds_itself_and_reports_its_features_for_real(tmp_path):
    cell, python = built("mxnet")
    done, result = run_worker(tmp_path, "tutorial", "mxnet", "none", python=python, env=cell_env(cell))
    assert result["status"] == "ok", done.stderr[-2000:]
    assert result["seed_calls"] == ["numpy.random.seed(1)", "mx.random.seed(2)"]
    features = result["codepath"]["mxnet"]
    assert features["version"] == "1.9.1" and isinstance(features["mkldnn"], bool)
    assert set(features["blas"]) <= set(features["features_enabled"])


@pytest.mark.e2e
def test_openvino_backend_runs_inference_on_its_cpu_device_for_real(tmp_path):
    cell, python = built("openvino")
    done, result = run_worker(tmp_path, "none", "openvino", "keras3", INFERENCE, python, cell_env(cell))
    assert result["status"] == "ok", done.stderr[-2000:]
    assert result["observed"]["device_used"] == "cpu" and "CPU" in result["observed"]["devices"]
    expected, _ = inference_value(fake_keras())
    assert all(abs(v - expected) <= 1e-6 * abs(expected) for v in result["values"])
    facts = result["codepath"]["openvino"]
    assert facts["version"].startswith("2026.4.1")
    assert isinstance(facts["inference_precision"], str)     # float32 here; bf16 where the CPU has it


def test_the_summary_says_a_scenario_does_not_apply_rather_than_that_nothing_repeats(tmp_path):
    """On the committed records of the numpy backend: canonical_mlp is not-applicable under every
    recipe, and the published summary gives the reason instead of 'no recipe is bitwise'."""
    import shutil
    from harness.report import site
    from support import load
    name, machine = CELLS["numpy"], "fc9bdb106a"
    source = ROOT / "results" / "records" / machine / name
    if not (source / "canonical_mlp").is_dir():
        pytest.skip(f"no committed records of {name} on {machine}")
    shutil.copytree(source, tmp_path / "records" / machine / name)
    (tmp_path / "machines").mkdir()
    shutil.copy(ROOT / "results" / "machines" / f"{machine}.json", tmp_path / "machines")
    rs, found = load(tmp_path)
    rows, _, main = site.grid_stacks(found, site.builtin_scenarios(), rs.machine_infos())
    assert main == "canonical_mlp"
    [(api, label, text)] = site.answer_sentences([s for s in rows if s.scenario == main])
    assert "the scenario does not apply on its 1 stack(s) (Keras 3's numpy backend implements " \
        "inference only" in text and "bitwise" not in text
    [(_, _, inference)] = site.answer_sentences([s for s in rows if s.scenario == "inference"])
    assert "the weakest bitwise recipe is none on 1 of 1 stack(s)" in inference
