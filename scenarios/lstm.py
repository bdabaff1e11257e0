# -*- coding: utf-8 -*-
"""A small LSTM: a recurrent loop and its backpropagation through time.

Sequences of 5 steps of 3 features -> LSTM(8) -> Dense(1), 4 epochs of 4 minibatches in a fixed
order. The initial weights are overwritten with draws from the scenario's own generator
(DATA_SEED) and nothing is random (no dropout inside the LSTM): a value that moves between
processes comes from the recurrent kernels (Theano's scan, TF's while loop or fused kernels,
JAX's scan, PyTorch's loop). The value is the digest of the trained weights.
"""
from __future__ import absolute_import, division, print_function

CONTRACT = 2
NAME = "lstm"
METRIC = "weights digest after 4 epochs of LSTM(8)"
REPEATS = 3
TIMEOUT = 900
DATA_SEED = 20170108
EPOCHS = 4
BATCH = 16


def run_once(keras, np, ctx):
    rng = ctx.data_rng
    X = rng.normal(size=(64, 5, 3)).astype("float32")
    y = (X[:, :, 0].sum(axis=1, keepdims=True) * 0.3 + 0.05 * rng.normal(size=(64, 1))).astype("float32")
    with ctx.phase("build"):
        model, first = ctx.sequential(keras, ctx, (5, 3))
        model.add(keras.layers.LSTM(8, **first))
        model.add(keras.layers.Dense(1))
    return ctx.train(keras, np, ctx, model, X, y, EPOCHS, BATCH)
