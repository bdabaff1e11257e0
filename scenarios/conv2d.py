# -*- coding: utf-8 -*-
"""Conv2D + MaxPooling2D: convolutions and their gradients.

8x8x1 made-up images -> Conv2D(4, 3x3, relu) -> MaxPooling2D(2x2) -> Flatten -> Dense(1), 4 epochs of
4 minibatches in a fixed order. The initial weights are overwritten with draws from the scenario's
own generator (DATA_SEED) and nothing is random: a value that moves between processes comes from
the convolution algorithms (on CPU, oneDNN or Eigen; on GPUs, cuDNN's algorithm choice). The value
is the digest of the trained weights.
"""
from __future__ import absolute_import, division, print_function

CONTRACT = 2
NAME = "conv2d"
METRIC = "weights digest after 4 epochs of Conv2D + MaxPooling2D"
REPEATS = 3
TIMEOUT = 600
DATA_SEED = 20170106
EPOCHS = 4
BATCH = 16


def run_once(keras, np, ctx):
    rng = ctx.data_rng
    X = rng.normal(size=(64, 8, 8, 1)).astype("float32")
    y = (X[:, 2:6, 2:6, 0].mean(axis=(1, 2)) + 0.05 * rng.normal(size=64)).reshape(64, 1).astype("float32")
    with ctx.phase("build"):
        model, first = ctx.sequential(keras, ctx, (8, 8, 1))
        model.add(keras.layers.Conv2D(4, (3, 3), activation="relu", **first))
        model.add(keras.layers.MaxPooling2D((2, 2)))
        model.add(keras.layers.Flatten())
        model.add(keras.layers.Dense(1))
    return ctx.train(keras, np, ctx, model, X, y, EPOCHS, BATCH)
