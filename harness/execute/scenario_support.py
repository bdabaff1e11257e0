# -*- coding: utf-8 -*-
"""Helpers for scenarios: the differences between Keras generations, written once.

The worker loads this file as the module `scenario_support`; a contract-2 scenario reaches every
helper as `ctx.<name>` (ctx.dense_input(keras, model, 10, 1)) or by `import scenario_support`.
Like the worker it runs in environments from 2017 onwards: standard library + numpy only, valid
Python 2.7 and 3.6 syntax.
"""
from __future__ import absolute_import, division, print_function

import math
import os
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


# ---- building and training the built-in scenarios' models -------------------------------------
def sequential(keras, ctx, shape, dtype=None):
    """An empty Sequential model and the keyword arguments its first layer takes: Keras 3 takes the
    input from a keras.Input object, Keras 2 (standalone, tf.keras, tf-keras) from input_shape."""
    model = keras.models.Sequential()
    if ctx.keras_major is not None and ctx.keras_major >= 3:
        model.add(keras.Input(shape=shape, dtype=dtype) if dtype else keras.Input(shape=shape))
        return model, {}
    return model, {"input_shape": shape}


def fix_weights(model, rng, np):
    """Overwrite every randomly initialised weight array with uniform draws from the scenario's own
    data generator (Glorot limits from the array's shape), so that the initialisers' generator plays
    no part; arrays an initialiser filled with one constant (zeros, ones) are kept as they are."""
    arrays = []
    for array in model.get_weights():
        array = np.asarray(array)
        if array.size == 0 or np.all(array == array.flat[0]):
            arrays.append(array)
            continue
        if array.ndim >= 2:
            receptive = int(np.prod(array.shape[:-2])) if array.ndim > 2 else 1
            fan_in, fan_out = array.shape[-2] * receptive, array.shape[-1] * receptive
            limit = float(np.sqrt(6.0 / (fan_in + fan_out)))
        else:
            limit = 0.1
        arrays.append(rng.uniform(-limit, limit, size=array.shape).astype(array.dtype))
    model.set_weights(arrays)


def train(keras, np, ctx, model, X, y, epochs, batch_size, shuffle=False):
    """Fix the initial weights, compile with MSE and Adam, fit, keep the loss trace; the digest of
    the trained weights (every weight array, trainable or not) is the repeat's value."""
    with ctx.phase("build"):
        fix_weights(model, ctx.data_rng, np)
        model.compile(loss="mse", optimizer="adam")
    with ctx.phase("fit"):
        history = model.fit(X, y, epochs=epochs, batch_size=batch_size, shuffle=shuffle, verbose=0)
    ctx.loss_trace(history)
    return ctx.weights_digest(model)


# ---- the thread count of a backend (threads_all, threads_one) ----------------------------------
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def cores():
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:   # Python 2
        import multiprocessing
        return multiprocessing.cpu_count()


def pinned_by_environment():
    """The thread count the process started with through OMP_NUM_THREADS and friends, or None."""
    found = set(os.environ.get(name) for name in THREAD_VARIABLES)
    if len(found) == 1 and None not in found:
        try:
            return int(found.pop())
        except ValueError:
            return None
    return None


def set_threads(info, wanted):
    """True once the backend runs at `wanted` threads, else the reason it cannot here.

    A scenario runs after the worker has imported the backend and Keras and applied the recipe,
    and the contract has no earlier hook, so applies(info) sets the count through the backend's
    API, before any model exists, and declines the cell where that is no longer possible:
      TensorFlow 2   tf.config.threading.set_intra/inter_op_parallelism_threads(n) (refused once
                     the TF runtime has started);
      TensorFlow 1   a new Keras session with ConfigProto(intra_op_parallelism_threads=n, inter=n);
      PyTorch        torch.set_num_threads(n);
      JAX, Theano    fixed when the library starts (XLA's CPU thread pool; OpenMP and BLAS read
                     OMP_NUM_THREADS and friends at load): runs only where the process already has
                     the wanted count (JAX uses every core; the strict recipe starts Theano with
                     the thread variables at 1).
    """
    backend = info.backend
    if backend == "tensorflow":
        import tensorflow as tf
        if str(tf.__version__).split(".")[0] == "1":
            keras = sys.modules.get("keras")
            if keras is None:
                return "no standalone keras module to give a TF1 session to"
            config = tf.ConfigProto(intra_op_parallelism_threads=wanted, inter_op_parallelism_threads=wanted)
            keras.backend.set_session(tf.Session(graph=tf.get_default_graph(), config=config))
            return True
        threading = tf.config.threading
        try:
            threading.set_intra_op_parallelism_threads(wanted)
            threading.set_inter_op_parallelism_threads(wanted)
        except RuntimeError as exc:
            return "TensorFlow refused to change its thread pools: %s" % exc
        if threading.get_intra_op_parallelism_threads() != wanted:
            return "TensorFlow kept %d intra-op threads" % threading.get_intra_op_parallelism_threads()
        return True
    if backend == "torch":
        import torch
        torch.set_num_threads(wanted)
        return True if torch.get_num_threads() == wanted else \
            "torch kept %d threads" % torch.get_num_threads()
    if backend == "jax":
        if wanted == cores():
            return True
        return "XLA's CPU thread pool is sized when JAX starts its backend (the worker has started it " \
               "before the scenario runs); no API changes it afterwards"
    if backend == "theano":
        pinned = pinned_by_environment()
        if pinned == wanted or (pinned is None and wanted == cores()):
            return True
        return "Theano's OpenMP and BLAS threads are fixed at import (%s); this process started with %s" % (
            "/".join(THREAD_VARIABLES), "%s thread(s)" % pinned if pinned else "the defaults")
    return "no thread setting for backend %s" % backend


# ---- bodies of scenario pairs that differ in one constant --------------------------------------
def dropout_mlp(keras, np, ctx, seed, epochs, batch):
    """dropout_seeded (seed=42) and dropout_unseeded (seed=None): Dense(32, relu) -> Dropout(0.5,
    seed) -> Dense(1) on 64 samples, trained by train()."""
    rng = ctx.data_rng
    X = rng.normal(size=(64, 8)).astype("float32")
    y = (X[:, :1] - 0.5 * X[:, 1:2] + 0.1 * rng.normal(size=(64, 1))).astype("float32")
    with ctx.phase("build"):
        model, first = sequential(keras, ctx, (8,))
        model.add(keras.layers.Dense(32, activation="relu", **first))
        model.add(keras.layers.Dropout(0.5, seed=seed))
        model.add(keras.layers.Dense(1))
    return train(keras, np, ctx, model, X, y, epochs, batch)


def threads_applies(info, threads, name):
    """applies(info) of threads_all (threads=None: every core) and threads_one (threads=1)."""
    wanted = threads or cores()
    answer = set_threads(info, wanted)
    if answer is True:
        print("%s: %s set to %d thread(s)" % (name, info.backend, wanted))
    return answer


def threads_mlp(keras, np, ctx, epochs, batch):
    """The model of threads_all and threads_one: Dense(256, relu) -> Dense(1) on 512 samples of 128
    features, trained by train()."""
    rng = ctx.data_rng
    X = rng.normal(size=(512, 128)).astype("float32")
    y = (np.tanh(X[:, :4].sum(axis=1, keepdims=True)) + 0.1 * rng.normal(size=(512, 1))).astype("float32")
    with ctx.phase("build"):
        model, first = sequential(keras, ctx, (128,))
        model.add(keras.layers.Dense(256, activation="relu", **first))
        model.add(keras.layers.Dense(1))
    return train(keras, np, ctx, model, X, y, epochs, batch)
