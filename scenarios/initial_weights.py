# -*- coding: utf-8 -*-
"""Initial weights only: which seeds fix a fresh model's initialisation.

Builds four small models without training them - Dense (Glorot uniform kernel), Conv2D (Glorot
uniform), LSTM (Glorot uniform and orthogonal recurrent kernel) and Embedding (uniform) - and
returns one digest of all their weights (scenario_support.weights_digest). Nothing is trained, so
the value moves only when an initialiser draws other numbers: the matrix shows which recipe
seeds the generator the initialisers of each stack read.
"""
from __future__ import absolute_import, division, print_function

CONTRACT = 2
NAME = "initial_weights"
METRIC = "weights digest of four fresh models (Dense, Conv2D, LSTM, Embedding)"
REPEATS = 3
TIMEOUT = 600


def run_once(keras, np, ctx):
    layers = keras.layers
    digests = []
    with ctx.phase("build"):
        dense, first = ctx.sequential(keras, ctx, (8,))
        dense.add(layers.Dense(16, activation="relu", **first))
        dense.add(layers.Dense(1))
        conv, first = ctx.sequential(keras, ctx, (6, 6, 1))
        conv.add(layers.Conv2D(4, (3, 3), **first))
        conv.add(layers.Flatten())
        conv.add(layers.Dense(1))
        lstm, first = ctx.sequential(keras, ctx, (5, 3))
        lstm.add(layers.LSTM(4, **first))
        lstm.add(layers.Dense(1))
        embed, first = ctx.sequential(keras, ctx, (6,), dtype="int32")
        embed.add(layers.Embedding(10, 4, **first))
        embed.add(layers.GlobalAveragePooling1D())
        embed.add(layers.Dense(1))
    with ctx.phase("digest"):
        for model in (dense, conv, lstm, embed):
            digests.append(ctx.weights_digest(model))
    # one number: the digests weighted by position, so that swapping two models changes it
    return sum((index + 1) * value for index, value in enumerate(digests))
