# -*- coding: utf-8 -*-
"""BatchNormalization: batch statistics and moving averages.

Dense(16) -> BatchNormalization -> relu -> Dense(1) on 64 samples, 4 epochs of 4 minibatches in a
fixed order. The initial weights are overwritten with draws from the scenario's own generator
(DATA_SEED) (gamma, beta and the moving statistics keep their constant initial values) and nothing
is random: a value that moves between processes comes from how the batch statistics are reduced.
The value is the digest of the trained weights, moving mean and variance included.
"""
from __future__ import absolute_import, division, print_function

CONTRACT = 2
NAME = "batchnorm"
METRIC = "weights digest after 4 epochs with BatchNormalization (moving statistics included)"
REPEATS = 3
TIMEOUT = 600
DATA_SEED = 20170107
EPOCHS = 4
BATCH = 16


def run_once(keras, np, ctx):
    rng = ctx.data_rng
    X = (3.0 * rng.normal(size=(64, 8)) + 1.0).astype("float32")
    y = (np.tanh(X[:, :1] - X[:, 1:2]) + 0.1 * rng.normal(size=(64, 1))).astype("float32")
    with ctx.phase("build"):
        model, first = ctx.sequential(keras, ctx, (8,))
        model.add(keras.layers.Dense(16, **first))
        model.add(keras.layers.BatchNormalization())
        model.add(keras.layers.Activation("relu"))
        model.add(keras.layers.Dense(1))
    return ctx.train(keras, np, ctx, model, X, y, EPOCHS, BATCH)
