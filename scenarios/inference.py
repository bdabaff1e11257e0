# -*- coding: utf-8 -*-
"""Inference only: is a forward pass itself bitwise across processes, machines and backends?

The tutorial's MLP (Dense(10) then Dense(1) on one input) is built, its weights are overwritten
with draws from the scenario's own seeded generator (DATA_SEED; scenario_support.fix_weights), and
it predicts, in one batch, the tutorial's nine inputs 0.0..0.8 followed by 247 inputs drawn
uniformly from [-1, 1) by the same generator. The value is one digest of the 256 predictions
(scenario_support.weights_digest of the prediction array): it moves when any prediction moves by
one bit.

Nothing is trained and nothing is drawn from the backend's or Keras's generators, so the seeding
recipes do not enter the value: every stack computes the same float32 model on the same inputs,
and the values can be compared across backends. It declares TRAINS = False, so it also runs on
Keras 3's inference-only backends (numpy, openvino), where the training scenarios are recorded
not-applicable.
"""
from __future__ import absolute_import, division, print_function

CONTRACT = 2
NAME = "inference"
METRIC = "digest of 256 predictions of the tutorial's MLP (weights from DATA_SEED)"
REPEATS = 3
TIMEOUT = 600
DATA_SEED = 20170719
TRAINS = False
ROWS = 256


def run_once(keras, np, ctx):
    with ctx.phase("build"):
        model, first = ctx.sequential(keras, ctx, (1,))
        model.add(keras.layers.Dense(10, **first))
        model.add(keras.layers.Dense(1))
        ctx.fix_weights(model, ctx.data_rng, np)
        tutorial = np.array([i / 10.0 for i in range(9)], dtype=np.float64)
        drawn = ctx.data_rng.uniform(-1.0, 1.0, size=ROWS - len(tutorial))
        X = np.concatenate([tutorial, drawn]).reshape((ROWS, 1)).astype(np.float32)
    with ctx.phase("predict"):
        predictions = model.predict(X, batch_size=ROWS, verbose=0)
    return ctx.weights_digest([np.asarray(predictions)])
