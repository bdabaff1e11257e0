"""What old backends need on a modern Linux, arranged per environment without manual steps.

* Theano compiles C code into a cache; each environment gets its own (base_compiledir), so
  stacks never share or corrupt each other's compiled modules.
* CNTK 2.7 links against OpenMPI 1.10 sonames (libmpi.so.12, libmpi_cxx.so.1). Debian ships
  OpenMPI 4 (libmpi.so.40); we install the runtime when it is missing and put the old names,
  as symlinks, in a private directory on the cell's LD_LIBRARY_PATH.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

MPI_PACKAGE = "libopenmpi3"
MPI_SONAMES = {"libmpi.so.12": "libmpi.so.40", "libmpi_cxx.so.1": "libmpi_cxx.so.40"}
LIB_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib")


def prepare(cell, path: Path, log: Path) -> dict:
    """Extra environment variables the cell's worker needs (recorded in the env marker)."""
    extra = {}
    if cell.backend == "theano":
        cache = path / "theano-cache"
        cache.mkdir(exist_ok=True)
        flags = [f for f in cell.env_dict.get("THEANO_FLAGS", "").split(",") if f]
        extra["THEANO_FLAGS"] = ",".join(flags + [f"base_compiledir={cache}"])
    if cell.backend == "cntk":
        extra["LD_LIBRARY_PATH"] = str(_cntk_compat_libs(path, log))
    return extra


def find_library(name: str) -> str | None:
    for directory in LIB_DIRS:
        hits = sorted(glob.glob(os.path.join(directory, name)))
        if hits:
            return hits[0]
    return None


def _cntk_compat_libs(path: Path, log: Path) -> Path:
    from .environment import InstallError
    if find_library("libmpi.so.40") is None:
        if shutil.which("apt-get") is None:
            raise InstallError(f"CNTK needs the OpenMPI runtime ({MPI_PACKAGE}) and apt-get is not available")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", MPI_PACKAGE]):
            with open(log, "a") as handle:
                done = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, env=env)
            if done.returncode != 0:
                raise InstallError(f"exit {done.returncode}: {' '.join(command)} (needed by CNTK)")
    compat = path / "compat-libs"
    compat.mkdir(exist_ok=True)
    for old, new in MPI_SONAMES.items():
        target = find_library(new)
        if target is None:
            raise InstallError(f"{new} not found after installing {MPI_PACKAGE}; CNTK needs it as {old}")
        link = compat / old
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target)
    return compat
