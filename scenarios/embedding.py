# -*- coding: utf-8 -*-
"""Embedding with repeated ids: gradients that add up into the same rows.

Sequences of 6 ids drawn from only 10 ids (every batch hits each row many times) -> Embedding(10, 4)
-> GlobalAveragePooling1D -> Dense(1), 4 epochs of 4 minibatches in a fixed order. The initial
weights are overwritten with draws from the scenario's own generator (DATA_SEED) and nothing is
random: a value that moves between processes comes from how the repeated rows' gradients are
summed (sparse updates; on GPUs, atomics). The value is the digest of the trained weights.
"""
from __future__ import absolute_import, division, print_function

CONTRACT = 2
NAME = "embedding"
METRIC = "weights digest after 4 epochs of Embedding(10, 4) on repeated ids"
REPEATS = 3
TIMEOUT = 600
DATA_SEED = 20170105
EPOCHS = 4
BATCH = 16


def run_once(keras, np, ctx):
    rng = ctx.data_rng
    ids = rng.randint(0, 10, size=(64, 6)).astype("int32")
    y = ((ids % 3 == 0).mean(axis=1, keepdims=True) + 0.05 * rng.normal(size=(64, 1))).astype("float32")
    with ctx.phase("build"):
        model, first = ctx.sequential(keras, ctx, (6,), dtype="int32")
        model.add(keras.layers.Embedding(10, 4, **first))
        model.add(keras.layers.GlobalAveragePooling1D())
        model.add(keras.layers.Dense(1))
    return ctx.train(keras, np, ctx, model, ids, y, EPOCHS, BATCH)
