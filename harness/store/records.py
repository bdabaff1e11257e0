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
import math
import os
import re
import tempfile
import time
from pathlib import Path

FORMAT = "keras-repro-record"
RECORD_SCHEMA = 2
KINDS = ("replays", "repeats", "environment", "machine", "ablation")
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")
FILE_MODE = 0o644
# Limits of a record read from anywhere (docs/guarantees.md): its size, the depth of its nesting
# and the magnitude of its integers; a record beyond them is refused with its file and field.
MAX_RECORD_BYTES = 64 * 2 ** 20
MAX_DEPTH = 24
MAX_INT = 2 ** 63
STARTED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)?$")
# Temporary files of an atomic write: .<name>.<pid>.<random>.tmp, so that a writer killed with
# SIGKILL leaves one that the next writer of the tree can recognise as abandoned and remove.
_TEMPORARY = re.compile(r"^\..+\.(\d+)\.[A-Za-z0-9_]{8}\.tmp$")
_OLD_TEMPORARY = re.compile(r"^\..+\.(?:json|partial)[A-Za-z0-9_]{8}\.tmp$")   # before the pid was in the name
OLD_TEMPORARY_AGE = 3600   # seconds after which a temporary without a pid is taken as abandoned
# Paths of the machine that made a record, as they appear in schema-1 records: the checkout's
# environments, package and scenarios. Replaced by a placeholder on upgrade.
_OLD_ROOT = re.compile(r"(?<![\w<>.-])/[^\s\"'<>:,;]*?/(?=(?:\.envs|harness|scenarios)/)")


class RecordError(ValueError):
    """A record that cannot be used, naming the file and, where known, the field."""

    def __init__(self, path, problem, field=None):
        where = f"{path}" + (f" [field {field}]" if field else "")
        super().__init__(f"{where}: {problem}")
        self.path, self.problem, self.field = path, problem, field


# --------------------------------------------------------------------------------------------
# Where records live
# --------------------------------------------------------------------------------------------
def records_dir(results: Path) -> Path:
    return Path(results) / "records"


def machines_dir(results: Path) -> Path:
    return Path(results) / "machines"


def safe_name(kind: str, name) -> str:
    """A name that becomes one path component: letters, digits and ._+- only, no '..'."""
    if not isinstance(name, str) or not SAFE_NAME.match(name) or ".." in name:
        raise RecordError(kind, f"{name!r} is not a safe name (letters, digits and ._+-; "
                                f"no '..', at most 128 characters)", kind)
    return name


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
        raise RecordError(path, f"not valid JSON ({_cut(str(exc))})") from None
    _check_values(data, path)
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
                                    f"({type(exc).__name__}: {_cut(str(exc))})", "schema") from None
    validate(data, path)
    return data


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON (RFC 8259)")


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _check_values(data, path) -> None:
    """Every value in range, walked without recursion: nesting at most MAX_DEPTH, integers within
    +-2**63, floats finite (JSON's 1e400 reads as infinity)."""
    stack = [(data, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise RecordError(path, f"nested deeper than the {MAX_DEPTH} levels a record may have",
                              where or None)
        if isinstance(value, bool) or value is None or isinstance(value, str):
            continue
        if isinstance(value, int) and not -MAX_INT <= value <= MAX_INT:
            raise RecordError(path, f"integer out of range (more than {len(str(MAX_INT))} digits)",
                              where or None)
        if isinstance(value, float) and not math.isfinite(value):
            raise RecordError(path, "number out of range (not a finite double)", where or None)
        if isinstance(value, dict):
            stack += [(v, f"{where}.{_cut(k, 40)}" if where else _cut(k, 40), depth + 1)
                      for k, v in value.items()]
        elif isinstance(value, list):
            stack += [(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]


def _require(data, key, kind, path, where=""):
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        name = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise RecordError(path, f"missing or not a {name}", where + key)
    return value


# The one schema of a record's optional fields: {field: (test, what it must be)}. A field that is
# present must pass (null is not "absent"); fields not named here are free but within the limits.
def _is(*kinds):
    return lambda v: isinstance(v, kinds) and not isinstance(v, bool)


def _list_of(test):
    return lambda v: isinstance(v, list) and all(test(x) for x in v)


def _number_or_null(v):
    return v is None or _is(int, float)(v)


_text, _object, _number = _is(str), _is(dict), _is(int, float)
_texts = _list_of(_text)
RECORD_FIELDS = {
    "started": (lambda v: isinstance(v, str) and STARTED.match(v), "a UTC time such as 2026-01-31T12:00:00Z"),
    "harness": (_text, "text"),
    "environment": (_object, "an object"),
    "inputs": (_object, "an object"),
}
CELL_FIELDS = {
    "env": (lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()),
            "an object of text values"),
    "tags": (_texts, "a list of text"),
    "requirements": (_texts, "a list of text"),
    "scenarios": (_texts, "a list of text"),
    "recipes": (_texts, "a list of text"),
    "timeout": (lambda v: _number(v) and v > 0, "a positive number"),
    "replays": (lambda v: _is(int)(v) and v > 0, "a positive integer"),
    "installer": (_text, "text"),
    "notes": (_text, "text"),
    "interpreter": (_text, "text"),
}
REPLAY_FIELDS = {
    "index": (lambda v: _is(int)(v) and v >= 0, "a non-negative integer"),
    "values": (_list_of(_number_or_null), "a list of numbers"),
    "values_hex": (_list_of(lambda x: x is None or isinstance(x, str)), "a list of float.hex text"),
    "fit_seconds": (_list_of(_number_or_null), "a list of numbers"),
    "observed": (_object, "an object"),
    "thread_env": (_object, "an object"),
    "seed_calls": (_texts, "a list of text"),
    "seed_unavailable": (_list_of(_is(dict, str)), "a list"),
    "error": (_object, "an object"),
    "error_summary": (_text, "text"),
    "stderr_tail": (_text, "text"),
    "reason": (_text, "text"),
    "exit_code": (lambda v: v is None or _is(int)(v), "an integer"),
    "wall_seconds": (_number_or_null, "a number"),
    "total_seconds": (_number_or_null, "a number"),
    "import_seconds": (_number_or_null, "a number"),
}
OUTCOME_FIELDS = {"error": (lambda v: v is None or isinstance(v, str), "text or null"), "seconds": (_number_or_null, "a number")}


def _optional(data: dict, fields: dict, path, where="") -> None:
    for key, (test, what) in fields.items():
        if key in data and not test(data[key]):
            raise RecordError(path, f"must be {what}, not {_cut(json.dumps(data[key]))}", where + key)


def validate(data: dict, path) -> None:
    """Check the record against the schema every reader relies on (required fields, the types of
    the optional ones, safe names); a bad record names its file and field."""
    kind = data.get("kind")
    if kind not in KINDS:
        raise RecordError(path, f"unknown kind {_cut(repr(kind))}; known: {list(KINDS)}", "kind")
    if kind == "machine":
        safe_name("machine", _require(data, "machine_id", str, path))
        _require(data, "info", dict, path)
        _optional(data, {"label": (_text, "text"), **RECORD_FIELDS}, path)
        return
    try:
        safe_name("machine", _require(data, "machine", str, path))
        _optional(data, RECORD_FIELDS, path)
        cell = _require(data, "cell", dict, path)
        safe_name("cell", _require(cell, "name", str, path, "cell."))
        for key in ("api", "backend", "python", "device"):
            _require(cell, key, str, path, "cell.")
        for key in ("scenarios", "recipes", "requirements"):
            _require(cell, key, list, path, "cell.")
        _optional(cell, CELL_FIELDS, path, "cell.")
        if kind == "environment":
            outcome = _require(data, "outcome", dict, path)
            _require(outcome, "status", str, path, "outcome.")
            _optional(outcome, OUTCOME_FIELDS, path, "outcome.")
            return
        scenario = _require(data, "scenario", dict, path)
        safe_name("scenario", _require(scenario, "name", str, path, "scenario."))
        _require(scenario, "sha256", (str, type(None)), path, "scenario.")
        safe_name("recipe", _require(data, "recipe", str, path))
        replays = _require(data, "replays", list, path)
        for index, replay in enumerate(replays):
            where = f"replays[{index}]."
            _require(replay, "status", str, path, where)
            _optional(replay, REPLAY_FIELDS, path, where)
            if replay["status"] == "ok":
                values = _require(replay, "values", list, path, where)
                if not values or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                         for v in values):
                    raise RecordError(path, "ok replay without a list of numbers", where + "values")
        if not isinstance(data.get("complete"), bool):
            raise RecordError(path, "missing or not a bool", "complete")
        if kind == "ablation":
            drop = _require(data, "drop", dict, path)
            safe_name("drop", _require(drop, "slug", str, path, "drop."))
            _require(drop, "label", str, path, "drop.")
            prefixes = _require(drop, "prefixes", list, path, "drop.")
            if not prefixes or not all(isinstance(p, str) and p for p in prefixes):
                raise RecordError(path, "not a list of call prefixes", "drop.prefixes")
    except RecordError as exc:
        if exc.path == "machine" or exc.path in ("cell", "scenario", "recipe", "drop"):
            raise RecordError(path, exc.problem, exc.field) from None
        raise


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
