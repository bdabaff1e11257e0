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
from pathlib import Path

FORMAT = "keras-repro-record"
RECORD_SCHEMA = 2
KINDS = ("replays", "repeats", "environment", "machine", "ablation")
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")
FILE_MODE = 0o644
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
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name, suffix=".tmp")
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
        raw = path.read_bytes()
    except OSError as exc:
        raise RecordError(path, f"cannot read: {exc.strerror or exc}") from None
    return parse(raw, path)


def parse(raw: bytes, path) -> dict:
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RecordError(path, f"not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RecordError(path, f"not a {FORMAT} file", "format")
    schema = data.get("schema")
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
        raise RecordError(path, "record has no positive integer schema", "schema")
    if schema > RECORD_SCHEMA:
        raise RecordError(path, f"record schema {schema} is newer than this harness reads "
                                f"({RECORD_SCHEMA}); upgrade the harness to read it", "schema")
    while data["schema"] < RECORD_SCHEMA:
        data = UPGRADES[data["schema"]](data)
    validate(data, path)
    return data


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON (RFC 8259)")


def _require(data, key, kind, path, where=""):
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        name = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise RecordError(path, f"missing or not a {name}", where + key)
    return value


def validate(data: dict, path) -> None:
    """Check the fields every reader relies on; a bad record names its file and field."""
    kind = data.get("kind")
    if kind not in KINDS:
        raise RecordError(path, f"unknown kind {kind!r}; known: {list(KINDS)}", "kind")
    if kind == "machine":
        safe_name("machine", _require(data, "machine_id", str, path))
        _require(data, "info", dict, path)
        return
    try:
        safe_name("machine", _require(data, "machine", str, path))
        cell = _require(data, "cell", dict, path)
        safe_name("cell", _require(cell, "name", str, path, "cell."))
        for key in ("api", "backend", "python", "device"):
            _require(cell, key, str, path, "cell.")
        for key in ("scenarios", "recipes", "requirements"):
            _require(cell, key, list, path, "cell.")
        if kind == "environment":
            outcome = _require(data, "outcome", dict, path)
            _require(outcome, "status", str, path, "outcome.")
            return
        scenario = _require(data, "scenario", dict, path)
        safe_name("scenario", _require(scenario, "name", str, path, "scenario."))
        _require(scenario, "sha256", (str, type(None)), path, "scenario.")
        safe_name("recipe", _require(data, "recipe", str, path))
        replays = _require(data, "replays", list, path)
        for index, replay in enumerate(replays):
            where = f"replays[{index}]."
            _require(replay, "status", str, path, where)
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
