"""Building a cell's environment: uv where the interpreter allows it, venv/virtualenv + pip below.

An environment is reused while its definition (Cell.key) and its lock (locks/<cell>.txt, the
full closure, installed with --no-deps) are unchanged, so refreshing one ladder does not rebuild
the world. A cell without a lock resolves its requirements at build time and says "unlocked" in
its outcome. An install that fails is returned as data, never raised.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import interpreters, legacy, lockfiles, locks, processes
from . import InstallError
from .. import paths, pins
from ..matrix import Cell

MARKER = "harness-env.json"
INSTALL_TIMEOUT = 3600
ERROR_LIMIT = 4000   # characters of an install error kept in records
# Bootstrap pins for interpreters whose latest pip/setuptools/wheel no longer support them.
BOOTSTRAP = {
    "2.7": ["pip==20.3.4", "setuptools<45", "wheel<0.38"],
    "3.6": ["pip==21.3.1", "setuptools==59.6.0", "wheel<0.38"],
}
VIRTUALENV_FOR_OLD = "virtualenv<20.22"  # the last releases that create 2.7 / 3.6 environments


UNLOCKED = "unlocked"
EXISTING = "none: the packages of an existing interpreter"


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
    lock: object = UNLOCKED     # {"file", "sha256"} of the lock it was built from, or why none

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)




def installer_for(cell: Cell) -> str:
    if cell.installer != "auto":
        return cell.installer
    major, minor = (int(x) for x in cell.python.split("."))
    return "uv" if (major, minor) >= (3, 7) else "pip"


def lock_of(cell: Cell, locks_dir=None) -> tuple:
    """(lock file or None, what the marker and the record say of it): {"file", "sha256"} of
    locks/<cell>.txt, or "unlocked" when the cell has none."""
    if installer_for(cell) == "existing":
        return None, EXISTING
    path = lockfiles.path_for(Path(locks_dir or paths.locks_dir()), cell.name)
    digest = lockfiles.sha256_of(path)
    if digest is None:
        return None, UNLOCKED
    return path, {"file": f"{path.parent.name}/{path.name}", "sha256": digest}


def _built_from(saved: dict, lock_path, lock) -> bool:
    """Whether a marker's environment holds this lock: built from it, or (built before locks
    were recorded) holding exactly its pins, so committing a lock made from it rebuilds nothing."""
    if saved.get("lock", UNLOCKED) == lock:
        return True
    if "lock" in saved:
        return False
    if lock_path is None:           # built before locks, and there is none to hold
        return True
    try:
        wanted = lockfiles.read(lock_path).installed()
    except lockfiles.LockError:
        return False
    return wanted == pins.freeze_versions(saved.get("packages") or [])


def env_path(cell: Cell, envs_dir: Path) -> Path:
    return Path(envs_dir) / cell.name


def env_python(path: Path) -> Path:
    return path / "bin" / "python"


def ensure(cell: Cell, envs_dir: Path, rebuild: bool = False, echo=None, locks_dir=None) -> EnvOutcome:
    """Return a ready environment for the cell, building it when missing or stale.

    The environment lock is released on return: callers that start workers in it use `use()`,
    which keeps it held shared until they are done."""
    outcome, lock = acquire(cell, envs_dir, rebuild, echo, locks_dir)
    lock.close()
    return outcome


@contextlib.contextmanager
def use(cell: Cell, envs_dir: Path, rebuild: bool = False, echo=None, locks_dir=None):
    """`with use(cell, envs) as outcome:` the environment, held shared for the block's duration."""
    outcome, lock = acquire(cell, envs_dir, rebuild, echo, locks_dir)
    try:
        yield outcome
    finally:
        lock.close()


def acquire(cell: Cell, envs_dir: Path, rebuild: bool = False, echo=None, locks_dir=None):
    """(outcome, lock): a ready (or failed) environment and its per-cell lock, held *shared*.

    Runs hold the lock shared while their workers use the environment; a build or a rebuild
    holds it exclusive. So two runs never build the same environment at once (the second
    waits, then reuses it) and a --rebuild waits until no worker of another run uses it."""
    echo = echo or (lambda text: None)
    envs_dir = Path(envs_dir).resolve()
    lock = locks.env_lock(envs_dir, cell.name)
    try:
        if not rebuild:
            lock.acquire(shared=True, on_wait=lambda: echo(
                f"[{cell.name}] waiting: another run is building this environment"))
            outcome = current(cell, envs_dir, locks_dir)
            if outcome is not None:
                return outcome, lock
            lock.release()
        lock.acquire(shared=False, on_wait=lambda: echo(
            f"[{cell.name}] waiting: another run is using or building this environment"))
        outcome = None if rebuild else current(cell, envs_dir, locks_dir)
        if outcome is None:
            outcome = build(cell, env_path(cell, envs_dir), echo, locks_dir)
        lock.acquire(shared=True)   # a downgrade: others may use it now, nobody may rebuild it
        return outcome, lock
    except BaseException:
        lock.close()
        raise


def current(cell: Cell, envs_dir: Path, locks_dir=None) -> EnvOutcome | None:
    """The environment's outcome when it is complete, good and built from this definition and
    this lock (a changed lock rebuilds it)."""
    path = env_path(cell, Path(envs_dir).absolute())
    saved = read_marker(path)
    # a failed install is retried (it may have been the network); a good one is reused
    if saved.get("env_hash") != cell.env_hash() or saved.get("status") != "ok" \
            or not env_python(path).exists():
        return None
    lock_path, lock = lock_of(cell, locks_dir)
    if not _built_from(saved, lock_path, lock):
        return None
    outcome = EnvOutcome(**{k: v for k, v in saved.items() if k in EnvOutcome.__dataclass_fields__})
    outcome.reused, outcome.lock = True, lock
    outcome.path, outcome.python = str(path), str(env_python(path))  # where it is now
    try:  # system parts (caches, old sonames) may have changed since
        outcome.extra_env = legacy.prepare(cell, path, install_log(path))
    except InstallError as exc:
        outcome.status, outcome.error = "install-failed", bounded(str(exc))
    return outcome


def current_marker(cell: Cell, envs_dir: Path, locks_dir=None) -> dict | None:
    """The build marker of a good environment of this definition and lock, or None (a quick look:
    the environment's files are not checked)."""
    saved = read_marker(env_path(cell, envs_dir))
    if saved.get("env_hash") != cell.env_hash() or saved.get("status") != "ok":
        return None
    return saved if _built_from(saved, *lock_of(cell, locks_dir)) else None


def read_marker(path: Path) -> dict:
    """The build marker ({} when missing or unreadable): written last, so it means 'finished'."""
    try:
        saved = json.loads((Path(path) / MARKER).read_text())
    except (OSError, ValueError):
        return {}
    return saved if isinstance(saved, dict) else {}


def install_log(path: Path) -> Path:
    """Build logs live beside the environments, never inside one (a rebuild keeps them)."""
    path = Path(path)
    return path.parent / ".logs" / path.name / "install.log"


def discard(path: Path) -> None:
    """Remove an environment: renamed aside first (atomic), so nothing ever sees half of one and
    a process still writing into it (an orphaned installer) cannot make the removal fail."""
    path = Path(path)
    trash = path.parent / ".trash"
    trash.mkdir(parents=True, exist_ok=True)
    aside = trash / f"{path.name}.{os.getpid()}.{time.monotonic_ns()}"
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return
    shutil.rmtree(aside, ignore_errors=True)


def empty_trash(envs_dir: Path) -> None:
    for left in (Path(envs_dir) / ".trash").glob("*"):
        shutil.rmtree(left, ignore_errors=True)


def build(cell: Cell, path: Path, echo=None, locks_dir=None) -> EnvOutcome:
    """Build the environment at `path` (the caller holds the lock exclusive).

    The marker is written last, atomically: a directory without one is a build that was
    killed or interrupted, removed here before building again."""
    echo = echo or (lambda text: None)
    path = Path(path).absolute()
    installer = installer_for(cell)
    lock_path, lock = lock_of(cell, locks_dir)
    outcome = EnvOutcome("install-failed", str(path), installer=installer, env_hash=cell.env_hash(),
                         lock=lock)
    if path.exists():
        if not (path / MARKER).is_file():
            echo(f"[{cell.name}] removing an unfinished environment (its build was interrupted): {path}")
        discard(path)
    empty_trash(path.parent)
    path.mkdir(parents=True)
    log = install_log(path)
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    started = time.time()
    try:
        interpreter = existing_interpreter(cell) if installer == "existing" else interpreters.find(cell.python)
        if interpreter is None:
            raise InstallError(f"interpreter for Python {cell.python} not found "
                               f"({interpreters.searched(cell.python)})")
        steps = {"uv": _uv_steps, "pip": _pip_steps, "existing": _existing_steps}[installer]
        for command in steps(cell, interpreter, path, lock_path):
            _run(command, log)
        outcome.extra_env = legacy.prepare(cell, path, log)
        outcome.packages = _freeze(installer, path, log)
        outcome.python = str(env_python(path))
        outcome.status = "ok"
    except InstallError as exc:
        outcome.error = bounded(str(exc))
    outcome.install_seconds = round(time.time() - started, 3)
    if processes.stopping.is_set():
        raise InstallError(f"the build of {cell.name} was interrupted; the next run removes it")
    _write_marker(path, outcome)
    return outcome


def _write_marker(path: Path, outcome: EnvOutcome) -> None:
    tmp = path / (MARKER + ".tmp")
    tmp.write_text(json.dumps(outcome.as_dict(), indent=1, sort_keys=True))
    os.replace(tmp, path / MARKER)


def bounded(text: str, limit: int = ERROR_LIMIT) -> str:
    """Error text kept in records: head and tail around a marker saying how much was cut."""
    if len(text) <= limit:
        return text
    keep = limit // 2
    return f"{text[:keep]}\n... [{len(text) - 2 * keep} characters cut] ...\n{text[-keep:]}"


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


def _uv_steps(cell, interpreter, path, lock=None):
    uv = uv_binary()
    links = [arg for link in find_links() for arg in ("--find-links", link)]
    yield [uv, "venv", "--quiet", "--allow-existing", "--python", interpreter, str(path)]
    if lock is not None:    # the whole closure, pinned: nothing is resolved
        yield [uv, "pip", "install", "--python", str(env_python(path)), "--compile-bytecode",
               "--no-deps", *links, "-r", str(lock)]
    elif cell.requirements:   # a cell may need nothing beyond the interpreter (api "none")
        yield [uv, "pip", "install", "--python", str(env_python(path)), "--compile-bytecode", *links,
               *cell.requirements]


def existing_interpreter(cell) -> str:
    """The interpreter of an existing-environment cell, checked: it runs and is the Python the
    cell says (so that records do not claim another version)."""
    path = Path(cell.interpreter).expanduser()
    if not path.is_file() or not os.access(path, os.X_OK):
        raise InstallError(f"interpreter {cell.interpreter} does not exist or is not executable")
    found = interpreters.version_of(path)
    if found is None:
        raise InstallError(f"interpreter {cell.interpreter} does not run")
    if found != cell.python:
        raise InstallError(f"interpreter {cell.interpreter} is Python {found}, the cell says {cell.python}")
    return str(path)


def _existing_steps(cell, interpreter, path, lock=None):
    """A layered environment over an interpreter that already holds the stack: its packages are
    visible (system site packages), nothing is downloaded; the cell's requirements (packages the
    interpreter lacks) come from the local wheel folder without an index when one is given."""
    yield [interpreter, "-m", "venv", "--system-site-packages", "--without-pip", str(path)]
    if cell.requirements:
        where = (["--no-index", "--find-links", str(Path(cell.find_links).expanduser())]
                 if cell.find_links else [])
        yield [uv_binary(), "pip", "install", "--python", str(env_python(path)), "--compile-bytecode",
               *where, *cell.requirements]


def _pip_steps(cell, interpreter, path, lock=None):
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
    if lock is not None:    # pip reads PIP_FIND_LINKS (local wheels) itself
        yield [python, "-m", "pip", "install", "--no-deps", "-r", str(lock)]
    elif cell.requirements:
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
    """One build step in its own process group, logged; ended with its children on timeout or
    when the orchestrator stops (processes.end_all)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as handle:
        handle.write("$ " + " ".join(map(str, command)) + "\n")
        handle.flush()
        try:
            process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        except OSError as exc:
            raise InstallError(f"could not run {command[0]}: {exc}") from None
        processes.register(process)
        try:
            code = process.wait(timeout=INSTALL_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise InstallError(f"timed out after {INSTALL_TIMEOUT}s: {' '.join(map(str, command))}") from None
        finally:
            if process.returncode is None:
                _kill(process)
            processes.unregister(process)
    if code != 0 and isinstance(command, OptionalStep):
        with open(log, "a") as handle:
            handle.write(f"(exit {code}, not fatal)\n")
    elif code != 0:
        raise InstallError(f"exit {code}: {' '.join(map(str, command))}\n" + tail(log))


def _kill(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def tail(path: Path, lines: int = 40, limit: int = 3000) -> str:
    """The last lines of a log, at most `limit` characters (a flood of output stays bounded)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, Path(path).stat().st_size - limit))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _freeze(installer, path, log) -> list:
    """The packages actually installed (observed, not requested); for an existing environment
    also those of the interpreter it layers over."""
    if installer == "existing":
        command = [str(env_python(path)), "-c", FREEZE_ALL]
        done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        return parse_freeze(done.stdout) if done.returncode == 0 else []
    if installer == "uv":
        command = [uv_binary(), "pip", "freeze", "--python", str(env_python(path))]
    else:
        command = [str(env_python(path)), "-m", "pip", "freeze", "--all"]
    done = subprocess.run(command, capture_output=True, text=True)
    return parse_freeze(done.stdout) if done.returncode == 0 else []


# Every distribution the interpreter sees (its own and the base's site packages), as name==version.
FREEZE_ALL = ("import importlib.metadata as m\n"
              "print('\\n'.join(sorted({'%s==%s' % (d.metadata['Name'], d.version) "
              "for d in m.distributions() if d.metadata['Name']})))")


def parse_freeze(text: str) -> list:
    """Requirement lines of `pip freeze` output; options (-f /opt/wheels) and comments are not packages."""
    lines = (line.strip() for line in text.splitlines())
    return sorted(line for line in lines if line and not line.startswith(("-", "#")))
