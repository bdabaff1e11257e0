# -*- coding: utf-8 -*-
"""Reproducibility worker: one scenario under one seeding recipe, inside one cell's environment.

Run BY PATH with the cell's own interpreter (never imported by the orchestrator at run time):

    python worker.py --scenario FILE --recipe NAME --api API --backend BACKEND [--device cpu|gpu]
                     [--repeats N] --out RESULT.json

Rules, because this file runs in environments from 2017 onwards:
  * standard library + numpy only; valid Python 2.7 and 3.6 syntax (no f-strings, no dataclasses,
    no walrus, no keyword-only arguments); tests compile it with both interpreters and run it
    where they have a numpy;
  * the result goes to the --out file as strict JSON, written atomically; stdout and stderr are
    diagnostics only; the --out directory is checked before anything heavy is imported;
  * the seeding recipe is applied BEFORE keras is imported, as the 2017 tutorial insists; the few
    calls that need the keras module (keras.utils.set_random_seed, a TF1 session) come right after
    the import and before any model exists;
  * a CPU cell runs with the GPUs hidden (CUDA_VISIBLE_DEVICES="", JAX_PLATFORMS=cpu).

Exit codes: 0 the scenario ran to an outcome (ok, non-finite, not-applicable, gpu-fallback);
1 it did not (import-failed, crashed, determinism-unavailable; the result says why); 2 bad
arguments; 3 no result can be written at --out.

Scenario contracts (SCENARIO_CONTRACTS):
  1 - NAME, REPEATS, run_once(keras, np) -> float (scenarios/canonical_mlp.py).
  2 - CONTRACT = 2, NAME, METRIC, REPEATS, optional TIMEOUT, DATA_SEED and applies(info) -> True
      or a reason; run_once(keras, np, ctx) -> float, ctx being a Context (see there).

Result format history (RESULT_SCHEMA):
  1 - first version.
  2 - new statuses: "non-finite" (a repeat returned NaN or +/-inf: its `values` entry is null, its
      `values_hex` entry "nan", "inf" or "-inf"), "not-applicable" (with `reason`), "gpu-fallback"
      (a --device gpu replay that ran on the CPU; values kept, `reason` says what it saw) and
      "determinism-unavailable" (an op refused the recipe's determinism switches; `error.op`).
      New fields: `contract`, `metric`, `repeats`, `timeout` and `data_seed` (the scenario's
      declarations), `phase_seconds` (per repeat, phase -> seconds; empty for contract 1),
      `loss_traces` (per repeat, per-epoch losses as float.hex text, or null),
      `import_phase_seconds` ({"backend": s, "keras": s}), `observed.gpu` (driver, CUDA, cuDNN,
      GPU models and compute capability as the backend reports them), `observed.device_used`
      ("cpu" or "gpu"). `fit_seconds` keeps its name and holds whole-repeat seconds. torch devices
      are recorded as "cuda:N NAME". The file is strict RFC 8259 JSON (no NaN/Infinity anywhere),
      and error messages, tracebacks and other free text are bounded (head and tail kept around a
      "... [N characters cut] ..." marker).
  3 - new field `codepath` (a replay that ran its scenario): what decided the arithmetic, read from
      the libraries where they can say it — `cpu_count`, `env` (the code-path variables that were
      set: TF_ENABLE_ONEDNN_OPTS, MKL_CBWR, ATEN_CPU_CAPABILITY, OPENBLAS_CORETYPE, thread counts,
      ...), `blas` (each OpenBLAS or MKL mapped into the process, with the core it dispatched to
      or MKL's code branch), `numpy_simd` (numpy's baseline and dispatched SIMD extensions), and
      per backend: `tensorflow` (version, `onednn_on` from TensorFlow's own IsMklEnabled, thread
      pool sizes), `torch` (ATen CPU capability, BLAS, MKL version, oneDNN, threads), `jax`
      (platform, XLA_FLAGS), `theano` (BLAS flags, OpenMP, compiler flags); later, within schema 3:
      `mxnet` (mx.runtime.Features), `plaidml` (device ids), `openvino` (CPU plugin properties). A fact that could not
      be read is null or {"unknown": why}. New recipe `portable`.
      Later, without a schema change: `api_adapter` (api keras1 only), the Keras 1 spellings the
      worker passed the scenario's calls through (fit(epochs=N) -> fit(nb_epoch=N)).
"""
from __future__ import absolute_import, division, print_function

import argparse
import contextlib
import hashlib
import json
import math
import numbers
import os
import platform
import random
import re
import sys
import time
import traceback
import types

RESULT_SCHEMA = 3
SCENARIO_CONTRACTS = (1, 2)
RECIPES = ("none", "numpy", "tutorial", "full", "strict", "portable")
APIS = ("keras1", "keras2", "tf.keras", "tf-keras", "keras3", "none")
# Keras 1 makes the seeding calls of standalone Keras 2 (tf.set_random_seed, K.set_session on a
# TF 1.x session; neither has keras.utils.set_random_seed), so it takes Keras 2's recipes.
RECIPE_API = {"keras1": "keras2"}
BACKENDS = ("tensorflow", "theano", "cntk", "jax", "torch", "mxnet", "plaidml", "numpy", "openvino",
            "none")
NUMPY_SEED = 1
BACKEND_SEED = 2
REEXEC_FLAG = "HARNESS_WORKER_REEXEC"
THREAD_VARS = (
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OPENBLAS_CORETYPE",
    "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "TF_DETERMINISTIC_OPS",
    "TF_CUDNN_DETERMINISTIC", "TF_ENABLE_ONEDNN_OPTS", "TF_USE_LEGACY_KERAS", "XLA_FLAGS",
    "CUBLAS_WORKSPACE_CONFIG", "THEANO_FLAGS", "KERAS_BACKEND", "PYTHONHASHSEED",
    "CUDA_VISIBLE_DEVICES", "JAX_PLATFORMS",
)
EXIT_OUT_UNWRITABLE = 3   # no result can be written; the message says why (2 is argparse's)
# Exit code 0: the scenario ran to one of these outcomes (1: import-failed, crashed, and so on).
RAN_TO_AN_OUTCOME = ("ok", "non-finite", "not-applicable", "gpu-fallback")
TEXT_LIMIT = 4000   # characters of any one free text kept in a result (message, traceback, reason)
LOSS_TRACE_LIMIT = 2000   # epochs of one repeat's loss trace kept (first and last halves)
TEXT_TYPES = (type(u""), type(""))
clock = getattr(time, "perf_counter", time.time)
SINGLE_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                      "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


# --------------------------------------------------------------------------------------------
# Recipes, part 1: environment variables (they must exist before the interpreter and the
# libraries start, so the worker re-executes itself once when they are missing).
# --------------------------------------------------------------------------------------------
# The pins of the `portable` recipe: variables that make a stack take the same numerical code
# path on every x86_64 CPU. Each is kept only where a record shows that it moves the numbers
# (docs/codepath.md): TensorFlow turns its oneDNN ops on by default only on CPUs with
# AVX512_VNNI, AVX512_BF16, AVX_VNNI or AMX, and oneDNN on or off gives different doubles.
# torch's BLAS is MKL, which picks its kernels by CPU vendor and ISA; MKL_CBWR=COMPATIBLE is the
# branch MKL documents as giving the same results on Intel and compatible processors.
# TF_ENABLE_ONEDNN_OPTS is ignored by TensorFlow releases without oneDNN ops (TF 1.x).
PORTABLE_PINS = {"tensorflow": (("TF_ENABLE_ONEDNN_OPTS", "0"),),
                 "torch": (("MKL_CBWR", "COMPATIBLE"),)}


def portable_base(api, backend):
    """The recipe `portable` builds on: `strict` where `full` races (standalone Keras 2 on a
    multi-threaded TensorFlow 1.x session), `full` elsewhere."""
    return "strict" if (api == "keras2" and backend == "tensorflow") else "full"


def recipe_environment(recipe, backend, device, environ, api=None):
    """Environment variables the recipe needs, given the current environment."""
    if recipe == "portable":
        env = recipe_environment(portable_base(api, backend), backend, device, environ, api)
        env.update(PORTABLE_PINS.get(backend, ()))
        return env
    env = {}
    if recipe in ("full", "strict"):
        env["PYTHONHASHSEED"] = "0"
    if recipe != "strict":
        return env
    for name in SINGLE_THREAD_VARS:
        env[name] = "1"
    if backend == "tensorflow":
        env["TF_DETERMINISTIC_OPS"] = "1"
        env["TF_CUDNN_DETERMINISTIC"] = "1"
    if backend == "jax" and device == "gpu":
        env["XLA_FLAGS"] = _joined_flags(environ.get("XLA_FLAGS", ""), "--xla_gpu_deterministic_ops=true", " ")
    if backend == "torch" and device == "gpu":
        env["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8"
    if backend == "theano":
        env["THEANO_FLAGS"] = _joined_flags(environ.get("THEANO_FLAGS", ""), "deterministic=more", ",")
    if backend == "mxnet":
        env["MXNET_ENFORCE_DETERMINISM"] = "1"
    return env


def _joined_flags(existing, flag, sep):
    parts = [p for p in existing.split(sep) if p]
    if flag not in parts:
        parts.append(flag)
    return sep.join(parts)


def is_dropped(label, drops):
    """Whether an ablation leaves out the call or variable `label` ("env NAME" for a variable)."""
    return any(label.startswith(drop) for drop in drops or ())


def reexec_if_needed(args):
    """Re-run this process once with the recipe's environment variables in place (those an
    ablation drops are left out, and removed if the parent had set them)."""
    wanted = recipe_environment(args.recipe, args.backend, args.device, os.environ, args.api)
    wanted.update(device_environment(args.backend, args.device))
    for name in list(wanted):
        if is_dropped("env %s" % name, getattr(args, "drop", ())):
            del wanted[name]
            os.environ.pop(name, None)
    missing = dict((k, v) for k, v in wanted.items() if os.environ.get(k) != v)
    if not missing or os.environ.get(REEXEC_FLAG):
        return
    os.environ.update(missing)
    os.environ[REEXEC_FLAG] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, os.path.abspath(__file__)] + sys.argv[1:])


# --------------------------------------------------------------------------------------------
# Recipes, part 2: calls, recorded as they are made (or found unavailable).
# --------------------------------------------------------------------------------------------
class SeedLog(object):
    """What a recipe did: calls made, calls that do not exist on this stack, and calls an
    ablation left out (`drops`: prefixes of call labels)."""

    def __init__(self, drops=()):
        self.calls = []
        self.unavailable = []
        self.drops = list(drops)
        self.dropped = []

    def call(self, label, func, *args):
        if is_dropped(label, self.drops):
            self.dropped.append(label)
            return
        func(*args)
        self.calls.append(label)

    def settle(self):
        """Recorded variables an ablation dropped ("env NAME=None" lines) move to `dropped`."""
        for label in list(self.calls):
            if label.startswith("env ") and is_dropped(label, self.drops):
                self.calls.remove(label)
                self.dropped.append(label)

    def missing(self, label, why):
        self.unavailable.append({"call": label, "why": bounded(why, 500)})


def import_backend(backend):
    """Import the backend library itself (before keras); None for backend 'none'."""
    if backend == "none":
        return None
    name = {"torch": "torch", "jax": "jax", "tensorflow": "tensorflow",
            "theano": "theano", "cntk": "cntk", "mxnet": "mxnet", "plaidml": "plaidml",
            "numpy": "numpy", "openvino": "openvino"}[backend]
    return __import__(name)


def seed_backend(backend, lib, log):
    """The backend's own global seed (the tutorial's second step)."""
    if backend == "tensorflow":
        if hasattr(lib, "set_random_seed"):
            log.call("tf.set_random_seed(%d)" % BACKEND_SEED, lib.set_random_seed, BACKEND_SEED)
        else:
            log.call("tf.random.set_seed(%d)" % BACKEND_SEED, lib.random.set_seed, BACKEND_SEED)
    elif backend == "torch":
        log.call("torch.manual_seed(%d)" % BACKEND_SEED, lib.manual_seed, BACKEND_SEED)
    elif backend == "cntk":
        log.call("cntk.cntk_py.set_fixed_random_seed(%d)" % BACKEND_SEED,
                 lib.cntk_py.set_fixed_random_seed, BACKEND_SEED)
    elif backend == "theano":
        log.missing("backend seed", "theano has no global seed; Keras 2 draws Theano seeds from numpy")
    elif backend == "jax":
        log.missing("backend seed", "jax has no global seed; its random state is explicit PRNG keys")
    elif backend == "mxnet":
        log.call("mx.random.seed(%d)" % BACKEND_SEED, lib.random.seed, BACKEND_SEED)
    elif backend in BACKEND_WITHOUT_SEED:
        log.missing("backend seed", BACKEND_WITHOUT_SEED[backend])
    else:
        log.missing("backend seed", "no backend")


# Backends with no global seed call of their own, and why (recorded in seed_unavailable).
BACKEND_WITHOUT_SEED = {
    "plaidml": "PlaidML has no global seed call; its Keras backend draws its random state from numpy.random",
    "numpy": "Keras 3's numpy backend has no seed of its own: its random ops seed a fresh numpy "
             "Generator from Keras's SeedGenerator (keras.utils.set_random_seed, recipe full)",
    "openvino": "OpenVINO has no global seed call: Keras 3's openvino backend takes its seeds from "
                "Keras's SeedGenerator (keras.utils.set_random_seed, recipe full)",
}


def tf_major(lib):
    return int(lib.__version__.split(".")[0])


def strict_before_keras(backend, lib, log, device="cpu"):
    """Single-threaded execution and op determinism that must precede the keras import."""
    log.calls.append("env " + " ".join("%s=%s" % (k, os.environ.get(k)) for k in SINGLE_THREAD_VARS))
    if backend == "tensorflow" and tf_major(lib) >= 2:
        threading = lib.config.threading
        log.call("tf.config.threading.set_intra_op_parallelism_threads(1)",
                 threading.set_intra_op_parallelism_threads, 1)
        log.call("tf.config.threading.set_inter_op_parallelism_threads(1)",
                 threading.set_inter_op_parallelism_threads, 1)
        experimental = lib.config.experimental
        if hasattr(experimental, "enable_op_determinism"):
            log.call("tf.config.experimental.enable_op_determinism()", experimental.enable_op_determinism)
        else:
            log.missing("tf.config.experimental.enable_op_determinism()", "TensorFlow < 2.8; TF_DETERMINISTIC_OPS=1 set instead")
    elif backend == "torch":
        if hasattr(lib, "use_deterministic_algorithms"):
            log.call("torch.use_deterministic_algorithms(True)", lib.use_deterministic_algorithms, True)
        else:
            log.missing("torch.use_deterministic_algorithms(True)", "torch < 1.8")
        log.call("torch.set_num_threads(1)", lib.set_num_threads, 1)
        try:
            log.call("torch.set_num_interop_threads(1)", lib.set_num_interop_threads, 1)
        except RuntimeError as exc:
            log.missing("torch.set_num_interop_threads(1)", str(exc))
    elif backend == "cntk":
        log.call("cntk.cntk_py.force_deterministic_algorithms()", lib.cntk_py.force_deterministic_algorithms)
    elif backend == "theano":
        log.calls.append("env THEANO_FLAGS=%s" % os.environ.get("THEANO_FLAGS"))
        if not theano_knows(lib, "deterministic"):
            # Theano < 1.0 warns "does not recognise this flag" and carries on without it.
            log.missing("THEANO_FLAGS deterministic=more",
                        "Theano %s does not recognise the flag (ignored)" % getattr(lib, "__version__", "?"))
    elif backend == "jax":
        log.missing("jax single-thread switch", "no stable XLA CPU flag; thread variables set, XLA_FLAGS deterministic ops on GPU only")
    elif backend == "mxnet":
        log.calls.append("env MXNET_ENFORCE_DETERMINISM=%s" % os.environ.get("MXNET_ENFORCE_DETERMINISM"))
    elif backend in BACKEND_WITHOUT_SEED:
        log.missing("%s determinism switch" % backend, "none known; only the thread variables are set")
    if device == "gpu":
        strict_on_gpu(backend, lib, log)


def strict_on_gpu(backend, lib, log):
    """The GPU switches: cuDNN and cuBLAS algorithm choice, XLA's deterministic ops. The variables
    come from recipe_environment; they are recorded here beside the calls."""
    if backend == "torch":
        cudnn = lib.backends.cudnn
        log.call("torch.backends.cudnn.deterministic = True", setattr, cudnn, "deterministic", True)
        log.call("torch.backends.cudnn.benchmark = False", setattr, cudnn, "benchmark", False)
        log.calls.append("env CUBLAS_WORKSPACE_CONFIG=%s" % os.environ.get("CUBLAS_WORKSPACE_CONFIG"))
    elif backend == "jax":
        log.calls.append("env XLA_FLAGS=%s" % os.environ.get("XLA_FLAGS"))
    elif backend == "tensorflow":
        log.calls.append("env TF_DETERMINISTIC_OPS=%s TF_CUDNN_DETERMINISTIC=%s"
                         % (os.environ.get("TF_DETERMINISTIC_OPS"), os.environ.get("TF_CUDNN_DETERMINISTIC")))
        version = tuple(int(p) for p in re.findall(r"\d+", lib.__version__)[:2])
        if version < (2, 1):
            log.missing("TF_DETERMINISTIC_OPS=1", "TensorFlow %s predates it (2.1); only TF_CUDNN_DETERMINISTIC "
                        "applies" % lib.__version__)


def theano_knows(lib, flag):
    """Whether this Theano has a config option named `flag`."""
    try:
        getattr(lib.config, flag)
        return True
    except AttributeError:
        return False


def strict_after_keras(backend, lib, keras, log):
    """TF1 needs a single-threaded session installed through the keras backend."""
    if backend == "tensorflow" and tf_major(lib) < 2:
        config = lib.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
        session = lib.Session(graph=lib.get_default_graph(), config=config)
        log.call("K.set_session(tf.Session(config=ConfigProto(intra_op=1, inter_op=1)))",
                 keras.backend.set_session, session)


def apply_before_keras(recipe, backend, lib, log, device="cpu", api=None):
    """Everything the recipe does before `import keras`."""
    if recipe == "none":
        return
    if recipe == "portable":
        apply_before_keras(portable_base(api, backend), backend, lib, log, device, api)
        for name, value in PORTABLE_PINS.get(backend, ()):
            log.calls.append("env %s=%s" % (name, os.environ.get(name)))
        return
    import numpy
    if recipe in ("full", "strict"):
        log.calls.append("env PYTHONHASHSEED=%s" % os.environ.get("PYTHONHASHSEED"))
        log.call("random.seed(%d)" % NUMPY_SEED, random.seed, NUMPY_SEED)
    log.call("numpy.random.seed(%d)" % NUMPY_SEED, numpy.random.seed, NUMPY_SEED)
    if recipe in ("tutorial", "full", "strict"):
        seed_backend(backend, lib, log)
    if recipe == "strict":
        strict_before_keras(backend, lib, log, device)


def apply_after_keras(recipe, api, backend, lib, keras, log):
    """The recipe's calls that need the keras module; made before any model exists."""
    if recipe == "portable":
        recipe = portable_base(api, backend)
    if recipe in ("full", "strict"):
        utils = getattr(keras, "utils", None) if keras is not None else None
        if utils is not None and hasattr(utils, "set_random_seed"):
            log.call("%s.utils.set_random_seed(%d)" % (keras_label(api), NUMPY_SEED),
                     utils.set_random_seed, NUMPY_SEED)
        else:
            log.missing("keras.utils.set_random_seed", "not provided by this Keras")
    if recipe == "strict":
        strict_after_keras(backend, lib, keras, log)


def keras_label(api):
    return {"keras2": "keras", "keras3": "keras", "tf.keras": "tf.keras", "tf-keras": "tf.keras"}.get(api, "keras")


# --------------------------------------------------------------------------------------------
# Keras import and observation
# --------------------------------------------------------------------------------------------
def import_keras(api):
    """The keras module for an API generation (None for api 'none')."""
    if api == "none":
        return None
    if api in ("tf.keras", "tf-keras"):
        import tensorflow
        keras = tensorflow.keras
        getattr(keras, "layers")  # force the lazy loader so that import errors surface here
        if api == "tf-keras" and not keras.__name__.startswith("tf_keras"):
            raise ImportError("tf.keras resolved to %r, not tf_keras: is TF_USE_LEGACY_KERAS=1 set "
                              "and tf-keras installed?" % keras.__name__)
        return keras
    import keras
    return keras


def recipe_api(api):
    """The API generation whose recipes an API generation takes (RECIPE_API)."""
    return RECIPE_API.get(api, api)


def recipe_view(args):
    """The arguments as the recipe functions see them (the API generation of its recipes)."""
    view = argparse.Namespace(**vars(args))
    view.api = recipe_api(args.api)
    return view


def adapt_keras1(keras):
    """Let Keras 1 take the scenario's Keras 2 spelling of the epoch count: Model.fit(epochs=N)
    becomes fit(nb_epoch=N) (Keras 1 refuses the keyword it does not know). Nothing else changes:
    the same model, data and training run. Returns what was adapted, for the result."""
    adapted = []
    engine = getattr(keras, "engine", None)
    classes = [getattr(keras.models, "Sequential", None), getattr(getattr(engine, "training", None), "Model", None)]
    for cls in classes:
        if cls is None or "fit" not in cls.__dict__:
            continue
        cls.fit = _fit_with_epochs(cls.__dict__["fit"])
        adapted.append("%s.fit(epochs=N) -> fit(nb_epoch=N)" % cls.__name__)
    return adapted


def _fit_with_epochs(fit):
    def fit_keras1(self, *args, **kwargs):
        if "epochs" in kwargs:
            if "nb_epoch" in kwargs:
                raise TypeError("fit() got both epochs and nb_epoch")
            kwargs["nb_epoch"] = kwargs.pop("epochs")
        return fit(self, *args, **kwargs)
    fit_keras1.__name__, fit_keras1.__doc__ = fit.__name__, fit.__doc__
    return fit_keras1


def module_version(name):
    module = sys.modules.get(name)
    if module is None:
        try:
            module = __import__(name)
        except Exception:
            return None
    return str(getattr(module, "__version__", None))


def keras_version(keras):
    """keras.__version__, else the version of the package that provides the module (tf.keras in
    TF 2.13+ is keras.api._v2.keras, tf-keras is tf_keras.api._v2.keras: neither has one)."""
    if keras is None:
        return None
    version = getattr(keras, "__version__", None)
    if version is None and keras.__name__.startswith("tensorflow."):
        # TF 1.x's generated tf.keras module (1.8: tensorflow.tools.api.generator.api.keras) has
        # none, its implementation does (2.1.5-tf); the package's is TensorFlow's own version.
        version = getattr(sys.modules.get("tensorflow.python.keras"), "__version__", None)
    if version is None:
        version = module_version(keras.__name__.split(".")[0])
    return None if version in (None, "None") else str(version)


def observe_backend_name(keras):
    try:
        return str(keras.backend.backend())
    except Exception as exc:
        return bounded("unknown (%s)" % as_text(exc), 500)


def observe_devices(backend, lib):
    """Best-effort list of the devices the backend sees."""
    try:
        if backend == "tensorflow" and tf_major(lib) >= 2:
            return [d.name for d in lib.config.list_physical_devices()]
        if backend == "jax":
            return [str(d) for d in lib.devices()]
        if backend == "torch":
            found = ["cpu"]
            if lib.cuda.is_available():
                found += ["cuda:%d %s" % (i, lib.cuda.get_device_name(i)) for i in range(lib.cuda.device_count())]
            return found
        if backend == "theano":
            return [str(lib.config.device)]
        if backend == "cntk":
            return [str(d) for d in lib.device.all_devices()]
        if backend == "mxnet":
            return ["cpu"] + ["gpu(%d)" % i for i in range(lib.context.num_gpus())]
        if backend == "openvino":
            return [str(d) for d in lib.Core().available_devices]
        if backend == "plaidml":
            return [os.environ.get("PLAIDML_DEVICE_IDS") or "unknown (PLAIDML_DEVICE_IDS not set)"]
        if backend == "numpy":
            return ["cpu"]
    except Exception as exc:
        return [bounded("unknown (%s)" % as_text(exc), 500)]
    return []


def observe(api, backend, lib, keras, result):
    result["observed"] = {
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "executable": sys.executable,
        "numpy": module_version("numpy"),
        "keras": keras_version(keras),
        "keras_module": getattr(keras, "__name__", None) if keras is not None else None,
        "backend_reported": observe_backend_name(keras) if keras is not None else None,
        "backend_library": {backend: str(getattr(lib, "__version__", None))} if lib is not None else {},
        "devices": observe_devices(backend, lib),
        "gpu": gpu_facts(backend, lib),
    }
    if backend == "jax":
        result["observed"]["backend_library"]["jaxlib"] = module_version("jaxlib")


# --------------------------------------------------------------------------------------------
# The code path: what decided the arithmetic of this replay, read from the libraries themselves
# where they can say it. A fact that cannot be read is recorded as None ("unknown"), never guessed.
# --------------------------------------------------------------------------------------------
CODEPATH_VARS = ("TF_ENABLE_ONEDNN_OPTS", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "MKL_CBWR",
                 "MKL_ENABLE_INSTRUCTIONS", "MKL_DEBUG_CPU_TYPE", "ATEN_CPU_CAPABILITY",
                 "OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES", "XLA_FLAGS", "OMP_NUM_THREADS",
                 "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                 "TF_NUM_INTEROP_THREADS", "MXNET_ENFORCE_DETERMINISM", "MXNET_ENGINE_TYPE",
                 "PLAIDML_DEVICE_IDS", "PLAIDML_EXPERIMENTAL")


def codepath(backend, lib):
    """{"cpu_count", "env", "blas", "numpy_simd", backend facts...}; each reader guarded."""
    found = {"cpu_count": _guarded(_cpu_count),
             "env": dict((k, os.environ[k]) for k in CODEPATH_VARS if k in os.environ),
             "blas": _guarded(loaded_blas),
             "numpy_simd": _guarded(numpy_simd)}
    reader = {"tensorflow": tf_codepath, "torch": torch_codepath, "jax": jax_codepath,
              "theano": theano_codepath, "mxnet": mxnet_codepath, "plaidml": plaidml_codepath,
              "openvino": openvino_codepath}.get(backend)
    if reader is not None and lib is not None:
        found[backend] = _guarded(reader, lib)
    return found


def _guarded(func, *args):
    try:
        return func(*args)
    except Exception as exc:
        return {"unknown": bounded(as_text(exc), 300)}


def _cpu_count():
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    import multiprocessing
    return multiprocessing.cpu_count()


def _loaded_libraries():
    """Paths of the shared libraries mapped into this process (Linux), in load order."""
    seen = []
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split(None, 5)[-1].strip() if len(line.split(None, 5)) == 6 else ""
                if ".so" in path and path not in seen:
                    seen.append(path)
    except (IOError, OSError):
        pass
    return seen


def _ctypes_call(path, name, restype):
    import ctypes
    library = ctypes.CDLL(path)
    func = getattr(library, name)
    func.restype = restype
    return func()


def loaded_blas():
    """Each BLAS mapped into the process and the kernels it dispatched to, asked through its own
    API: OpenBLAS's core name and thread count, MKL's code branch (mkl_cbwr_get_auto_branch)."""
    import ctypes
    found = []
    for path in _loaded_libraries():
        base = os.path.basename(path).lower()
        if "openblas" in base:
            entry = {"library": os.path.basename(path), "kind": "openblas"}
            for key, name, restype in (("core", "openblas_get_corename", ctypes.c_char_p),
                                       ("config", "openblas_get_config", ctypes.c_char_p),
                                       ("threads", "openblas_get_num_threads", ctypes.c_int)):
                value = _first_symbol(path, (name, name + "64_", "scipy_" + name, "scipy_" + name + "64_"), restype)
                entry[key] = value.decode("ascii", "replace") if isinstance(value, bytes) else value
            found.append(entry)
        elif base.startswith("libmkl_rt") or base.startswith("libmkl_core") or "libtorch_cpu" in base:
            branch = _first_symbol(path, ("mkl_cbwr_get_auto_branch", "MKL_CBWR_Get_Auto_Branch"), ctypes.c_int)
            if branch is not None or "mkl" in base:
                found.append({"library": os.path.basename(path), "kind": "mkl",
                              "auto_branch": MKL_BRANCHES.get(branch, branch),
                              "threads": _first_symbol(path, ("mkl_get_max_threads", "MKL_Get_Max_Threads"), ctypes.c_int)})
    return found


# MKL_CBWR branch numbers (mkl_service.h) -> names
MKL_BRANCHES = {1: "COMPATIBLE", 2: "SSE2", 3: "SSSE3", 4: "SSE4_1", 5: "SSE4_2", 6: "AVX", 7: "AVX2",
                8: "AVX512_MIC", 9: "AVX512", 10: "AVX512_MIC_E1", 11: "AVX512_E1", 12: "AVX512_E2",
                13: "AVX512_E3", 14: "AVX512_E4", 15: "AVX2_E1", 16: "AVX512_E5"}


def _first_symbol(path, names, restype):
    for name in names:
        try:
            return _ctypes_call(path, name, restype)
        except (AttributeError, OSError):
            continue
    return None


def numpy_simd():
    """The SIMD extensions numpy was built for and found at run time (numpy >= 1.20)."""
    import numpy
    core = getattr(numpy, "_core", None) or getattr(numpy, "core", None)
    multiarray = getattr(core, "_multiarray_umath", None)
    if multiarray is None or not hasattr(multiarray, "__cpu_features__"):
        return None
    features = multiarray.__cpu_features__
    return {"baseline": list(getattr(multiarray, "__cpu_baseline__", [])),
            "dispatch": [f for f in getattr(multiarray, "__cpu_dispatch__", []) if features.get(f)]}


def tf_codepath(tf):
    """oneDNN: built in, and on for this process (TensorFlow's own IsMklEnabled, which reads
    TF_ENABLE_ONEDNN_OPTS and, from TF 2.x, the CPU's features); thread pool sizes."""
    facts = {"version": str(getattr(tf, "__version__", None)), "onednn_built": None, "onednn_on": None}
    try:
        from tensorflow.python.util import _pywrap_util_port as port
        facts["onednn_on"] = bool(port.IsMklEnabled())
        if hasattr(port, "IsBuiltWithMkl"):
            facts["onednn_built"] = bool(port.IsBuiltWithMkl())
    except Exception as exc:
        facts["onednn_on"] = None
        facts["onednn_why_unknown"] = bounded(as_text(exc), 200)
    threading = getattr(getattr(tf, "config", None), "threading", None)
    if threading is not None:
        facts["intra_op_threads"] = threading.get_intra_op_parallelism_threads()
        facts["inter_op_threads"] = threading.get_inter_op_parallelism_threads()
    return facts


def torch_codepath(torch):
    """torch's ATen CPU capability, its BLAS and oneDNN, thread counts (torch's own API)."""
    facts = {"version": str(torch.__version__)}
    cpu = getattr(getattr(torch, "backends", None), "cpu", None)
    facts["cpu_capability"] = cpu.get_cpu_capability() if hasattr(cpu, "get_cpu_capability") else None
    facts["mkl"] = bool(torch.backends.mkl.is_available())
    facts["mkldnn"] = bool(torch.backends.mkldnn.is_available())
    config = torch.__config__.show() if hasattr(torch, "__config__") else ""
    blas = re.search(r"BLAS_INFO=(\w+)", config)
    facts["blas_info"] = blas.group(1) if blas else None
    mkl = re.search(r"Math Kernel Library Version ([\w.]+)", config)
    facts["mkl_version"] = mkl.group(1) if mkl else None
    facts["threads"] = torch.get_num_threads()
    facts["interop_threads"] = torch.get_num_interop_threads()
    return facts


def jax_codepath(jax):
    """XLA's platform and flags: XLA compiles for the host CPU, so its flags are the switch."""
    facts = {"version": str(jax.__version__), "platform": None}
    try:
        facts["platform"] = str(jax.default_backend())
    except Exception:
        pass
    facts["xla_flags"] = os.environ.get("XLA_FLAGS")
    return facts


def theano_codepath(theano):
    """Theano compiles C for this CPU: its BLAS flags, OpenMP and the compiler flags."""
    config = theano.config
    facts = {"version": str(theano.__version__)}
    for key, name in (("blas_ldflags", "blas.ldflags"), ("openmp", "openmp"), ("floatX", "floatX"),
                      ("cxxflags", "gcc.cxxflags")):
        try:
            value = config
            for part in name.split("."):
                value = getattr(value, part)
            facts[key] = value if isinstance(value, (bool, int)) else str(value)
        except AttributeError:
            facts[key] = None
    return facts


def mxnet_codepath(mx):
    """MXNet's compiled-in features as it reports them (mx.runtime.Features, MXNet >= 1.5): oneDNN
    (MKLDNN), OpenMP, the BLAS it was built with, the SIMD it was compiled for."""
    facts = {"version": str(getattr(mx, "__version__", None))}
    features = mx.runtime.Features()
    enabled = sorted(name for name in features if features.is_enabled(name))
    facts["features_enabled"] = enabled
    for key, name in (("mkldnn", "MKLDNN"), ("openmp", "OPENMP"), ("cuda", "CUDA")):
        facts[key] = name in enabled if name in features else None
    facts["blas"] = [name for name in enabled if name.startswith("BLAS_")]
    return facts


def plaidml_codepath(plaidml):
    """PlaidML compiles its kernels for the device it was given (PLAIDML_DEVICE_IDS, in env)."""
    return {"version": str(getattr(plaidml, "__version__", None)),
            "device_ids": os.environ.get("PLAIDML_DEVICE_IDS")}


def openvino_codepath(ov):
    """OpenVINO's CPU plugin: the device it found, its optimisation capabilities and the precision
    it infers in (a bf16 or f16 hint, on a CPU that has them, would compute another program)."""
    core = ov.Core()
    facts = {"version": str(ov.get_version() if hasattr(ov, "get_version") else ov.__version__),
             "devices": [str(d) for d in core.available_devices]}
    for key, name in (("cpu_name", "FULL_DEVICE_NAME"), ("capabilities", "OPTIMIZATION_CAPABILITIES"),
                      ("inference_precision", "INFERENCE_PRECISION_HINT"),
                      ("threads", "INFERENCE_NUM_THREADS")):
        try:
            value = core.get_property("CPU", name)
            facts[key] = [str(v) for v in value] if isinstance(value, (list, tuple)) else str(value)
        except Exception as exc:
            facts[key] = {"unknown": bounded(as_text(exc), 200)}
    return facts


# --------------------------------------------------------------------------------------------
# Devices: the GPU facts each framework reports, and the device a replay actually ran on.
# --------------------------------------------------------------------------------------------
GPU_MARKERS = ("gpu", "cuda", "rocm")


def device_environment(backend, device):
    """Variables that keep a CPU cell on the CPU of a machine with a GPU (none for a GPU cell)."""
    if device != "cpu":
        return {}
    env = {"CUDA_VISIBLE_DEVICES": ""}
    if backend == "jax":
        env["JAX_PLATFORMS"] = "cpu"
    return env


def device_fallback(requested, devices):
    """Why a replay that asked for the GPU ran without one, or None (also for CPU replays).

    `devices` is any recorded list naming devices: observed['devices'] or [observed['device_used']]
    ("/physical_device:GPU:0", "cuda:0", "gpu" count as GPUs; "CpuDevice(id=0)", "cpu" do not)."""
    if requested != "gpu":
        return None
    names = [as_text(d) for d in devices or ()]
    if any(marker in name.lower() for name in names if not name.startswith("unknown")
           for marker in GPU_MARKERS):
        return None
    return bounded("requested gpu, ran with %s" % (", ".join(names) or "no device listed"), 500)


def nvidia_driver(path="/proc/driver/nvidia/version"):
    """The NVIDIA kernel driver's version from /proc (cheap; None without that driver)."""
    try:
        with open(path) as handle:
            line = handle.readline()
    except (IOError, OSError):
        return None
    found = re.search(r"\s(\d+\.\d+(?:\.\d+)*)\s", line)
    return found.group(1) if found else bounded(line.strip(), 200)


def gpu_facts(backend, lib):
    """GPU model(s), compute capability, CUDA and cuDNN versions as the backend reports them."""
    facts = {"driver": nvidia_driver()}
    probe = {"torch": torch_gpu_facts, "tensorflow": tf_gpu_facts, "jax": jax_gpu_facts}.get(backend)
    if probe is not None and lib is not None:
        try:
            facts.update(probe(lib))
        except Exception as exc:
            facts["error"] = bounded("%s: %s" % (type(exc).__name__, as_text(exc)), 500)
    return facts


def torch_gpu_facts(torch):
    cudnn = torch.backends.cudnn
    facts = {"cuda": torch.version.cuda, "hip": getattr(torch.version, "hip", None),
             "cudnn": cudnn.version() if cudnn.is_available() else None, "gpus": []}
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            facts["gpus"].append({"name": torch.cuda.get_device_name(index),
                                  "capability": "%d.%d" % tuple(torch.cuda.get_device_capability(index))})
    return facts


def tf_gpu_facts(tf):
    facts = {"gpus": []}
    build_info = getattr(getattr(tf, "sysconfig", None), "get_build_info", None)   # TF >= 2.3
    if build_info is not None:
        info = build_info()
        facts.update(cuda=info.get("cuda_version"), cudnn=info.get("cudnn_version"),
                     cuda_build=info.get("is_cuda_build"))
    config = getattr(tf, "config", None)
    listing = getattr(config, "list_physical_devices", None)                        # TF >= 2.1
    details = getattr(getattr(config, "experimental", None), "get_device_details", None)
    for gpu in listing("GPU") if listing is not None else ():
        entry = {"device": gpu.name}
        if details is not None:
            found = details(gpu)
            capability = found.get("compute_capability")
            entry.update(name=found.get("device_name"),
                         capability="%d.%d" % tuple(capability) if capability else None)
        facts["gpus"].append(entry)
    return facts


def jax_gpu_facts(jax):
    facts = {"platform": jax.default_backend(), "gpus": []}
    for device in jax.devices():
        if device.platform != "cpu":
            facts["gpus"].append({"name": getattr(device, "device_kind", None), "platform": device.platform,
                                  "capability": getattr(device, "compute_capability", None)})
    try:  # the CUDA plugin's own report (jax >= 0.4.x); absent on CPU-only installs
        from jax._src.lib import cuda_versions
    except ImportError:
        cuda_versions = None
    if cuda_versions is not None:
        for key, name in (("cuda", "cuda_runtime_get_version"), ("cudnn", "cudnn_get_version"),
                          ("cuda_driver", "cuda_driver_get_version")):
            if hasattr(cuda_versions, name):
                facts[key] = getattr(cuda_versions, name)()
    return facts


def device_used(backend, lib):
    """'gpu' or 'cpu': where the scenario's computations ran, as the backend shows it afterwards."""
    if lib is None:
        return "cpu"
    probe = {"torch": torch_device_used, "tensorflow": tf_device_used, "jax": jax_device_used,
             "theano": theano_device_used, "cntk": cntk_device_used, "mxnet": mxnet_device_used,
             "plaidml": plaidml_device_used, "numpy": lambda lib: "cpu",
             "openvino": openvino_device_used}[backend]
    try:
        return probe(lib)
    except Exception as exc:
        return bounded("unknown (%s: %s)" % (type(exc).__name__, as_text(exc)), 500)


def torch_device_used(torch):
    """Keras 3 puts tensors on CUDA when it is available; memory allocated there proves it."""
    if not torch.cuda.is_available() or not torch.cuda.is_initialized():
        return "cpu"
    return "gpu" if torch.cuda.max_memory_allocated() > 0 else "cpu"


def tf_device_used(tf):
    """TF places ops on a visible GPU by default; its peak memory (TF >= 2.5) confirms the use."""
    if tf_major(tf) < 2:
        from tensorflow.python.client import device_lib
        return "gpu" if any(d.device_type == "GPU" for d in device_lib.list_local_devices()) else "cpu"
    if not tf.config.list_logical_devices("GPU"):
        return "cpu"
    memory = getattr(tf.config.experimental, "get_memory_info", None)
    if memory is None:
        return "gpu"
    return "gpu" if memory("GPU:0").get("peak", 0) > 0 else "cpu"


def jax_device_used(jax):
    platform_name = jax.default_backend()
    return "gpu" if platform_name in ("gpu", "cuda", "rocm") else platform_name


def theano_device_used(theano):
    device = str(theano.config.device)
    return "gpu" if device.startswith(("cuda", "gpu", "opencl")) else "cpu"


def mxnet_device_used(mx):
    """keras-mxnet runs on the GPUs its model is given; with none visible it can only be the CPU."""
    gpus = mx.context.num_gpus()
    return "cpu" if gpus == 0 else "unknown (MXNet sees %d GPU(s); the model's context is not read)" % gpus


def plaidml_device_used(plaidml):
    """PlaidML runs on the device PLAIDML_DEVICE_IDS names (llvm_cpu.0: its LLVM CPU device)."""
    ids = os.environ.get("PLAIDML_DEVICE_IDS", "")
    return "cpu" if ids.startswith("llvm_cpu") else "unknown (PLAIDML_DEVICE_IDS=%s)" % ids


def openvino_device_used(ov):
    """Keras 3's openvino backend compiles every model for OpenVINO's "CPU" device."""
    keras_core = sys.modules.get("keras.src.backend.openvino.core")
    device = keras_core.get_device() if hasattr(keras_core, "get_device") else None
    return "cpu" if device == "CPU" else "unknown (keras openvino device %s)" % device


def cntk_device_used(cntk):
    device = cntk.device.use_default_device()
    return "gpu" if device.type() == cntk.device.DeviceKind.GPU else "cpu"


# --------------------------------------------------------------------------------------------
# Scenario: contract 1 is run_once(keras, np); contract 2 adds declarations and a ctx argument.
# --------------------------------------------------------------------------------------------
def load_support():
    """scenario_support.py, beside this file, as the module `scenario_support` (importable by
    scenarios) without putting this directory on sys.path."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenario_support.py")
    with open(path, "rb") as handle:
        source = handle.read()
    module = types.ModuleType("scenario_support")
    module.__file__ = path
    exec(compile(source, path, "exec"), module.__dict__)
    sys.modules["scenario_support"] = module
    return module


def load_scenario(path):
    """Execute a scenario file and return its namespace (NAME, REPEATS, run_once)."""
    with open(path, "rb") as handle:
        source = handle.read()
    namespace = {"__file__": path, "__name__": "scenario"}
    exec(compile(source, path, "exec"), namespace)
    if not callable(namespace.get("run_once")):
        raise ValueError("scenario %s defines no run_once(keras, np)" % path)
    return namespace, hashlib.sha256(source).hexdigest()


def scenario_plan(namespace, path):
    """The scenario's declarations, checked, with the defaults of contract 1."""
    contract = namespace.get("CONTRACT", 1)
    if contract not in SCENARIO_CONTRACTS:
        raise ValueError("scenario declares CONTRACT = %s; this worker runs contracts %s"
                         % (short_repr(contract), ", ".join(map(str, SCENARIO_CONTRACTS))))
    missing = [key for key in ("NAME", "METRIC", "REPEATS") if key not in namespace]
    if contract >= 2 and missing:
        raise ValueError("a contract-2 scenario must define %s" % ", ".join(missing))
    plan = {"contract": contract, "repeats": namespace.get("REPEATS", 10),
            "name": namespace.get("NAME", os.path.splitext(os.path.basename(path))[0]),
            "metric": namespace.get("METRIC", "MSE"), "timeout": namespace.get("TIMEOUT"),
            "data_seed": namespace.get("DATA_SEED")}
    for key, check, meaning in PLAN_CHECKS:
        if not check(plan[key]):
            raise ValueError("scenario %s is %s, not %s" % (key.upper(), short_repr(plan[key]), meaning))
    plan["name"], plan["metric"] = bounded(plan["name"], 200), bounded(plan["metric"], 200)
    return plan


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


PLAN_CHECKS = (
    ("repeats", lambda v: _is_int(v) and v >= 1, "a positive integer"),
    ("timeout", lambda v: v is None or isinstance(v, numbers.Real) and not isinstance(v, bool) and v > 0,
     "a positive number of seconds"),
    ("data_seed", lambda v: v is None or _is_int(v) and 0 <= v < 2 ** 32, "an integer in [0, 2**32)"),
    ("name", lambda v: isinstance(v, TEXT_TYPES), "text"),
    ("metric", lambda v: isinstance(v, TEXT_TYPES), "text"),
)


class Facts(dict):
    """The cell as a scenario's applies(info) sees it; keys read as attributes too (info.backend)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name)


def scenario_facts(args, lib, keras):
    version = keras_version(keras)
    return Facts(api=args.api, backend=args.backend, device=args.device, keras=version,
                 keras_major=major_of(version),
                 backend_version=str(getattr(lib, "__version__", None)) if lib is not None else None,
                 python=platform.python_version(), numpy=module_version("numpy"))


def major_of(version):
    try:
        return int(str(version).split(".")[0])
    except ValueError:
        return None


def not_applicable_reason(scenario, facts):
    """None when the scenario applies to this cell, else the reason its applies(info) gave."""
    applies = scenario.get("applies")
    if applies is None:
        return None
    answer = applies(facts)
    if answer is True:
        return None
    if isinstance(answer, TEXT_TYPES) and answer:
        return bounded(answer, 500)
    return "applies(info) returned %s" % short_repr(answer)


# Keras 3 backends that implement inference only: fit raises NotImplementedError. A scenario runs
# there only when it declares TRAINS = False (scenarios/inference.py); the others are recorded
# not-applicable with the reason, never run to a crash.
INFERENCE_ONLY = {
    "numpy": "Keras 3's numpy backend implements inference only (fit raises NotImplementedError: "
             "'fit not implemented for NumPy backend')",
    "openvino": "Keras 3's openvino backend implements inference only (fit raises "
                "NotImplementedError: '`fit` is not supported with openvino backend')",
}


def inference_only_reason(scenario, api, backend):
    """None when the scenario can run on the backend, else why not: the backend cannot train and
    the scenario does not declare TRAINS = False."""
    if api != "keras3" or backend not in INFERENCE_ONLY or scenario.get("TRAINS", True) is False:
        return None
    return "%s; scenario %s trains (it does not declare TRAINS = False)" % (
        INFERENCE_ONLY[backend], scenario.get("NAME", "?"))


class Context(object):
    """The `ctx` a contract-2 run_once(keras, np, ctx) receives, fresh for every repeat.

    Attributes: api, backend, device, keras_major (None without Keras), info (the applies() facts),
    data_rng (numpy RandomState(DATA_SEED), new for each repeat, so every repeat sees the same
    data), phases, losses. Methods: phase(name), fit_timer(), loss_trace(history_or_list), and
    every helper of scenario_support (ctx.dense_input, ctx.weights_digest, ...).
    """

    def __init__(self, support, keras, facts, data_seed):
        self.support, self.keras, self.info = support, keras, facts
        self.api, self.backend, self.device = facts["api"], facts["backend"], facts["device"]
        self.keras_major = facts["keras_major"]
        self.phases, self.losses = {}, None
        self._data_seed, self._data_rng = data_seed, None

    def __getattr__(self, name):
        support = self.__dict__.get("support")
        if support is None or name.startswith("_"):
            raise AttributeError(name)
        return getattr(support, name)

    @property
    def data_rng(self):
        if self._data_seed is None:
            raise ValueError("ctx.data_rng needs DATA_SEED = <integer> in the scenario")
        if self._data_rng is None:
            import numpy
            self._data_rng = numpy.random.RandomState(self._data_seed)
        return self._data_rng

    def add_phase(self, name, seconds):
        self.phases[name] = self.phases.get(name, 0.0) + seconds

    @contextlib.contextmanager
    def phase(self, name):
        """Time a part of the repeat: `with ctx.phase("build"): ...` (repeated names add up)."""
        start = clock()
        try:
            yield
        finally:
            self.add_phase(name, clock() - start)

    def fit_timer(self):
        """A keras callback splitting a fit into 'fit_first_epoch' and 'fit_later_epochs'."""
        return self.support.fit_timer(self.keras, self.add_phase)

    def loss_trace(self, history):
        """Record this repeat's per-epoch loss: a History from fit(), its .history, or a list."""
        self.losses = self.support.loss_values(history)


def run_repeats(scenario, plan, keras, facts, support, result):
    """Call run_once plan['repeats'] times; a NaN or infinite value is kept as float.hex text only."""
    import numpy
    values, hexes, fits, phases, traces = [], [], [], [], []
    result.update({"values": values, "values_hex": hexes, "fit_seconds": fits, "phase_seconds": phases,
                   "loss_traces": traces})
    for _ in range(plan["repeats"]):
        ctx = Context(support, keras, facts, plan["data_seed"]) if plan["contract"] >= 2 else None
        start = clock()
        value = scenario["run_once"](*((keras, numpy) if ctx is None else (keras, numpy, ctx)))
        seconds = clock() - start
        value = as_number(value)
        fits.append(seconds)
        phases.append(ctx.phases if ctx is not None else {})
        traces.append(trace_hex(ctx.losses) if ctx is not None and ctx.losses is not None else None)
        values.append(value if finite(value) else None)
        hexes.append(value.hex())
        print("repeat %d: %r" % (len(values), value))
    return "ok" if None not in values else "non-finite"


def as_number(value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) and not hasattr(value, "__float__"):
        raise TypeError("run_once returned %s, not a number" % short_repr(value))
    return float(value)


def trace_hex(losses):
    """A loss trace as float.hex text, its middle cut when it is longer than LOSS_TRACE_LIMIT."""
    if len(losses) > LOSS_TRACE_LIMIT:
        half = LOSS_TRACE_LIMIT // 2
        losses = losses[:half] + losses[-half:]
    return [float(x).hex() for x in losses]


def short_repr(value):
    """A repr of bounded length that never builds the whole text of a huge object."""
    try:
        import reprlib
    except ImportError:  # Python 2
        import repr as reprlib
    return "a %s: %s" % (type(value).__name__, bounded(reprlib.repr(value), 300))


def finite(value):
    return not (math.isnan(value) or math.isinf(value))


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------
def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--recipe", required=True, choices=RECIPES)
    parser.add_argument("--api", required=True, choices=APIS)
    parser.add_argument("--backend", required=True, choices=BACKENDS)
    parser.add_argument("--device", default="cpu", choices=("cpu", "gpu"))
    parser.add_argument("--repeats", type=positive_int, default=None)
    parser.add_argument("--drop", action="append", default=[], metavar="CALL",
                        help="leave out the recipe's calls that start with CALL (an ablation): "
                             "'random.seed', 'env PYTHONHASHSEED', ...")
    parser.add_argument("--out", required=True)
    return parser.parse_args(argv)


def json_safe(value):
    """The value as strict JSON data: non-finite floats become null, numpy scalars plain numbers,
    bytes and unknown objects text (a result must never fail to serialise)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return value if finite(value) else None
    if isinstance(value, dict):
        return dict((as_text(k), json_safe(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return as_text(value)


def as_text(value):
    """Text of anything, never raising (bytes are decoded as UTF-8 with replacement)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    try:
        return u"%s" % (value,)
    except Exception:
        return repr(value)


def out_problem(path):
    """Why no result file can be written at `path`, or None; a cheap check made before any import."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return "%s is not a directory" % folder
    if os.path.isdir(path):
        return "%s is a directory" % path
    probe = os.path.join(folder, ".worker-probe-%d" % os.getpid())
    try:
        with open(probe, "w"):
            pass
        os.remove(probe)
    except (IOError, OSError) as exc:
        return "cannot create a file in %s (%s)" % (folder, exc)
    return None


MAX_REPEATS = 100000


def positive_int(text):
    value = int(text)
    if not 1 <= value <= MAX_REPEATS:
        raise argparse.ArgumentTypeError("%s is not an integer from 1 to %d" % (text[:40], MAX_REPEATS))
    return value


def write_result(path, result):
    tmp = path + ".tmp%d" % os.getpid()
    with open(tmp, "w") as handle:
        json.dump(json_safe(result), handle, indent=1, sort_keys=True, allow_nan=False)
        handle.flush()
        os.fsync(handle.fileno())
    os.rename(tmp, path)


def bounded(text, limit=TEXT_LIMIT):
    """The text, or its head and tail around a marker saying how much was cut."""
    text = as_text(text)
    if len(text) <= limit:
        return text
    keep = limit // 2
    return u"%s\n... [%d characters cut] ...\n%s" % (text[:keep], len(text) - 2 * keep, text[-keep:])


# Errors by which an op refuses to run under determinism switches; group 1 names the op. Every
# repetition is bounded and every free start anchored, so a search is linear in the message (an
# unbounded `(\S+) does not` took 8 s on 40,000 characters of one word and hung the worker).
REFUSALS = (
    re.compile(r"(?<!\S)(\S{1,200}) does not have a deterministic implementation"),  # torch; XLA's HLO
    re.compile(r"not deterministic because it uses (CuBLAS)"),              # torch without CUBLAS_WORKSPACE_CONFIG
    re.compile(r"[Dd]eterministic GPU implementation of (.{1,200}?),? (?:when [^,]{0,200}, )?(?:is )?"
               r"not (?:currently )?available"),
    re.compile(r"GPU (.{1,200}?) do(?:es)? not yet have a deterministic"),   # TF, e.g. MaxPool gradient under XLA
)
# Where TensorFlow names the exact op: a graph node (its last path part) or an eager op.
OP_TAGS = (re.compile(r"\{\{node ([^}]{1,300})\}\}"), re.compile(r"\[Op:(?!__)([\w.-]{1,200})\]"))


REFUSAL_SEARCHED = 50000   # characters searched at each end of a longer message


def determinism_refusal(message):
    """The op an error says has no deterministic implementation, or None if it says no such thing
    (every refusal says "deterministic"; only the head and tail of a huge message are searched)."""
    if "eterministic" not in message:
        return None
    if len(message) > 2 * REFUSAL_SEARCHED:
        message = message[:REFUSAL_SEARCHED] + "\n" + message[-REFUSAL_SEARCHED:]
    for pattern in REFUSALS:
        found = pattern.search(message)
        if found:
            break
    else:
        return None
    for tag in OP_TAGS:
        named = tag.search(message)
        if named:
            return named.group(1).split("/")[-1]
    return found.group(1)


def failure(phase, exc_info):
    """The status and error record of an exception that ended the run."""
    error = describe_error(phase, exc_info)
    op = determinism_refusal(as_text(exc_info[1]))
    if op is not None:
        error["op"] = op
        return "determinism-unavailable", error
    return ("import-failed" if phase == "import" else "crashed"), error


def describe_error(phase, exc_info):
    exc_type, exc, tb = exc_info
    return {"phase": phase, "type": exc_type.__name__, "message": bounded(as_text(exc), TEXT_LIMIT // 2),
            "traceback": bounded("".join(traceback.format_exception(exc_type, exc, tb)))}


def execute(args, result):
    """The pipeline; sets result['phase'] as it goes so a failure names where it happened."""
    started = time.time()
    log = SeedLog(args.drop)
    result["seed_calls"], result["seed_unavailable"] = log.calls, log.unavailable
    if args.drop:
        result["seed_drops"], result["seed_dropped"] = list(args.drop), log.dropped
    result["phase"] = "import"
    imports = result["import_phase_seconds"] = {}
    start = clock()
    lib = import_backend(args.backend)
    imports["backend"] = clock() - start
    result["phase"] = "seed"
    apply_before_keras(args.recipe, args.backend, lib, log, args.device, recipe_api(args.api))
    result["phase"] = "import"
    start = clock()
    keras = import_keras(args.api)
    imports["keras"] = clock() - start
    result["import_seconds"] = time.time() - started
    result["phase"] = "seed"
    apply_after_keras(args.recipe, recipe_api(args.api), args.backend, lib, keras, log)
    log.settle()
    if args.api == "keras1":
        result["api_adapter"] = adapt_keras1(keras)
    observe(args.api, args.backend, lib, keras, result)
    result["phase"] = "scenario"
    support = load_support()
    scenario, digest = load_scenario(args.scenario)
    plan = scenario_plan(scenario, args.scenario)
    if args.repeats is not None:
        plan["repeats"] = args.repeats
    result.update(scenario_name=plan["name"], scenario_sha256=digest, contract=plan["contract"],
                  metric=plan["metric"], repeats=plan["repeats"], timeout=plan["timeout"],
                  data_seed=plan["data_seed"])
    facts = scenario_facts(args, lib, keras)
    reason = inference_only_reason(scenario, args.api, args.backend) or not_applicable_reason(scenario, facts)
    if reason is not None:
        result["status"], result["reason"] = "not-applicable", reason
        return
    status = run_repeats(scenario, plan, keras, facts, support, result)
    result["codepath"] = codepath(args.backend, lib)
    used = result["observed"]["device_used"] = device_used(args.backend, lib)
    fallback = device_fallback(args.device, [used])
    if fallback is not None:
        status, result["reason"] = "gpu-fallback", fallback
    result["status"] = status


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    problem = out_problem(args.out)
    if problem:
        sys.stderr.write("worker: no result can be written: %s\n" % problem)
        return EXIT_OUT_UNWRITABLE
    reexec_if_needed(recipe_view(args))
    started = time.time()
    result = {"schema": RESULT_SCHEMA, "status": "running", "recipe": args.recipe, "api": args.api,
              "backend": args.backend, "device": args.device, "pid": os.getpid(),
              "thread_env": dict((k, os.environ.get(k)) for k in THREAD_VARS if k in os.environ)}
    try:
        execute(args, result)
    except BaseException:
        result["status"], result["error"] = failure(result.get("phase"), sys.exc_info())
        traceback.print_exc()
    result["total_seconds"] = time.time() - started
    write_result(args.out, result)
    return 0 if result["status"] in RAN_TO_AN_OUTCOME else 1


if __name__ == "__main__":
    sys.exit(main())
