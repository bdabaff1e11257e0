"""Machines: the facts that can change a seeded result, measured once and stored once.

The id is a hash of the CPU model, its flags, the core count and the architecture (unchanged
since schema 1, so old records keep their machine); the label is what a reader needs to tell
machines apart: vendor, model, family/model, the ISA features that change floating-point results
(FMA contraction, AVX-512 and AMX kernels chosen by oneDNN/XLA/MKL), cores, OS, glibc and GPUs.
"""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path

from . import records
from .machine_facts import complete_info, label, machine_id  # noqa: F401 (re-exported)


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
