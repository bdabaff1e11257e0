"""Machines: the facts that can change a seeded result, measured once and stored once.

The id is a hash of the CPU model, its flags, the core count and the architecture (unchanged
since schema 1, so old records keep their machine); the label is what a reader needs to tell
machines apart: vendor, model, family/model, the ISA features that change floating-point results
(FMA contraction, AVX-512 and AMX kernels chosen by oneDNN/XLA/MKL), cores, OS, glibc and GPUs.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
from pathlib import Path

from . import records

# Features whose presence changes which kernels numeric libraries pick, in display order.
NUMERIC_ISA = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16",
               "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8", "asimd", "sve")
SHOWN_ISA = {"avx2": "AVX2", "fma": "FMA", "avx512f": "AVX-512", "amx_tile": "AMX",
             "avx512_bf16": "AVX-512-BF16", "asimd": "NEON", "sve": "SVE"}


def machine_info() -> dict:
    """CPU vendor, model, family/model and flags, cores, OS, glibc and GPUs of this machine."""
    cpu = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            key = key.strip()
            if key in ("model name", "flags", "Features", "vendor_id", "cpu family", "model") \
                    and key not in cpu:
                cpu[key] = value.strip()
    except OSError:
        pass
    flags = sorted((cpu.pop("flags", "") or cpu.pop("Features", "")).split())
    info = {
        "cpu_model": cpu.get("model name", platform.processor()),
        "cpu_vendor": cpu.get("vendor_id"),
        "cpu_family_model": f"{cpu.get('cpu family')}/{cpu.get('model')}",
        "cpu_flags": flags,
        "cores": os.cpu_count(),
        "os": platform.platform(),
        "machine": platform.machine(),
        "gpus": gpus(),
    }
    return complete_info(info)


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


def gpus() -> list:
    """NVIDIA GPUs as nvidia-smi lists them (name, driver, memory); [] without one."""
    smi = shutil.which("nvidia-smi")
    if not smi:
        return []
    try:
        done = subprocess.run([smi, "--query-gpu=name,driver_version,memory.total,compute_cap",
                               "--format=csv,noheader"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return []
    found = []
    for line in done.stdout.splitlines() if done.returncode == 0 else []:
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 4:
            found.append({"name": parts[0], "driver": parts[1], "memory": parts[2],
                          "compute_capability": parts[3]})
    return found


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


def short(machine: str) -> str:
    """The first four characters of an id: enough to tell the machines of a table apart."""
    return machine[:4]


def save_machine(results: Path) -> str:
    """This machine's id; its file is written once (and kept when already present)."""
    info = machine_info()
    ident = machine_id(info)
    path = records.machine_path(results, ident)
    if not path.exists():
        records.write(path, "machine", {"machine_id": ident, "label": label(info), "info": info})
    return ident


def this_machine() -> str:
    return machine_id(machine_info())
