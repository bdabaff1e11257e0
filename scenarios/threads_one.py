# -*- coding: utf-8 -*-
"""The same model at 1 thread (compare with threads_all, the machine's core count).

Dense(256, relu) -> Dense(1) on 512 samples of 128 features, 3 epochs of 4 minibatches of 128 in a
fixed order; the initial weights are overwritten with draws from the scenario's own generator
(DATA_SEED) and nothing is random. threads_all.py is this file with THREADS = None (all cores):
the two scenarios share model, data and training, so where their bitwise fingerprints differ on a
cell, the thread count alone changed the numbers.

How the thread count is set: a scenario runs after the worker has imported the backend and Keras
and applied the recipe, and the contract has no earlier hook, so applies(info) sets it through
the backend's API, before any model exists, and declines the cell (not-applicable, with the
reason) where that is no longer possible:
  TensorFlow 2   tf.config.threading.set_intra/inter_op_parallelism_threads(n) (refused once the
                 TF runtime has started);
  TensorFlow 1   a new Keras session with ConfigProto(intra_op_parallelism_threads=n, inter=n);
  PyTorch        torch.set_num_threads(n);
  JAX, Theano    fixed when the library starts (XLA's CPU thread pool; OpenMP and BLAS read
                 OMP_NUM_THREADS and friends at load): the scenario runs only where the process
                 already has the wanted count (JAX uses every core; the strict recipe starts
                 Theano with the thread variables at 1).
Under the strict recipe this scenario's setting replaces the recipe's single thread (threads_all
then runs strict's determinism switches at every core).
"""
from __future__ import absolute_import, division, print_function

import os
import sys

CONTRACT = 2
NAME = "threads_one"
METRIC = "weights digest after 3 epochs of Dense(256) at 1 thread"
REPEATS = 3
TIMEOUT = 600
DATA_SEED = 20170109
THREADS = 1          # None: every core this process may use
EPOCHS = 3
BATCH = 128
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def cores():
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


def applies(info):
    wanted = THREADS or cores()
    answer = set_threads(info, wanted)
    if answer is True:
        print("%s: %s set to %d thread(s)" % (NAME, info.backend, wanted))
    return answer


def set_threads(info, wanted):
    """True once the backend runs at `wanted` threads, else the reason it cannot here."""
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


def run_once(keras, np, ctx):
    rng = ctx.data_rng
    X = rng.normal(size=(512, 128)).astype("float32")
    y = (np.tanh(X[:, :4].sum(axis=1, keepdims=True)) + 0.1 * rng.normal(size=(512, 1))).astype("float32")
    with ctx.phase("build"):
        model, first = sequential(keras, ctx, (128,))
        model.add(keras.layers.Dense(256, activation="relu", **first))
        model.add(keras.layers.Dense(1))
    return train(keras, np, ctx, model, X, y, EPOCHS, BATCH)


# ---- helpers (each built-in scenario carries its own copy: a scenario is one self-contained file)
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
