"""Keras 1 (the 2016 API) as an API generation of the matrix: its cells, the recipes it takes
(standalone Keras 2's: the same TensorFlow 1.x session calls) and the one API difference the
canonical scenario meets, fit(epochs=N), which Keras 1 spells fit(nb_epoch=N).

The unit tests here need no Keras: the adapter is exercised on a stand-in class that refuses
unknown keywords the way Keras 1.2.2's Model.fit does (a real Keras 1 cannot be imported by the
orchestrator's Python 3.11). The e2e tests run the real canonical scenario in the real Keras 1.2.2
cell environments (built or reused by the harness)."""
import json
import subprocess
import types

import pytest

from harness import inputs, matrix, paths
from harness.derive import portability, verdicts
from harness.execute import worker

KERAS1_CELLS = ("keras1.2.2-tensorflow1.1.0-python3.6", "keras1.2.2-tensorflow1.1.0-python2.7",
                "keras1.2.2-theano0.9.0-python3.6", "keras1.2.2-theano0.9.0-python2.7")


def test_the_keras1_cells_are_in_the_matrix_with_their_backend_set(root):
    m = matrix.load(root / "matrix.toml")
    for name in KERAS1_CELLS:
        cell = m.get(name)
        assert cell.api == "keras1" and cell.requirements[0] == "keras==1.2.2"
        assert cell.env_dict["KERAS_BACKEND"] == cell.backend      # Keras 1 reads it like Keras 2
        assert "keras1" in cell.tags and "default" not in cell.tags
    assert {c.name for c in m.select(tags=["keras1"])} == set(KERAS1_CELLS)


def test_keras1_takes_the_recipes_of_standalone_keras2():
    assert worker.recipe_api("keras1") == "keras2"
    assert worker.recipe_api("tf.keras") == "tf.keras"
    view = worker.recipe_view(types.SimpleNamespace(api="keras1", recipe="portable"))
    assert (view.api, view.recipe) == ("keras2", "portable")
    # portable on a TF 1.x session builds on strict (single-threaded), as for Keras 2
    env = worker.recipe_environment("portable", "tensorflow", "cpu", {}, worker.recipe_api("keras1"))
    assert env["TF_NUM_INTRAOP_THREADS"] == "1" and env["TF_ENABLE_ONEDNN_OPTS"] == "0"
    assert portability.portable_base("keras1", "tensorflow") == "strict"
    assert portability.portable_base("keras1", "theano") == "full"


def test_a_keras1_session_needs_the_racy_minimum_of_processes():
    assert verdicts.minimum_processes("keras1", "tensorflow") == verdicts.MIN_PROCESSES_RACY
    assert verdicts.minimum_processes("keras1", "theano") == verdicts.MIN_PROCESSES
    assert verdicts.minimum_processes("tf.keras", "tensorflow") == verdicts.MIN_PROCESSES


def test_tf_keras_inside_tensorflow_1_needs_the_racy_minimum_too():
    """tf.keras on TF 1.x runs a TF 1.x session (strict on TF 1.4.1 agreed in 9 of 10 fits, then
    differed): its bitwise verdicts need as many processes as standalone Keras on TF 1.x."""
    from harness import matrix
    cells = {c.name: c for c in matrix.load().cells}
    for name in ("tf.keras-tensorflow1.4.1-python3.6", "tf.keras-tensorflow1.8.0-python3.6",
                 "tf.keras-tensorflow1.15.5-python3.6"):
        cell = cells[name]
        assert verdicts.minimum_processes(cell.api, cell.backend, cell.requirements) == 10, name
    for name in ("tf.keras-tensorflow2.12.1-python3.11", "tf-keras2.21.0-tensorflow2.21.0-python3.11"):
        cell = cells[name]
        assert verdicts.minimum_processes(cell.api, cell.backend, cell.requirements) == 5, name
    assert verdicts.minimum_processes("tf.keras", "tensorflow", ["tensorflow-gpu == 1.15.5"]) == 10
    assert verdicts.minimum_processes("tf.keras", "tensorflow", ["tensorflow==10.1"]) == 5
    assert verdicts.minimum_processes("tf.keras", "tensorflow", ["tensorflow<2"]) == 10
    assert verdicts.minimum_processes("tf.keras", "tensorflow", ["tensorflow~=1.15.0"]) == 10
    assert verdicts.minimum_processes("tf.keras", "tensorflow", ["tensorflow_cpu==1.15.5"]) == 10
    assert verdicts.minimum_processes("tf.keras", "tensorflow", ["tensorflow>=1.15"]) == 5   # admits 2.x
    assert verdicts.minimum_processes("tf.keras", "tensorflow", ["tensorflow<20"]) == 5
    assert verdicts.minimum_processes("tf.keras", "tensorflow", ["tensorflow<2.1"]) == 5     # admits 2.0
    assert verdicts.minimum_processes("tf.keras", "tensorflow", ["tensorflow>=1.4,<2.0"]) == 10
    assert verdicts.minimum_processes("tf.keras", "tensorflow", ["tensorflow==1.*"]) == 10
    assert verdicts.minimum_processes("tf.keras", "tensorflow", ["tensorflow"]) == 5
    assert verdicts.minimum_processes("tf.keras", "tensorflow", ["not a requirement ==="]) == 5
    assert verdicts.minimum_processes("tf.keras", "tensorflow", ["tensorboard==1.15.0"]) == 5
    assert verdicts.minimum_processes("tf.keras", "theano", ["tensorflow==1.4.1"]) == 5


def test_the_keras1_mapping_leaves_the_recipe_code_and_so_every_record_current():
    """The mapping lives outside the functions the recipes run: the recipe code hash, an input
    of every record, does not see it."""
    names = inputs.recipe_names(inputs._definitions(__import__("ast").parse(paths.WORKER.read_text())))
    assert not {"recipe_api", "recipe_view", "adapt_keras1", "RECIPE_API"} & names


class Keras1Model(object):
    """Keras 1.2.2's Model.fit signature: nb_epoch, and a TypeError for any other keyword."""

    def fit(self, x=None, y=None, batch_size=32, nb_epoch=10, verbose=1, **kwargs):
        if kwargs:
            raise TypeError("Received unknown keyword arguments: " + str(kwargs))
        return (x, y, batch_size, nb_epoch, verbose)


def keras1_module():
    class Sequential(Keras1Model):
        def fit(self, x, y, batch_size=32, nb_epoch=10, verbose=1, **kwargs):
            return Keras1Model.fit(self, x, y, batch_size=batch_size, nb_epoch=nb_epoch, verbose=verbose,
                                   **kwargs)
    training = types.SimpleNamespace(Model=type("Model", (Keras1Model,), {"fit": Keras1Model.__dict__["fit"]}))
    return types.SimpleNamespace(models=types.SimpleNamespace(Sequential=Sequential),
                                 engine=types.SimpleNamespace(training=training))


def test_the_adapter_passes_epochs_as_nb_epoch_and_nothing_else():
    keras = keras1_module()
    with pytest.raises(TypeError, match="unknown keyword"):
        keras.models.Sequential().fit([1], [2], epochs=100)           # Keras 1 as it is
    adapted = worker.adapt_keras1(keras)
    assert adapted == ["Sequential.fit(epochs=N) -> fit(nb_epoch=N)", "Model.fit(epochs=N) -> fit(nb_epoch=N)"]
    assert keras.models.Sequential().fit([1], [2], epochs=100, batch_size=9, verbose=0) == ([1], [2], 9, 100, 0)
    assert keras.engine.training.Model().fit([1], [2], epochs=7) == ([1], [2], 32, 7, 1)
    assert keras.models.Sequential().fit([1], [2], nb_epoch=3) == ([1], [2], 32, 3, 1)   # its own spelling
    with pytest.raises(TypeError, match="both epochs and nb_epoch"):
        keras.models.Sequential().fit([1], [2], epochs=3, nb_epoch=4)
    with pytest.raises(TypeError, match="unknown keyword"):
        keras.models.Sequential().fit([1], [2], epochs=3, shuffle_seed=1)   # other keywords still refused


# ---- the real Keras 1.2.2 environments -----------------------------------------------------------
def python_of(name):
    """The cell's interpreter, its environment built or reused by the harness (a failed build
    fails the test; it does not skip)."""
    from harness.provision import environments
    outcome = environments.ensure(matrix.load().get(name), paths.envs_dir())
    assert outcome.status == "ok", outcome.error
    return outcome.python


def run_canonical(tmp_path, cell, recipe, tag):
    out = tmp_path / f"{tag}.json"
    backend = matrix.load().get(cell).backend
    done = subprocess.run([python_of(cell), str(paths.WORKER), "--scenario", str(paths.root() / "scenarios" / "canonical_mlp.py"),
                           "--recipe", recipe, "--api", "keras1", "--backend", backend, "--repeats", "2",
                           "--out", str(out)], capture_output=True, text=True, timeout=900,
                          env=dict(__import__("os").environ, KERAS_BACKEND=backend))
    result = json.loads(out.read_text())
    assert result["status"] == "ok", (result.get("error"), done.stderr[-2000:])
    return result


@pytest.mark.e2e
@pytest.mark.parametrize("cell", ["keras1.2.2-theano0.9.0-python3.6", "keras1.2.2-tensorflow1.1.0-python3.6"])
def test_the_canonical_scenario_runs_unchanged_on_real_keras1(tmp_path, cell):
    first = run_canonical(tmp_path, cell, "strict", "a")
    again = run_canonical(tmp_path, cell, "strict", "b")
    assert first["observed"]["keras"] == "1.2.2" and first["api"] == "keras1"
    assert first["observed"]["backend_reported"] == matrix.load().get(cell).backend
    assert first["api_adapter"][0] == "Sequential.fit(epochs=N) -> fit(nb_epoch=N)"
    assert first["values_hex"] == again["values_hex"]          # strict: the same doubles in a fresh process
    assert first["values"][0] != first["values"][1]            # each repeat trains a fresh model
    assert all(0 < v < 1 for v in first["values"])             # an MSE on targets in [0.1, 0.9]
    if "tensorflow" in cell:
        assert "tf.set_random_seed(2)" in first["seed_calls"]
        assert "K.set_session(tf.Session(config=ConfigProto(intra_op=1, inter_op=1)))" in first["seed_calls"]
    assert {"call": "keras.utils.set_random_seed", "why": "not provided by this Keras"} in first["seed_unavailable"]


def test_tf1_keras_version_is_read_from_its_implementation_not_taken_from_tensorflow(monkeypatch):
    """TensorFlow 1.8's generated tf.keras module has no __version__; its implementation module
    says 2.1.5-tf. Stand-in modules here: the real one runs in the tf.keras-tensorflow1.8.0 cell."""
    generated = types.ModuleType("tensorflow.tools.api.generator.api.keras")
    implementation = types.ModuleType("tensorflow.python.keras")
    implementation.__version__ = "2.1.5-tf"
    monkeypatch.setitem(__import__("sys").modules, "tensorflow.python.keras", implementation)
    assert worker.keras_version(generated) == "2.1.5-tf"
    monkeypatch.delitem(__import__("sys").modules, "tensorflow.python.keras")
    package = types.ModuleType("tensorflow")
    package.__version__ = "1.8.0"
    monkeypatch.setitem(__import__("sys").modules, "tensorflow", package)
    assert worker.keras_version(generated) == "1.8.0"     # no implementation module: the package's
