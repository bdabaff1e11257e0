# -*- coding: utf-8 -*-
"""Minibatches with fit(shuffle=True): which seeds fix the order of the samples.

Dense(16, relu) -> Dense(1) on 64 samples, 4 epochs of 4 minibatches of 16, shuffled every epoch.
The initial weights are overwritten with draws from the scenario's own generator (DATA_SEED) and
the model has no random layer, so the shuffling is the only randomness: the matrix shows which
recipe seeds the generator fit() shuffles with. The value is the digest of the trained weights.
"""
from __future__ import absolute_import, division, print_function

CONTRACT = 2
NAME = "shuffle"
METRIC = "weights digest after 4 epochs of shuffled minibatches"
REPEATS = 3
TIMEOUT = 600
DATA_SEED = 20170102
EPOCHS = 4
BATCH = 16


def run_once(keras, np, ctx):
    rng = ctx.data_rng
    X = rng.normal(size=(64, 8)).astype("float32")
    y = (np.sin(X[:, :1]) + 0.1 * rng.normal(size=(64, 1))).astype("float32")
    with ctx.phase("build"):
        model, first = ctx.sequential(keras, ctx, (8,))
        model.add(keras.layers.Dense(16, activation="relu", **first))
        model.add(keras.layers.Dense(1))
    return ctx.train(keras, np, ctx, model, X, y, EPOCHS, BATCH, shuffle=True)
