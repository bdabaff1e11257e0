"""Versioned JSON records under results/: one file per (cell, scenario, recipe), one per
environment, one per machine. File names derive from the cell keys, so a rerun replaces.

Record format history (RECORD_SCHEMA):
  1 - first version: replays with exact values (float.hex), timings, observed versions.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
from pathlib import Path

FORMAT = "keras-repro-record"
RECORD_SCHEMA = 1
UPGRADES = {}  # {old_schema: function(dict) -> dict of old_schema + 1}


class RecordError(ValueError):
    pass


def records_dir(results: Path) -> Path:
    return Path(results) / "records"


def recipe_path(results: Path, cell: str, scenario: str, recipe: str) -> Path:
    return records_dir(results) / cell / scenario / f"{recipe}.json"


def environment_path(results: Path, cell: str) -> Path:
    return records_dir(results) / cell / "environment.json"


def machine_path(results: Path, machine_id: str) -> Path:
    return Path(results) / "machines" / f"{machine_id}.json"


def write(path: Path, kind: str, body: dict) -> Path:
    """Write a record atomically: readers see the old file or the new one, never half."""
    data = {"format": FORMAT, "schema": RECORD_SCHEMA, "kind": kind, **body}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return path


def read(path: Path) -> dict:
    """Read a record, refusing newer schemas and upgrading older ones."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise RecordError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RecordError(f"{path}: not a {FORMAT} file")
    schema = data.get("schema")
    if not isinstance(schema, int):
        raise RecordError(f"{path}: record has no integer schema")
    if schema > RECORD_SCHEMA:
        raise RecordError(f"{path}: record schema {schema} is newer than this harness reads "
                          f"({RECORD_SCHEMA}); upgrade the harness to read it")
    while schema < RECORD_SCHEMA:
        data = UPGRADES[schema](data)
        schema = data["schema"]
    return data


def load_all(results: Path, kind: str) -> list:
    """Every record of a kind ("replays" or "environment"), in a stable order."""
    found = []
    for path in sorted(records_dir(results).rglob("*.json")):
        data = read(path)
        if data.get("kind") == kind:
            data["_path"] = str(path.relative_to(results))
            found.append(data)
    return found


def machine_info() -> dict:
    """CPU model and flags, OS and cores of this machine: what can change numbers."""
    cpu = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            key = key.strip()
            if key in ("model name", "flags", "vendor_id", "cpu family", "model") and key not in cpu:
                cpu[key] = value.strip()
    except OSError:
        pass
    flags = sorted(cpu.pop("flags", "").split())
    return {
        "cpu_model": cpu.get("model name", platform.processor()),
        "cpu_vendor": cpu.get("vendor_id"),
        "cpu_family_model": f"{cpu.get('cpu family')}/{cpu.get('model')}",
        "cpu_flags": flags,
        "cores": os.cpu_count(),
        "os": platform.platform(),
        "machine": platform.machine(),
    }


def machine_id(info: dict) -> str:
    blob = json.dumps({k: info[k] for k in ("cpu_model", "cpu_flags", "cores", "machine")},
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:10]


def save_machine(results: Path) -> str:
    info = machine_info()
    ident = machine_id(info)
    path = machine_path(results, ident)
    if not path.exists():
        write(path, "machine", {"machine_id": ident, "info": info})
    return ident


def load_machines(results: Path) -> dict:
    folder = Path(results) / "machines"
    return {p.stem: read(p) for p in sorted(folder.glob("*.json"))} if folder.is_dir() else {}
