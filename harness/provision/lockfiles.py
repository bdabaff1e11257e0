"""A cell's lock: the full closure of its environment, one `name==version` pin a line.

    locks/<cell>.txt
    # harness lock: the full closure of cell NAME, installed with --no-deps
    # python: 3.11
    # source: environment marker on machine fc9bdb106a (built 2026-12-01T19:01:00Z)
    # written: 2026-12-01T22:10:00Z
    absl-py==2.5.1
    ...

pip's requirements format, so `pip install --no-deps -r` and `uv pip install --no-deps -r` read it
as it is; the `# key: value` lines of the header say how it was made. Lines are sorted by the
normalized name (PEP 503), one pin per distribution. Reading it is strict: anything that is not a
comment or an exact pin is an error naming the file and the line.
"""
from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path

from ..pins import normalize

SUFFIX = ".txt"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9][A-Za-z0-9.+!_-]*)"
                  r"(?:\s+#\s*installs as ([A-Za-z0-9][A-Za-z0-9.+!_-]*))?$")
_HEADER = re.compile(r"^#\s*([a-z_]+):\s*(.*)$")


class LockError(ValueError):
    """A lock file that cannot be used, naming the file and the line."""

    def __init__(self, path, problem, line=None):
        super().__init__(f"{path}" + (f":{line}" if line else "") + f": {problem}")
        self.path, self.problem, self.line = path, problem, line


@dataclasses.dataclass(frozen=True)
class Pin:
    name: str          # as written
    version: str
    line: int
    installs_as: str | None = None   # the version its metadata reports, when not the pinned one

    @property
    def text(self) -> str:
        return f"{self.name}=={self.version}"


@dataclasses.dataclass(frozen=True)
class Lock:
    path: Path
    pins: dict         # {normalized name: Pin}
    header: dict       # {"python": "3.11", "source": ..., "written": ...}
    sha256: str
    lines: dict = dataclasses.field(default_factory=dict)   # {header key: its line}

    def versions(self) -> dict:
        """{normalized name: version}: what the matrix's requirements are checked against."""
        return {name: pin.version for name, pin in self.pins.items()}

    def installed(self) -> dict:
        """{normalized name: version a freeze reports}: what a record's closure is compared with."""
        return {name: pin.installs_as or pin.version for name, pin in self.pins.items()}


def path_for(locks_dir: Path, cell: str) -> Path:
    return Path(locks_dir) / f"{cell}{SUFFIX}"


def parse(text: str, path="<lock>") -> Lock:
    pins, header, lines = {}, {}, {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            found = _HEADER.match(line)
            if found and not pins and found.group(1) not in header:
                header[found.group(1)] = found.group(2).strip()
                lines[found.group(1)] = number
            continue
        found = _PIN.match(line)
        if not found:
            raise LockError(path, f"not an exact pin NAME==VERSION: {line[:80]!r}", number)
        key = normalize(found.group(1))
        if key in pins:
            raise LockError(path, f"{found.group(1)} is pinned twice (first on line {pins[key].line})",
                            number)
        pins[key] = Pin(found.group(1), found.group(2), number, found.group(3))
    if not pins:
        raise LockError(path, "no pins (an empty lock would install nothing)")
    return Lock(Path(path), pins, header, hashlib.sha256(text.encode()).hexdigest(), lines)


def read(path: Path) -> Lock:
    try:
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise LockError(path, f"cannot be read: {exc}") from None
    return parse(text, path)


def read_all(locks_dir: Path) -> tuple:
    """({cell: Lock}, [problems]) of every lock in a directory; a bad one is a problem, skipped."""
    found, problems = {}, []
    folder = Path(locks_dir)
    if not folder.is_dir():
        return found, problems
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        try:
            found[path.name[: -len(SUFFIX)]] = read(path)
        except LockError as exc:
            problems.append(str(exc))
    return found, problems


def format_lock(cell: str, packages, header: dict, pinned=None) -> str:
    """The text of a lock from `name==version` lines (freeze output; options and comments and
    anything not an exact pin are refused: a lock pins versions, nothing else). `pinned`
    ({normalized name: version}) pins another version than the freeze's: a wheel whose metadata
    reports another version than its file name (cntk 2.7.post2 says 2.7) is pinned by its name."""
    pins = {}
    for line in packages:
        found = _PIN.match(line.strip())
        if not found:
            raise LockError(f"<{cell}>", f"cannot lock {line.strip()[:80]!r}: not an exact pin NAME==VERSION")
        key, name, version = normalize(found.group(1)), found.group(1), found.group(2)
        wanted = (pinned or {}).get(key)
        pins[key] = (f"{name}=={wanted}  # installs as {version}" if wanted and wanted != version
                     else f"{name}=={version}")
    lines = [f"# harness lock: the full closure of cell {cell}, installed with --no-deps"]
    lines += [f"# {key}: {value}" for key, value in header.items()]
    return "\n".join(lines + [pins[name] for name in sorted(pins)]) + "\n"


def sha256_of(path: Path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None
