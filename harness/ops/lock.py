"""Each cell's lock (locks/<cell>.txt): checked against the matrix, written from a closure already
known, or resolved anew.

A closure is known when an environment of the cell's current definition was built here (its
marker's freeze) or a record of that definition exists (an environment.json's `outcome.packages`,
this machine's first). Resolving anew (`--refresh`, or a cell nothing is known of) asks
`uv pip compile --python-version X.Y` for a cell uv installs on Python >= 3.8 (package metadata
only, nothing is installed, no interpreter needed), and otherwise builds a throwaway environment
the way the cell's own is built (venv + pip on 2.7 and 3.6, whose resolution needs the old pip
and the old interpreter's markers) and keeps its freeze.
"""
from __future__ import annotations

import dataclasses
import os
import subprocess
import tempfile
import time
from pathlib import Path

from .. import paths, pins
from ..derive import closure
from ..matrix import Cell
from ..provision import environments, interpreters
from ..provision import lockfiles
from ..store import machines, records

COMPILE_TIMEOUT = 600


@dataclasses.dataclass(frozen=True)
class Problem:
    """One thing wrong with a cell's lock: `locks/NAME.txt:LINE: [cell NAME] what`."""

    cell: str
    where: str            # the file, with the line when one is to blame
    text: str

    def __str__(self) -> str:
        return f"{self.where}: [cell {self.cell}] {self.text}"


@dataclasses.dataclass(frozen=True)
class Known:
    """A closure and where it came from (the lock's `source` header)."""

    packages: tuple
    source: str


def lockable(cell: Cell) -> bool:
    """Cells whose environment the harness installs; an existing interpreter's packages are its own."""
    return environments.installer_for(cell) != "existing"


def problems(cell: Cell, locks_dir: Path) -> list:
    """What is wrong with a cell's lock (Problem: the file, the line, the cell, what)."""
    path = lockfiles.path_for(locks_dir, cell.name)
    shown, name = shown_path(path), cell.name
    if not lockable(cell):
        return []
    if not path.is_file():
        return [Problem(name, shown, f"no lock (`harness lock --write {name}` writes it)")]
    try:
        lock = lockfiles.read(path)
    except lockfiles.LockError as exc:
        return [Problem(name, shown + (f":{exc.line}" if exc.line else ""), exc.problem)]
    found = []
    python = lock.header.get("python")
    if python != cell.python:
        found.append(Problem(name, f"{shown}:{lock.lines.get('python', 1)}",
                             f"locked for Python {python or '(not said)'}, the cell is Python {cell.python}"))
    for miss in closure.disagreements(cell.requirements, lock.versions()):
        pin = lock.pins.get(miss.name)
        if pin is None:
            found.append(Problem(name, shown, f"the lock has no {miss.name}, which the matrix requires "
                                              f"({miss.requirement})"))
        else:
            found.append(Problem(name, f"{shown}:{pin.line}", f"{pin.text} does not satisfy the "
                                                              f"matrix's requirement {miss.requirement}"))
    return found


def shown_path(path: Path) -> str:
    """A lock's path as the user knows it: relative to the project root when inside it."""
    try:
        return Path(path).resolve().relative_to(paths.root()).as_posix()
    except ValueError:
        return str(path)


def known(cell: Cell, envs_dir: Path, results: Path, machine: str | None = None) -> Known | None:
    """The closure of the cell's current definition already known: an environment built here,
    else a record (this machine's first, then the others by id); None when there is neither."""
    marker = environments.read_marker(environments.env_path(cell, envs_dir))
    if marker.get("env_hash") == cell.env_hash() and marker.get("status") == "ok" \
            and marker.get("packages") and marker.get("installer") != "existing":
        built = _mtime(environments.env_path(cell, envs_dir) / environments.MARKER)
        return Known(tuple(marker["packages"]), f"the environment built here ({machine or 'this machine'}, "
                                                f"{built}), its freeze")
    for path in _environment_records(results, cell.name, machine):
        try:
            body = records.read(path)
        except records.RecordError:
            continue
        outcome = body.get("outcome") or {}
        if outcome.get("status") == "ok" and outcome.get("env_hash") == cell.env_hash() \
                and outcome.get("packages") and outcome.get("installer") != "existing":
            where = path.relative_to(Path(results).parent) if Path(results).parent in path.parents else path
            return Known(tuple(outcome["packages"]), f"the record {where} (machine {body.get('machine')}), "
                                                      "its outcome.packages")
    return None


def _environment_records(results: Path, cell: str, machine: str | None) -> list:
    folders = sorted(p for p in records.records_dir(results).glob("*") if p.is_dir())
    folders.sort(key=lambda p: p.name != machine)   # this machine's first, then by id
    return [p / cell / "environment.json" for p in folders if (p / cell / "environment.json").is_file()]


def _mtime(path: Path) -> str:
    try:
        return "built " + time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(path.stat().st_mtime))
    except OSError:
        return "build time unknown"


class ResolveError(RuntimeError):
    pass


def resolve(cell: Cell, echo=None) -> Known:
    """The cell's closure from today's package index (see the module's docstring for how)."""
    major, minor = (int(x) for x in cell.python.split("."))
    if environments.installer_for(cell) == "uv" and (major, minor) >= (3, 8):
        return _compile(cell)
    return _throwaway(cell, echo)


def _compile(cell: Cell) -> Known:
    links = [arg for link in environments.find_links() for arg in ("--find-links", link)]
    command = [environments.uv_binary(), "pip", "compile", "--python-version", cell.python,
               "--no-header", "--no-annotate", *links, "-"]
    try:
        done = subprocess.run(command, input="\n".join(cell.requirements) + "\n", capture_output=True,
                              text=True, timeout=COMPILE_TIMEOUT, start_new_session=True)
    except subprocess.TimeoutExpired:
        raise ResolveError(f"{cell.name}: uv pip compile took more than {COMPILE_TIMEOUT}s") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ResolveError(f"{cell.name}: uv pip compile failed (exit {done.returncode}): {last}")
    packages = environments.parse_freeze(done.stdout)
    today = time.strftime("%Y-%m-%d", time.gmtime())
    return Known(tuple(packages), f"uv pip compile --python-version {cell.python} "
                                  f"({', '.join(cell.requirements)}) against the index of {today}")


def _throwaway(cell: Cell, echo=None) -> Known:
    if interpreters.find(cell.python) is None:
        raise ResolveError(f"{cell.name}: resolving needs Python {cell.python} "
                           f"({interpreters.searched(cell.python)})")
    with tempfile.TemporaryDirectory(prefix="harness-lock-") as tmp:
        unlocked = Path(tmp) / "no-locks"      # an empty lock folder: the build resolves
        outcome = environments.build(cell, Path(tmp) / "envs" / cell.name, echo, locks_dir=unlocked)
    if outcome.status != "ok" or not outcome.packages:
        reason = (outcome.error or "nothing was installed").strip().splitlines()
        raise ResolveError(f"{cell.name}: the throwaway build failed: {reason[-1] if reason else ''}")
    today = time.strftime("%Y-%m-%d", time.gmtime())
    return Known(tuple(outcome.packages), f"a throwaway {outcome.installer} build on Python "
                                          f"{cell.python} ({', '.join(cell.requirements)}) from "
                                          f"the index of {today}, its freeze")


def write(cell: Cell, locks_dir: Path, found: Known, command: str) -> Path:
    """Write the cell's lock atomically (a reader never sees half of one)."""
    text = lockfiles.format_lock(cell.name, found.packages, {
        "python": cell.python, "source": found.source,
        "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) + f" by `{command}`",
        "refresh": f"harness lock --refresh {cell.name}"}, exact_pins(cell, found.packages))
    lockfiles.parse(text, lockfiles.path_for(locks_dir, cell.name))   # refuse what would not read back
    path = lockfiles.path_for(locks_dir, cell.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return path


def exact_pins(cell: Cell, packages) -> dict:
    """{name: version} of the matrix's `==` pins that the closure's version does not satisfy
    (installed under another version than the one asked for): the lock keeps the matrix's pin."""
    observed = pins.freeze_versions(packages)
    found = {}
    for miss in closure.disagreements(cell.requirements, observed):
        version = pins.exact_pins([miss.requirement]).get(miss.name)
        if version and miss.locked is not None:
            found[miss.name] = version
    return found


def this_machine() -> str:
    return machines.this_machine()
