"""Facts about a machine derived from its recorded info: ISA features, glibc, id and label.
Pure functions (no I/O), used by the machine store and by the record upgrades alike."""
from __future__ import annotations

import hashlib
import json
import platform
import re

# Features whose presence changes which kernels numeric libraries pick, in display order.
NUMERIC_ISA = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16",
               "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8", "asimd", "sve")
SHOWN_ISA = {"avx2": "AVX2", "fma": "FMA", "avx512f": "AVX-512", "amx_tile": "AMX",
             "avx512_bf16": "AVX-512-BF16", "asimd": "NEON", "sve": "SVE"}


def complete_info(info: dict) -> dict:
    """Derived facts (ISA features, glibc) filled in, also for machine files of schema 1."""
    info = dict(info)
    flags = set(info.get("cpu_flags") or [])
    info["isa"] = [f for f in NUMERIC_ISA if f in flags]
    if not info.get("glibc"):
        found = re.search(r"glibc([\d.]+)", info.get("os") or "")
        info["glibc"] = found.group(1) if found else (platform.libc_ver()[1] or None
                                                      if info.get("os") == platform.platform() else None)
    info.setdefault("gpus", [])
    return info


def machine_id(info: dict) -> str:
    blob = json.dumps({k: info[k] for k in ("cpu_model", "cpu_flags", "cores", "machine")},
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:10]


def label(info: dict) -> str:
    """e.g. 'Intel(R) Xeon(R) Processor (6/167), AVX2 FMA AVX-512 AMX, 2 cores, Linux glibc 2.36'."""
    info = complete_info(info)
    isa = " ".join(SHOWN_ISA[f] for f in info["isa"] if f in SHOWN_ISA) or "no AVX2"
    system = (info.get("os") or "?").split("-")[0]
    glibc = f" glibc {info['glibc']}" if info.get("glibc") else ""
    text = (f"{info.get('cpu_model') or '?'} ({info.get('cpu_family_model')}), {isa}, "
            f"{info.get('cores')} cores, {system}{glibc}")
    for gpu in info.get("gpus") or []:
        text += f", GPU {gpu.get('name')}"
    return text
