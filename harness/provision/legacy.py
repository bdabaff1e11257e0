"""What old backends need on a modern Linux, arranged per environment without manual steps.

* Theano compiles C code into a cache; each environment gets its own (base_compiledir), so
  stacks never share or corrupt each other's compiled modules. A cell that names its own
  base_compiledir/compiledir in THEANO_FLAGS keeps it.
* CNTK 2.7 links against OpenMPI 1.10 sonames (libmpi.so.12, libmpi_cxx.so.1). Debian ships
  OpenMPI 4 (libmpi.so.40); we install the runtime when it is missing and put the old names,
  as symlinks, in a private directory on the cell's LD_LIBRARY_PATH.

prepare() runs when an environment is built and again when it is reused, so the extra
variables always match the cell's current definition and this machine's libraries.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import threading
from pathlib import Path

MPI_PACKAGE = "libopenmpi3"
MPI_SONAMES = {"libmpi.so.12": "libmpi.so.40", "libmpi_cxx.so.1": "libmpi_cxx.so.40"}
LIB_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib")
THEANO_CACHE_FLAGS = ("base_compiledir", "compiledir")
APT_LOCK_TIMEOUT = 300  # seconds apt-get waits for another apt/dpkg to finish


def prepare(cell, path: Path, log: Path) -> dict:
    """Extra environment variables the cell's worker needs (recorded in the env marker)."""
    extra = {}
    path = Path(path)
    if cell.backend == "theano":
        cache = path / "theano-cache"
        cache.mkdir(exist_ok=True)
        extra["THEANO_FLAGS"] = theano_flags(cell.env_dict.get("THEANO_FLAGS", ""), cache)
    if cell.backend == "cntk":
        extra["LD_LIBRARY_PATH"] = str(_cntk_compat_libs(path, log))
    return extra


def theano_flags(existing: str, cache) -> str:
    """The cell's THEANO_FLAGS with a per-environment base_compiledir added (unless it sets one)."""
    flags = [f.strip() for f in existing.split(",") if f.strip()]
    if any(f.split("=", 1)[0].strip() in THEANO_CACHE_FLAGS for f in flags):
        return ",".join(flags)
    return ",".join(flags + [f"base_compiledir={cache}"])


def find_library(name: str, dirs=LIB_DIRS) -> str | None:
    for directory in dirs:
        hits = sorted(glob.glob(os.path.join(directory, name)))
        if hits:
            return hits[0]
    return None


def link_sonames(compat: Path, sonames=None, dirs=LIB_DIRS) -> Path:
    """Symlinks old-soname -> installed library in `compat`; raises LookupError naming a missing one."""
    compat = Path(compat)
    compat.mkdir(parents=True, exist_ok=True)
    for old, new in (sonames or MPI_SONAMES).items():
        target = find_library(new, dirs)
        if target is None:
            raise LookupError(new)
        # made aside and renamed over the old link: runs reusing the environment at the same
        # time never see the name missing, and never collide on creating it
        aside = compat / f".{old}.{os.getpid()}.{threading.get_ident()}"
        if aside.is_symlink() or aside.exists():
            aside.unlink()
        aside.symlink_to(target)
        os.replace(aside, compat / old)
    return compat


def _cntk_compat_libs(path: Path, log: Path) -> Path:
    from . import InstallError
    if find_library(MPI_SONAMES["libmpi.so.12"]) is None:
        _apt_install(MPI_PACKAGE, log, "CNTK")
    try:
        return link_sonames(path / "compat-libs")
    except LookupError as exc:
        raise InstallError(f"{exc.args[0]} not found after installing {MPI_PACKAGE}; "
                           f"CNTK needs it under an older soname") from None


def _apt_install(package: str, log: Path, who: str):
    from . import InstallError
    if shutil.which("apt-get") is None:
        raise InstallError(f"{who} needs the Debian package {package} and apt-get is not available")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    lock = f"DPkg::Lock::Timeout={APT_LOCK_TIMEOUT}"
    for command in (["apt-get", "-o", lock, "update", "-q"],
                    ["apt-get", "-o", lock, "install", "-y", "-q", package]):
        with open(log, "a") as handle:
            handle.write("$ " + " ".join(command) + "\n")
            handle.flush()
            done = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT, env=env,
                                  stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise InstallError(f"exit {done.returncode}: {' '.join(command)} (needed by {who})")
