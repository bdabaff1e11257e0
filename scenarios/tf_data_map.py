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
        model, first = ctx.sequential(keras, ctx, (8,))
        model.add(keras.layers.Dense(16, activation="relu", **first))
        model.add(keras.layers.Dense(1))
        ctx.fix_weights(model, rng, np)
        model.compile(loss="mse", optimizer="adam")
    with ctx.phase("fit"):
        history = model.fit(dataset, epochs=EPOCHS, verbose=0)
    ctx.loss_trace(history)
    return ctx.weights_digest(model)
