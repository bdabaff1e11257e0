# -*- coding: utf-8 -*-
"""Dropout with seed=None: which seeds fix the dropout masks.

Dense(32, relu) -> Dropout(0.5) -> Dense(1) on 64 samples of made-up regression data, 4 epochs of
4 minibatches in a fixed order (shuffle=False). The initial weights are overwritten with draws from
the scenario's own generator (DATA_SEED) and nothing else is random, so the dropout masks are the
only randomness: the matrix shows which recipe seeds the generator that Dropout(seed=None) reads.
The value is the digest of the trained weights.
"""
from __future__ import absolute_import, division, print_function

CONTRACT = 2
NAME = "dropout_unseeded"
METRIC = "weights digest after 4 epochs with Dropout(0.5, seed=None)"
REPEATS = 3
TIMEOUT = 600
DATA_SEED = 20170101
SEED = None
EPOCHS = 4
BATCH = 16


def run_once(keras, np, ctx):
    rng = ctx.data_rng
    X = rng.normal(size=(64, 8)).astype("float32")
    y = (X[:, :1] - 0.5 * X[:, 1:2] + 0.1 * rng.normal(size=(64, 1))).astype("float32")
    with ctx.phase("build"):
        model, first = sequential(keras, ctx, (8,))
        model.add(keras.layers.Dense(32, activation="relu", **first))
        model.add(keras.layers.Dropout(0.5, seed=SEED))
        model.add(keras.layers.Dense(1))
    return train(keras, np, ctx, model, X, y, EPOCHS, BATCH)


# ---- helpers (each built-in scenario carries its own copy: a scenario is one self-contained file)
def sequential(keras, ctx, shape, dtype=None):
    """An empty Sequential model and the keyword arguments its first layer takes: Keras 3 takes the
    input from a keras.Input object, Keras 2 (standalone, tf.keras, tf-keras) from input_shape."""
    model = keras.models.Sequential()
    if ctx.keras_major is not None and ctx.keras_major >= 3:
        model.add(keras.Input(shape=shape, dtype=dtype) if dtype else keras.Input(shape=shape))
        return model, {}
    return model, {"input_shape": shape}


def fix_weights(model, rng, np):
    """Overwrite every randomly initialised weight array with uniform draws from the scenario's own
    data generator (Glorot limits from the array's shape), so that the initialisers' generator plays
    no part; arrays an initialiser filled with one constant (zeros, ones) are kept as they are."""
    arrays = []
    for array in model.get_weights():
        array = np.asarray(array)
        if array.size == 0 or np.all(array == array.flat[0]):
            arrays.append(array)
            continue
        if array.ndim >= 2:
            receptive = int(np.prod(array.shape[:-2])) if array.ndim > 2 else 1
            fan_in, fan_out = array.shape[-2] * receptive, array.shape[-1] * receptive
            limit = float(np.sqrt(6.0 / (fan_in + fan_out)))
        else:
            limit = 0.1
        arrays.append(rng.uniform(-limit, limit, size=array.shape).astype(array.dtype))
    model.set_weights(arrays)


def train(keras, np, ctx, model, X, y, epochs, batch_size, shuffle=False):
    """Fix the initial weights, compile with MSE and Adam, fit, keep the loss trace; the digest of
    the trained weights (every weight array, trainable or not) is the repeat's value."""
    with ctx.phase("build"):
        fix_weights(model, ctx.data_rng, np)
        model.compile(loss="mse", optimizer="adam")
    with ctx.phase("fit"):
        history = model.fit(X, y, epochs=epochs, batch_size=batch_size, shuffle=shuffle, verbose=0)
    ctx.loss_trace(history)
    return ctx.weights_digest(model)
