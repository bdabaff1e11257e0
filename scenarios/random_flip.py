# -*- coding: utf-8 -*-
"""An augmentation layer: RandomFlip("horizontal") with seed=None, where the stack has one.

6x6x1 made-up images -> RandomFlip("horizontal") -> Flatten -> Dense(1), 4 epochs of 4 minibatches
in a fixed order. The initial weights are overwritten with draws from the scenario's own generator
(DATA_SEED), so the flips are the only randomness. RandomFlip exists in tf.keras from 2.3 on
(layers.experimental.preprocessing until 2.5), in tf-keras and in Keras 3; standalone Keras 2 has
none, so there the scenario is `not-applicable` (never another model under the same name). The
value is the digest of the trained weights.
"""
from __future__ import absolute_import, division, print_function

import sys

CONTRACT = 2
NAME = "random_flip"
METRIC = "weights digest after 4 epochs through RandomFlip(horizontal)"
REPEATS = 3
TIMEOUT = 600
DATA_SEED = 20170105
EPOCHS = 4
BATCH = 16


def applies(info):
    """True where the cell's Keras (imported by the worker before this is asked) has RandomFlip."""
    keras = loaded_keras(info.api)
    if keras is not None and random_flip(keras) is None:
        return "%s %s has no RandomFlip layer" % (info.api, info.keras)
    return True


def loaded_keras(api):
    """The Keras module the worker imported for this cell's API, or None when it is not loaded."""
    if api == "tf.keras":
        tf = sys.modules.get("tensorflow")
        return getattr(tf, "keras", None) if tf is not None else None
    return sys.modules.get({"tf-keras": "tf_keras"}.get(api, "keras"))


def random_flip(keras):
    """The RandomFlip layer class of this stack, or None."""
    found = getattr(keras.layers, "RandomFlip", None)
    if found is None:
        experimental = getattr(keras.layers, "experimental", None)
        preprocessing = getattr(experimental, "preprocessing", None)
        found = getattr(preprocessing, "RandomFlip", None)
    return found


def run_once(keras, np, ctx):
    rng = ctx.data_rng
    X = rng.normal(size=(64, 6, 6, 1)).astype("float32")
    y = (X[:, :3, :, 0].mean(axis=(1, 2)) - X[:, 3:, :, 0].mean(axis=(1, 2))).reshape(64, 1)
    y = y.astype("float32")
    flip = random_flip(keras)
    if flip is None:         # applies() said so already; never measure another model under this name
        raise RuntimeError("this Keras has no RandomFlip layer")
    with ctx.phase("build"):
        model, first = ctx.sequential(keras, ctx, (6, 6, 1))
        model.add(flip("horizontal", **first))
        model.add(keras.layers.Flatten())
        model.add(keras.layers.Dense(1))
    return ctx.train(keras, np, ctx, model, X, y, EPOCHS, BATCH)
