# -*- coding: utf-8 -*-
"""The same model at every core of the machine (compare with threads_one, at 1 thread).

Dense(256, relu) -> Dense(1) on 512 samples of 128 features, 3 epochs of 4 minibatches of 128 in a
fixed order; the initial weights are overwritten with draws from the scenario's own generator
(DATA_SEED) and nothing is random. threads_one.py is this file with THREADS = 1:
the two scenarios share model, data and training, so where their bitwise fingerprints differ on a
cell, the thread count alone changed the numbers.

How the thread count is set, and where it cannot be: scenario_support.set_threads.

Under the strict recipe this scenario's setting replaces the recipe's single thread (threads_all
then runs strict's determinism switches at every core).
"""
from __future__ import absolute_import, division, print_function

CONTRACT = 2
NAME = "threads_all"
METRIC = "weights digest after 3 epochs of Dense(256) at every core"
REPEATS = 3
TIMEOUT = 600
DATA_SEED = 20170109
THREADS = None       # every core this process may use (threads_one: 1)
EPOCHS = 3
BATCH = 128


def applies(info):
    import scenario_support
    return scenario_support.threads_applies(info, THREADS, NAME)


def run_once(keras, np, ctx):
    return ctx.threads_mlp(keras, np, ctx, EPOCHS, BATCH)
