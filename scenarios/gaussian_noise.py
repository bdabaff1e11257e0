# -*- coding: utf-8 -*-
"""A noise layer: GaussianNoise(0.3) with seed=None, on every stack.

6x6x1 made-up images -> GaussianNoise(0.3) -> Flatten -> Dense(1), 4 epochs of 4 minibatches in a
fixed order. The initial weights are overwritten with draws from the scenario's own generator
(DATA_SEED), so the noise is the only randomness. Every Keras has GaussianNoise, so every stack
runs the same model (with `random_flip`, this replaces `noise_layers`, which built RandomFlip +
GaussianNoise where the stack had RandomFlip and GaussianNoise alone on Keras 2.0.3). The value
is the digest of the trained weights.
"""
from __future__ import absolute_import, division, print_function

CONTRACT = 2
NAME = "gaussian_noise"
METRIC = "weights digest after 4 epochs through GaussianNoise(0.3)"
REPEATS = 3
TIMEOUT = 600
DATA_SEED = 20170104
EPOCHS = 4
BATCH = 16


def run_once(keras, np, ctx):
    rng = ctx.data_rng
    X = rng.normal(size=(64, 6, 6, 1)).astype("float32")
    y = (X[:, :3, :, 0].mean(axis=(1, 2)) - X[:, 3:, :, 0].mean(axis=(1, 2))).reshape(64, 1)
    y = y.astype("float32")
    with ctx.phase("build"):
        model, first = ctx.sequential(keras, ctx, (6, 6, 1))
        model.add(keras.layers.GaussianNoise(0.3, **first))
        model.add(keras.layers.Flatten())
        model.add(keras.layers.Dense(1))
    return ctx.train(keras, np, ctx, model, X, y, EPOCHS, BATCH)
