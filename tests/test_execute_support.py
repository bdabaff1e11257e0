"""scenario_support: the Keras 2/3 switches and the weights digest, checked without Keras."""
import math
import sys
import types
from fractions import Fraction

import numpy
import pytest

from harness.execute import worker

support = worker.load_support()


def exact_digest(arrays):
    """The documented definition, in exact rational arithmetic, rounded once at the end."""
    total, position = Fraction(0), 0
    for array in arrays:
        for weight in numpy.asarray(array, dtype=numpy.float64).ravel().tolist():
            total += Fraction(weight) * (1 + Fraction(position % 1021, 1024))
            position += 1
    return float(total)


def test_weights_digest_by_hand_and_by_its_definition():
    assert support.weights_digest([numpy.array([1.0, 2.0], dtype=numpy.float32)]) == 1.0 + 2.0 * (1 + 1 / 1024)
    rng = numpy.random.RandomState(0)
    arrays = [rng.standard_normal((40, 30)).astype(numpy.float32), rng.standard_normal(30).astype(numpy.float32),
              (rng.standard_normal((30, 1)) * 1e-6).astype(numpy.float32), numpy.zeros(1, numpy.float32)]
    assert support.weights_digest(arrays) == exact_digest(arrays)    # position 1021 wraps round


def test_weights_digest_sees_order_and_single_changes_and_reads_models():
    a = [numpy.array([[0.25, -1.5], [3.0, 0.125]], dtype=numpy.float32), numpy.array([0.5], numpy.float32)]
    swapped = [a[0][::-1].copy(), a[1]]
    nudged = [a[0].copy(), numpy.nextafter(a[1], numpy.float32(1))]
    digests = {support.weights_digest(x) for x in (a, swapped, nudged)}
    assert len(digests) == 3
    model = types.SimpleNamespace(get_weights=lambda: a)
    assert support.weights_digest(model) == support.weights_digest(a)
    assert math.isnan(support.weights_digest([numpy.array([1.0, numpy.inf])]))


class FakeLayers:
    def __init__(self, calls):
        self.calls = calls

    def Dense(self, units, **kwargs):
        self.calls.append(("Dense", units, kwargs))
        return ("Dense", units)

    def Input(self, shape):
        self.calls.append(("Input", shape))
        return ("Input", shape)


def fake_keras(version):
    calls = []
    keras = types.SimpleNamespace(layers=FakeLayers(calls), Input=lambda shape: ("keras.Input", shape))
    if version is not None:
        keras.__version__ = version
    model = types.SimpleNamespace(added=[])
    model.add = model.added.append
    return keras, model, calls


def test_dense_input_follows_the_keras_generation():
    keras, model, calls = fake_keras("3.15.1")
    support.dense_input(keras, model, 10, 1, activation="relu")
    assert model.added == [("keras.Input", (1,)), ("Dense", 10)] and calls == [("Dense", 10, {"activation": "relu"})]
    for version in ("2.0.3", "2.2.4-tf", None):          # None: tf.keras in TF >= 2.13 has no __version__
        keras, model, calls = fake_keras(version)
        support.dense_input(keras, model, 10, 1)
        assert model.added == [("Dense", 10)] and calls == [("Dense", 10, {"input_dim": 1})]
    keras, _, calls = fake_keras("2.3.1")
    assert support.input_layer(keras, [4]) == ("Input", (4,))


def test_keras_major_falls_back_to_the_providing_package(monkeypatch):
    """tf.keras in TF 2.16+ is keras._tf_keras.keras (Keras 3); in TF 2.13-2.15 keras.api._v2.keras."""
    for version, expected in (("3.15.1", 3), ("2.13.1", 2)):
        monkeypatch.setitem(sys.modules, "keras", types.SimpleNamespace(__version__=version))
        assert support.keras_major(types.SimpleNamespace(__name__="keras._tf_keras.keras")) == expected


def test_fit_timer_splits_the_first_epoch_from_the_rest(monkeypatch):
    class Callback:
        def __init__(self):
            self.base_initialised = True

    keras = types.SimpleNamespace(callbacks=types.SimpleNamespace(Callback=Callback))
    times = iter([10.0, 13.0, 20.0])
    monkeypatch.setattr(support, "clock", lambda: next(times))
    recorded = []
    timer = support.fit_timer(keras, lambda name, seconds: recorded.append((name, seconds)))
    assert isinstance(timer, Callback) and timer.base_initialised
    for epoch in range(3):
        timer.on_epoch_end(epoch, {})
    timer.on_train_end({})
    assert recorded == [("fit_first_epoch", 3.0), ("fit_later_epochs", 7.0)]


def test_loss_values_from_history_dict_or_list():
    history = types.SimpleNamespace(history={"loss": [numpy.float32(0.5), 0.25], "val_loss": [1.0, 2.0]})
    assert support.loss_values(history) == [0.5, 0.25]
    assert support.loss_values(history.history, "val_loss") == [1.0, 2.0]
    assert support.loss_values((3, 4)) == [3.0, 4.0]
    with pytest.raises(KeyError):
        support.loss_values({"accuracy": [1.0]})
