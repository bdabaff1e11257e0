"""Machine classes: machines that take the same numerical code path for a stack count as one.

What decides the code path, per stack (docs/codepath.md has the records behind each):
  * TensorFlow >= 2.9: oneDNN on or off. TensorFlow turns its oneDNN ops on by default only on
    CPUs with AVX512_VNNI, AVX512_BF16, AVX_VNNI or AMX, and TF_ENABLE_ONEDNN_OPTS overrides it.
    Established: with oneDNN forced on, an AVX2 machine gives the AVX-512 machines' doubles, and
    with it off an AVX-512 machine gives the AVX2 machine's.
  * torch: MKL, its BLAS, which picks kernels by CPU vendor (a hypothesis: the two AMD machines
    agree and the Intel one differs; MKL_CBWR moves the doubles on AMD).
  * TensorFlow < 2.9 (TF 1.x, Eigen): the CPU vendor (a hypothesis: Eigen's blocking follows the
    cache sizes, which Intel and AMD report differently; the two AMD machines agree).
  * Theano, JAX, no backend: one class for an architecture (the records show no split).
A class is predicted from the machine's facts before anything runs; where a record observed the
deciding fact itself (a replay's `codepath.tensorflow.onednn_on`), the observation wins.
Pure functions over machine info dicts and cell dicts.
"""
from __future__ import annotations

import dataclasses
import re

ONEDNN_DEFAULT_FLAGS = ("avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile")
VENDORS = {"GenuineIntel": "Intel", "AuthenticAMD": "AMD"}


@dataclasses.dataclass(frozen=True)
class Decider:
    name: str            # onednn | mkl-vendor | eigen-vendor
    fact: str            # what it is, in words
    established: bool    # an experiment in the records shows it (else a hypothesis)


ONEDNN = Decider("onednn", "TensorFlow's oneDNN ops on or off", True)
MKL_VENDOR = Decider("mkl-vendor", "the CPU vendor, which MKL dispatches on", False)
EIGEN_VENDOR = Decider("eigen-vendor", "the CPU vendor (Eigen's cache-size blocking)", False)


def backend_version(cell: dict) -> tuple | None:
    """(major, minor) of the cell's backend from its pinned requirements, or None."""
    backend = cell.get("backend") or ""
    for requirement in cell.get("requirements") or []:
        found = re.match(rf"\s*{re.escape(backend)}(?:\[[^\]]*\])?\s*==\s*(\d+)\.(\d+)", str(requirement))
        if found:
            return int(found.group(1)), int(found.group(2))
    return None


def decider(cell: dict) -> Decider | None:
    """What decides the code path of this stack between x86_64 machines (None: nothing known)."""
    backend = cell.get("backend")
    if backend == "tensorflow":
        version = backend_version(cell)
        return ONEDNN if version is not None and version >= (2, 9) else EIGEN_VENDOR
    if backend == "torch":
        return MKL_VENDOR
    return None


def facts(info: dict) -> dict:
    """The machine facts that decide code paths, predicted from its CPU alone."""
    flags = set(info.get("cpu_flags") or [])
    return {"arch": info.get("machine") or "?",
            "vendor": VENDORS.get(info.get("cpu_vendor") or "", info.get("cpu_vendor") or "?"),
            "onednn_default": bool(flags & set(ONEDNN_DEFAULT_FLAGS)),
            "onednn_flags": [f for f in ONEDNN_DEFAULT_FLAGS if f in flags]}


def machine_class(info: dict) -> str:
    """The class of a machine over every decider, e.g. 'x86_64 oneDNN-on Intel'."""
    found = facts(info)
    return f"{found['arch']} oneDNN-{'on' if found['onednn_default'] else 'off'} {found['vendor']}"


def cell_class(info: dict, cell: dict, observed_onednn: bool | None = None) -> str:
    """The class of a machine for one stack: 'oneDNN on', 'MKL on AMD', ..., or the architecture."""
    rule = decider(cell)
    found = facts(info)
    if rule is ONEDNN:
        on = found["onednn_default"] if observed_onednn is None else observed_onednn
        return "oneDNN on" if on else "oneDNN off"
    if rule is MKL_VENDOR:
        return f"MKL on {found['vendor']}"
    if rule is EIGEN_VENDOR:
        return f"Eigen on {found['vendor']}"
    return found["arch"]


def onednn_of(codepath) -> bool | None:
    """oneDNN's state as TensorFlow itself reported it in a replay's code path (None: not recorded)."""
    tf = codepath.get("tensorflow") if isinstance(codepath, dict) else None
    on = tf.get("onednn_on") if isinstance(tf, dict) else None
    return on if isinstance(on, bool) else None


def outcome_class(outcome, infos: dict | None) -> str | None:
    """The class of an outcome's machine for its stack, its own observation first (None: no
    machine file for it)."""
    info = (infos or {}).get(outcome.machine)
    return None if info is None else cell_class(info, outcome.cell, onednn_of(outcome.codepath))


def explains(groups: tuple, class_of: dict) -> bool:
    """True when the machines' lists split exactly along their classes: each list's machines
    share one class and no class gives two lists."""
    seen = {}
    for _, machines in groups:
        labels = {class_of.get(m) for m in machines}
        if len(labels) != 1 or None in labels:
            return False
        label = labels.pop()
        if label in seen:
            return False
        seen[label] = True
    return True
