# -*- coding: utf-8 -*-
"""A user's own model, as `harness run --scenario docs/examples/my_model.py` runs it.

A small two-class classifier on made-up data, written the way a user writes one: the default
initialisers, Dropout without a seed, fit() shuffling the samples (its default), a validation
split. Every source of randomness of the built-in scenarios is on at once; the matrix then says
which recipe this model needs on each stack. The value of one repeat is the loss on held-out data.

A scenario file runs inside each cell's environment: standard library and numpy only at the top
level (the cell's keras module is passed in), valid Python 2.7 and 3.6 syntax where old cells
should run it. Contract 2 (see harness/execute/worker.py): CONTRACT, NAME, METRIC, REPEATS,
optional TIMEOUT, DATA_SEED and applies(info); run_once(keras, np, ctx) returns one float.
"""
from __future__ import absolute_import, division, print_function

CONTRACT = 2
NAME = "my_model"            # records go to results/records/<machine>/<cell>/my_model/
METRIC = "held-out cross-entropy after 5 epochs"
REPEATS = 3                  # fresh models per process
TIMEOUT = 600                # seconds per process
DATA_SEED = 7                # ctx.data_rng: the same data in every repeat, whatever the recipe


def applies(info):
    """Run on every stack but CNTK (an example of declining a cell, with the reason)."""
    if info.backend == "cntk":
        return "not tried on CNTK"
    return True


def make_data(rng, np):
    """Two Gaussian blobs in 6 dimensions; 160 samples to train on, 40 held out."""
    labels = rng.randint(0, 2, size=200)
    X = rng.normal(size=(200, 6)) + 1.2 * labels[:, None]
    return X[:160].astype("float32"), labels[:160], X[160:].astype("float32"), labels[160:]


def run_once(keras, np, ctx):
    X, y, X_test, y_test = make_data(ctx.data_rng, np)
    layers = keras.layers
    with ctx.phase("build"):
        model = keras.models.Sequential()
        ctx.dense_input(keras, model, 16, 6, activation="relu")   # the Keras 2 / Keras 3 input switch
        model.add(layers.Dropout(0.2))
        model.add(layers.Dense(2, activation="softmax"))
        model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    with ctx.phase("fit"):
        history = model.fit(X, y, epochs=5, batch_size=32, validation_split=0.1, verbose=0)
    ctx.loss_trace(history)                                         # the per-epoch losses are kept
    with ctx.phase("evaluate"):
        loss = model.evaluate(X_test, y_test, verbose=0)
    return float(loss[0] if isinstance(loss, (list, tuple)) else loss)
