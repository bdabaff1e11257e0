# -*- coding: utf-8 -*-
"""Dropout with a seeded layer (seed=42): does a layer seed alone fix the dropout masks?

Dense(32, relu) -> Dropout(0.5) -> Dense(1) on 64 samples of made-up regression data, 4 epochs of
4 minibatches in a fixed order (shuffle=False). The initial weights are overwritten with draws from
the scenario's own generator (DATA_SEED) and nothing else is random, so the dropout masks are the
only randomness, and the layer carries its own seed: where it repeats under `none`, the layer
seed is enough.
The value is the digest of the trained weights.
"""
from __future__ import absolute_import, division, print_function

CONTRACT = 2
NAME = "dropout_seeded"
METRIC = "weights digest after 4 epochs with Dropout(0.5, seed=42)"
REPEATS = 3
TIMEOUT = 600
DATA_SEED = 20170101
SEED = 42
EPOCHS = 4
BATCH = 16


def run_once(keras, np, ctx):
    return ctx.dropout_mlp(keras, np, ctx, SEED, EPOCHS, BATCH)
