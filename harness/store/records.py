"""Versioned JSON records under results/: where each one lives, how it is written and read.

Layout (schema 2): one file per (machine, cell, scenario, recipe), one per (machine, cell)
environment, one per machine:

    results/records/<machine>/<cell>/<scenario>/<recipe>.json     kind "replays"
    results/records/<machine>/<cell>/<scenario>/repeats.json      kind "repeats" (harness stats)
    results/records/<machine>/<cell>/<scenario>/ablation/<recipe>--<drop>.json
                                                                   kind "ablation" (harness ablate:
                                                                   the recipe with one call left out)
    results/records/<machine>/<cell>/environment.json             kind "environment"
    results/machines/<machine>.json                                kind "machine"

A record's place follows from its content (machine, cell, scenario, recipe), so readers walk any
tree of records (an older layout, a CI artifact) and `harness merge` files them canonically.

Record format history (RECORD_SCHEMA; older schemas are upgraded on read, newer refused):
  1 - first version: records/<cell>/<scenario>/<recipe>.json, one machine per results tree;
      replays with exact values (float.hex), timings, observed versions; absolute local paths.
  2 - keyed by machine (records/<machine>/...); machine files carry a human label and the ISA
      features that change numerics; absolute local paths redacted (<root>, <envs>, <home>);
      strict RFC 8259 JSON (no NaN or Infinity).
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import time
from pathlib import Path

from .schema import (KINDS, MAX_DEPTH, MAX_INT, MAX_RECORD_BYTES, SAFE_NAME, STARTED,  # noqa: F401
                     RecordError, check_values, cut, safe_name, validate)

FORMAT = "keras-repro-record"
RECORD_SCHEMA = 2
FILE_MODE = 0o644
# Temporary files of an atomic write: .<name>.<pid>.<random>.tmp, so that a writer killed with
# SIGKILL leaves one that the next writer of the tree can recognise as abandoned and remove.
_TEMPORARY = re.compile(r"^\..+\.(\d+)\.[A-Za-z0-9_]{8}\.tmp$")
_OLD_TEMPORARY = re.compile(r"^\..+\.(?:json|partial)[A-Za-z0-9_]{8}\.tmp$")   # before the pid was in the name
OLD_TEMPORARY_AGE = 3600   # seconds after which a temporary without a pid is taken as abandoned
# Paths of the machine that made a record, as they appear in schema-1 records: the checkout's
# environments, package and scenarios. Replaced by a placeholder on upgrade.
_OLD_ROOT = re.compile(r"(?<![\w<>.-])/[^\s\"'<>:,;]*?/(?=(?:\.envs|harness|scenarios)/)")


# --------------------------------------------------------------------------------------------
# Where records live
# --------------------------------------------------------------------------------------------
def records_dir(results: Path) -> Path:
    return Path(results) / "records"


def machines_dir(results: Path) -> Path:
    return Path(results) / "machines"


def under(results: Path, *parts) -> Path:
    """`results`/parts, refused unless it resolves inside `results` (no '..', no symlink out)."""
    return _under(results, *parts)


def _under(results: Path, *parts) -> Path:
    path = Path(results).joinpath(*parts)
    resolved, root = path.resolve(), Path(results).resolve()
    if resolved != root and root not in resolved.parents:
        raise RecordError(path, f"would be written outside the results directory {root}")
    return path


def recipe_path(results: Path, machine: str, cell: str, scenario: str, recipe: str) -> Path:
    return _under(records_dir(results), safe_name("machine", machine), safe_name("cell", cell),
                  safe_name("scenario", scenario), safe_name("recipe", recipe) + ".json")


def repeats_path(results: Path, machine: str, cell: str, scenario: str) -> Path:
    return recipe_path(results, machine, cell, scenario, "repeats")


def ablation_path(results: Path, machine: str, cell: str, scenario: str, recipe: str, drop: str) -> Path:
    """The record of `recipe` with the call `drop` (a slug, see ops/ablate.py) left out."""
    return _under(records_dir(results), safe_name("machine", machine), safe_name("cell", cell),
                  safe_name("scenario", scenario), "ablation",
                  safe_name("recipe", recipe) + "--" + safe_name("drop", drop) + ".json")


def environment_path(results: Path, machine: str, cell: str) -> Path:
    return _under(records_dir(results), safe_name("machine", machine), safe_name("cell", cell),
                  "environment.json")


def machine_path(results: Path, machine: str) -> Path:
    return _under(machines_dir(results), safe_name("machine", machine) + ".json")


def canonical_path(results: Path, data: dict) -> Path:
    """Where a (read, upgraded) record belongs under `results`."""
    kind = data["kind"]
    if kind == "machine":
        return machine_path(results, data["machine_id"])
    cell = data["cell"]["name"]
    if kind == "environment":
        return environment_path(results, data["machine"], cell)
    scenario = data["scenario"]["name"]
    if kind == "repeats":
        return repeats_path(results, data["machine"], cell, scenario)
    if kind == "ablation":
        return ablation_path(results, data["machine"], cell, scenario, data["recipe"], data["drop"]["slug"])
    return recipe_path(results, data["machine"], cell, scenario, data["recipe"])


def iter_files(results: Path) -> list:
    """Every record file of a results tree (records/ and machines/), any layout, sorted."""
    found = []
    for folder in (records_dir(results), machines_dir(results)):
        if folder.is_dir():
            found += [p for p in folder.rglob("*.json") if p.is_file()]
    return sorted(found)


def remove_abandoned_temporaries(results: Path) -> list:
    """Remove the temporary files of atomic writes whose writer is gone (killed with SIGKILL
    mid-write): records/, machines/ and superseded/ only. Returns the paths removed."""
    removed = []
    for folder in (records_dir(results), machines_dir(results), Path(results) / "superseded"):
        if not folder.is_dir() or folder.is_symlink():
            continue
        for path in folder.rglob(".*.tmp"):
            if path.is_symlink() or not path.is_file() or not _abandoned(path):
                continue
            try:
                path.unlink()
                removed.append(path)
            except OSError:
                pass
    return removed


def _abandoned(path: Path) -> bool:
    found = _TEMPORARY.match(path.name)
    if found:
        return not _alive(int(found.group(1)))
    if _OLD_TEMPORARY.match(path.name):
        try:
            return time.time() - path.stat().st_mtime > OLD_TEMPORARY_AGE
        except OSError:
            return False
    return False


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return pid < 2 ** 31
    return True


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------
def encode(kind: str, body: dict) -> str:
    """The text of a record: strict JSON (NaN/Infinity refused), sorted keys, one per line."""
    data = {"format": FORMAT, "schema": RECORD_SCHEMA, "kind": kind, **body}
    return json.dumps(data, indent=1, sort_keys=True, allow_nan=False) + "\n"


def write(path: Path, kind: str, body: dict) -> Path:
    """Write a record atomically (readers see the old file or the new one, never half) with
    mode 0644; an I/O failure leaves no temporary file and names the path."""
    return write_text(path, encode(kind, body))


def write_text(path: Path, text: str) -> Path:
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise RecordError(path, f"cannot write: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return path


# --------------------------------------------------------------------------------------------
# Reading: parse, refuse newer schemas, upgrade older ones, validate the shape
# --------------------------------------------------------------------------------------------
def read(path: Path) -> dict:
    """Read one record file (the only place record files are opened)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_RECORD_BYTES:
            raise RecordError(path, f"{size} bytes, more than the {MAX_RECORD_BYTES} a record may have")
        raw = path.read_bytes()
    except OSError as exc:
        raise RecordError(path, f"cannot read: {exc.strerror or exc}") from None
    return parse(raw, path)


def parse(raw: bytes, path) -> dict:
    if len(raw) > MAX_RECORD_BYTES:
        raise RecordError(path, f"{len(raw)} bytes, more than the {MAX_RECORD_BYTES} a record may have")
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise RecordError(path, f"nested deeper than the {MAX_DEPTH} levels a record may have") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise RecordError(path, f"not valid JSON ({cut(str(exc))})") from None
    check_values(data, path)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RecordError(path, f"not a {FORMAT} file", "format")
    schema = data.get("schema")
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
        raise RecordError(path, "record has no positive integer schema", "schema")
    if schema > RECORD_SCHEMA:
        raise RecordError(path, f"record schema {schema} is newer than this harness reads "
                                f"({RECORD_SCHEMA}); upgrade the harness to read it", "schema")
    while data["schema"] < RECORD_SCHEMA:
        try:
            data = UPGRADES[data["schema"]](data)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise RecordError(path, f"schema {data['schema']} record that cannot be upgraded "
                                    f"({type(exc).__name__}: {cut(str(exc))})", "schema") from None
    validate(data, path)
    return data


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON (RFC 8259)")



# --------------------------------------------------------------------------------------------
# Upgrades
# --------------------------------------------------------------------------------------------
def redact(value, replacements=()):
    """Strings with absolute local paths made machine-neutral: known prefixes are replaced
    (longest first), and a checkout's .envs/harness/scenarios prefix becomes <root>/."""
    if isinstance(value, str):
        for prefix, placeholder in sorted(replacements, key=lambda r: -len(r[0])):
            if prefix and prefix != "/":
                value = value.replace(prefix, placeholder)
        return _OLD_ROOT.sub("<root>/", value)
    if isinstance(value, list):
        return [redact(v, replacements) for v in value]
    if isinstance(value, dict):
        return {k: redact(v, replacements) for k, v in value.items()}
    return value


def _upgrade_1_to_2(data: dict) -> dict:
    from . import machine_facts
    data = redact(dict(data))
    if data.get("kind") == "machine" and isinstance(data.get("info"), dict):
        data["label"] = machine_facts.label(data["info"])
        data["info"] = machine_facts.complete_info(data["info"])
    data["schema"] = 2
    return data


UPGRADES = {1: _upgrade_1_to_2}  # {old schema: function(dict) -> dict of the next schema}
