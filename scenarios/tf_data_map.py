# -*- coding: utf-8 -*-
"""A tf.data pipeline whose map draws random numbers, with parallel calls (TensorFlow 2 only).

The training data flow through tf.data.Dataset.from_tensor_slices(...).map(add noise,
num_parallel_calls=4).batch(16): the map adds tf.random.uniform noise (no op seed) to every
sample, and four calls run side by side. Dense(16, relu) -> Dense(1), 4 epochs; the initial weights
are overwritten with draws from the scenario's own generator (DATA_SEED). The noise is the only
randomness; which sample receives which draw depends on the order in which the parallel calls
reach the random op. The value is the digest of the trained weights.

Not applicable where TensorFlow 2 is not the backend: TF 1.1 has no tf.data (it came in 1.4) and
Keras 2.0.3 cannot fit a dataset; Keras 3 on JAX or PyTorch has no TensorFlow in its environment.
"""
from __future__ import absolute_import, division, print_function

CONTRACT = 2
NAME = "tf_data_map"
METRIC = "weights digest after 4 epochs on a tf.data map with random noise, num_parallel_calls=4"
REPEATS = 3
TIMEOUT = 600
DATA_SEED = 20170103
EPOCHS = 4
BATCH = 16
PARALLEL_CALLS = 4


def applies(info):
    if info.backend != "tensorflow":
        return "tf.data needs the TensorFlow backend (this cell runs %s)" % info.backend
    major = str(info.backend_version or "").split(".")[0]
    if major != "2":
        return "TensorFlow %s: tf.data.Dataset.map with num_parallel_calls and model.fit(dataset) " \
               "need TensorFlow 2" % info.backend_version
    return True


def run_once(keras, np, ctx):
    import tensorflow as tf
    rng = ctx.data_rng
    X = rng.normal(size=(64, 8)).astype("float32")
    y = (X[:, :1] * X[:, 1:2] + 0.1 * rng.normal(size=(64, 1))).astype("float32")

    def noisy(features, target):
        return features + tf.random.uniform(tf.shape(features), -0.3, 0.3), target

    dataset = tf.data.Dataset.from_tensor_slices((X, y)).map(noisy, num_parallel_calls=PARALLEL_CALLS)
    dataset = dataset.batch(BATCH)
    with ctx.phase("build"):
        model, first = sequential(keras, ctx, (8,))
        model.add(keras.layers.Dense(16, activation="relu", **first))
        model.add(keras.layers.Dense(1))
        fix_weights(model, rng, np)
        model.compile(loss="mse", optimizer="adam")
    with ctx.phase("fit"):
        history = model.fit(dataset, epochs=EPOCHS, verbose=0)
    ctx.loss_trace(history)
    return ctx.weights_digest(model)


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
