# -*- coding: utf-8 -*-
"""Helpers for scenarios: the differences between Keras generations, written once.

The worker loads this file as the module `scenario_support`; a contract-2 scenario reaches every
helper as `ctx.<name>` (ctx.dense_input(keras, model, 10, 1)) or by `import scenario_support`.
Like the worker it runs in environments from 2017 onwards: standard library + numpy only, valid
Python 2.7 and 3.6 syntax.
"""
from __future__ import absolute_import, division, print_function

import math
import sys
import time

# weights_digest multiplies the weight at position i by 1 + (i mod DIGEST_PERIOD) / DIGEST_SCALE.
DIGEST_PERIOD = 1021
DIGEST_SCALE = 1024.0
clock = getattr(time, "perf_counter", time.time)


def keras_major(keras):
    """The major version of a keras module, from its __version__ or else its package's (tf.keras in
    TF 2.13-2.15 and tf-keras have none of their own); 2 when neither says."""
    version = getattr(keras, "__version__", None)
    if version is None:
        package = sys.modules.get(str(getattr(keras, "__name__", "")).split(".")[0])
        version = getattr(package, "__version__", None) or "2"
    return int(str(version).split(".")[0])


def input_layer(keras, shape):
    """The symbolic input of a functional model, in every generation (keras.layers.Input exists in
    Keras 2.0 to 3.x and tf.keras alike)."""
    return keras.layers.Input(shape=tuple(shape))


def dense_input(keras, model, units, input_dim, **kwargs):
    """Add the first Dense layer of a Sequential model together with its input width: Keras 3 takes
    the width from a keras.Input object (input_dim is deprecated there), Keras 2 from input_dim."""
    Dense = keras.layers.Dense
    if keras_major(keras) >= 3:
        model.add(keras.Input(shape=(input_dim,)))
        model.add(Dense(units, **kwargs))
    else:
        model.add(Dense(units, input_dim=input_dim, **kwargs))
    return model


def weights_digest(model):
    """One float that changes when any weight changes (NaN when a weight is not finite).

    The digest is the sum, over every weight w_i, of float64(w_i) * (1 + (i mod 1021) / 1024), where
    i is the weight's position when the arrays of model.get_weights() (or a list of arrays) are
    flattened in C order one after another. The factor depends on the position, so swapped weights
    change the digest. Float32 and narrower weights times the factor (11 significant bits) are exact
    in float64, and math.fsum rounds the exact sum once: the digest depends on the weights alone,
    not on numpy's summation order, its version or the CPU.
    """
    import numpy
    arrays = model.get_weights() if hasattr(model, "get_weights") else model
    terms, position = [], 0
    for array in arrays:
        flat = numpy.asarray(array, dtype=numpy.float64).ravel()
        if not numpy.all(numpy.isfinite(flat)):
            return float("nan")
        factors = 1.0 + (numpy.arange(position, position + flat.size) % DIGEST_PERIOD) / DIGEST_SCALE
        terms.extend((flat * factors).tolist())
        position += flat.size
    return math.fsum(terms)


def loss_values(history, key="loss"):
    """The per-epoch losses of a fit: a History object, its .history dict, or a sequence of numbers."""
    if hasattr(history, "history"):
        history = history.history
    if isinstance(history, dict):
        history = history[key]
    return [float(value) for value in history]


def fit_timer(keras, record):
    """A keras Callback that reports two phases of one fit to record(name, seconds):
    'fit_first_epoch', from the callback's creation to the end of the first epoch (building the
    train function, tracing and compilation fall there), and 'fit_later_epochs', the rest.
    Create it in the fit call itself: model.fit(..., callbacks=[ctx.fit_timer()])."""
    base = keras.callbacks.Callback

    class FitTimer(base):
        def __init__(self):
            base.__init__(self)
            self.created = clock()
            self.first_end = None

        def on_epoch_end(self, epoch, logs=None):
            if self.first_end is None:
                self.first_end = clock()
                record("fit_first_epoch", self.first_end - self.created)

        def on_train_end(self, logs=None):
            if self.first_end is not None:
                record("fit_later_epochs", clock() - self.first_end)

    return FitTimer()
