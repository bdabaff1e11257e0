"""Building a cell's environment: uv where the interpreter allows it, venv/virtualenv + pip below.

An environment is reused while its definition (Cell.key) is unchanged, so refreshing one ladder
does not rebuild the world. An install that fails is returned as data, never raised.
"""
from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import interpreters, legacy
from . import InstallError
from ..matrix import Cell

MARKER = "harness-env.json"
INSTALL_TIMEOUT = 3600
# Bootstrap pins for interpreters whose latest pip/setuptools/wheel no longer support them.
BOOTSTRAP = {
    "2.7": ["pip==20.3.4", "setuptools<45", "wheel<0.38"],
    "3.6": ["pip==21.3.1", "setuptools==59.6.0", "wheel<0.38"],
}
VIRTUALENV_FOR_OLD = "virtualenv<20.22"  # the last releases that create 2.7 / 3.6 environments


@dataclasses.dataclass
class EnvOutcome:
    status: str                 # "ok" or "install-failed"
    path: str
    python: str | None = None
    installer: str = ""
    reused: bool = False
    install_seconds: float = 0.0
    error: str | None = None
    packages: list = dataclasses.field(default_factory=list)
    env_hash: str = ""
    extra_env: dict = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)




def installer_for(cell: Cell) -> str:
    if cell.installer != "auto":
        return cell.installer
    major, minor = (int(x) for x in cell.python.split("."))
    return "uv" if (major, minor) >= (3, 7) else "pip"


def env_path(cell: Cell, envs_dir: Path) -> Path:
    return Path(envs_dir) / cell.name


def env_python(path: Path) -> Path:
    return path / "bin" / "python"


def ensure(cell: Cell, envs_dir: Path, rebuild: bool = False) -> EnvOutcome:
    """Return a ready environment for the cell, building it when missing or stale.

    Holds a per-cell lock, so two runs (two nox sessions, a bisect beside a ladder run) never
    build or delete the same environment at once; the second waits and then reuses it."""
    locks = Path(envs_dir) / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"{cell.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_locked(cell, envs_dir, rebuild)


def _ensure_locked(cell: Cell, envs_dir: Path, rebuild: bool) -> EnvOutcome:
    path = env_path(cell, envs_dir)
    marker = path / MARKER
    if not rebuild and marker.is_file():
        try:
            saved = json.loads(marker.read_text())
        except ValueError:
            saved = {}
        # a failed install is retried (it may have been the network); a good one is reused
        if saved.get("env_hash") == cell.env_hash() and saved.get("status") == "ok" \
                and env_python(path).exists():
            outcome = EnvOutcome(**{k: v for k, v in saved.items()
                                    if k in EnvOutcome.__dataclass_fields__})
            outcome.reused = True
            if outcome.status == "ok":  # system parts (caches, old sonames) may have changed since
                try:
                    outcome.extra_env = legacy.prepare(cell, path, path / "install.log")
                except InstallError as exc:
                    outcome.status, outcome.error = "install-failed", str(exc)
            return outcome
    return build(cell, path)


def build(cell: Cell, path: Path) -> EnvOutcome:
    installer = installer_for(cell)
    outcome = EnvOutcome("install-failed", str(path), installer=installer, env_hash=cell.env_hash())
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    log = path / "install.log"
    started = time.time()
    try:
        interpreter = interpreters.find(cell.python)
        if interpreter is None:
            raise InstallError(f"interpreter for Python {cell.python} not found "
                               f"({interpreters.searched(cell.python)})")
        steps = _uv_steps if installer == "uv" else _pip_steps
        for command in steps(cell, interpreter, path):
            _run(command, log)
        outcome.extra_env = legacy.prepare(cell, path, log)
        outcome.packages = _freeze(installer, path, log)
        outcome.python = str(env_python(path))
        outcome.status = "ok"
    except InstallError as exc:
        outcome.error = str(exc)
    outcome.install_seconds = round(time.time() - started, 3)
    (path / MARKER).write_text(json.dumps(outcome.as_dict(), indent=1, sort_keys=True))
    return outcome


def find_links() -> list:
    """Local wheel directories (pip reads PIP_FIND_LINKS itself; uv does not)."""
    links = os.environ.get("HARNESS_FIND_LINKS", os.environ.get("PIP_FIND_LINKS", "/opt/wheels"))
    return [link for link in links.split() if Path(link).is_dir()]


def uv_binary() -> str:
    try:
        import uv
        return uv.find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if not found:
            raise InstallError("uv is not installed (pip install uv)") from None
        return found


def _uv_steps(cell, interpreter, path):
    uv = uv_binary()
    links = [arg for link in find_links() for arg in ("--find-links", link)]
    yield [uv, "venv", "--quiet", "--allow-existing", "--python", interpreter, str(path)]
    yield [uv, "pip", "install", "--python", str(env_python(path)), "--compile-bytecode", *links,
           *cell.requirements]


def _pip_steps(cell, interpreter, path):
    if cell.python == "2.7":
        tools = _virtualenv_for_old(path.parent)
        yield [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(tools)!r}); "
               "from virtualenv.__main__ import run_with_catch; run_with_catch()",
               "--no-download", "-p", interpreter, str(path)]
    else:
        yield [interpreter, "-m", "venv", str(path)]
    python = str(env_python(path))
    pins = BOOTSTRAP.get(cell.python)
    if pins:
        yield [python, "-m", "pip", "install", "--quiet", *pins]
    yield [python, "-m", "pip", "install", *cell.requirements]
    # uv compiles bytecode at install time; do the same here, so that imports are not slowed down
    # where PYTHONDONTWRITEBYTECODE is set. Files that do not compile (Python 3 code shipped to
    # 2.7, templates) are not an install failure.
    jobs = [] if cell.python.startswith("2.") else ["-j", "0"]  # -j is Python >= 3.5
    yield OptionalStep([python, "-m", "compileall", "-q", *jobs, str(site_packages(path))])


class OptionalStep(list):
    """A build step whose failure is logged but does not fail the install."""


def site_packages(path: Path) -> Path:
    found = sorted(Path(path).glob("lib/python*/site-packages"))
    return found[0] if found else Path(path) / "lib"


def _virtualenv_for_old(envs_dir: Path) -> Path:
    """A private copy of the last virtualenv that can create Python 2.7 environments."""
    target = Path(envs_dir) / ".tools" / "virtualenv-old"
    if not (target / "virtualenv").is_dir():
        # Installed next to the final place and renamed: a concurrent build never sees half of it.
        staging = target.with_name(f"{target.name}.tmp{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        _run([sys.executable, "-m", "pip", "install", "--quiet", "--target", str(staging),
              VIRTUALENV_FOR_OLD], Path(envs_dir) / ".tools" / "install.log")
        try:
            os.rename(staging, target)
        except OSError:  # another build got there first
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _run(command, log: Path):
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as handle:
        handle.write("$ " + " ".join(map(str, command)) + "\n")
        handle.flush()
        try:
            done = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT,
                                  timeout=INSTALL_TIMEOUT, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise InstallError(f"timed out after {INSTALL_TIMEOUT}s: {' '.join(map(str, command))}") from None
        except OSError as exc:
            raise InstallError(f"could not run {command[0]}: {exc}") from None
    if done.returncode != 0 and isinstance(command, OptionalStep):
        with open(log, "a") as handle:
            handle.write(f"(exit {done.returncode}, not fatal)\n")
    elif done.returncode != 0:
        raise InstallError(f"exit {done.returncode}: {' '.join(map(str, command))}\n" + tail(log))


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _freeze(installer, path, log) -> list:
    """The packages actually installed (observed, not requested)."""
    if installer == "uv":
        command = [uv_binary(), "pip", "freeze", "--python", str(env_python(path))]
    else:
        command = [str(env_python(path)), "-m", "pip", "freeze", "--all"]
    done = subprocess.run(command, capture_output=True, text=True)
    return parse_freeze(done.stdout) if done.returncode == 0 else []


def parse_freeze(text: str) -> list:
    """Requirement lines of `pip freeze` output; options (-f /opt/wheels) and comments are not packages."""
    lines = (line.strip() for line in text.splitlines())
    return sorted(line for line in lines if line and not line.startswith(("-", "#")))
