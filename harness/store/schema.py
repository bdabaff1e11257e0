"""The one schema of a record, as every reader and `harness merge` check it: required fields,
the types of the optional ones, safe names, and the limits of anything read from outside (size,
nesting, numbers). A record that breaks it is refused with its file and field (RecordError).
The limits are stated in docs/guarantees.md."""
from __future__ import annotations

import json
import math
import re

KINDS = ("replays", "repeats", "environment", "machine", "ablation")
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")
# Limits of a record read from anywhere (docs/guarantees.md): its size, the depth of its nesting
# and the magnitude of its integers; a record beyond them is refused with its file and field.
MAX_RECORD_BYTES = 64 * 2 ** 20
MAX_DEPTH = 24
MAX_INT = 2 ** 63
STARTED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)?$")


class RecordError(ValueError):
    """A record that cannot be used, naming the file and, where known, the field."""

    def __init__(self, path, problem, field=None):
        where = f"{path}" + (f" [field {field}]" if field else "")
        super().__init__(f"{where}: {problem}")
        self.path, self.problem, self.field = path, problem, field


def safe_name(kind: str, name) -> str:
    """A name that becomes one path component: letters, digits and ._+- only, no '..'."""
    if not isinstance(name, str) or not SAFE_NAME.match(name) or ".." in name:
        raise RecordError(kind, f"{name!r} is not a safe name (letters, digits and ._+-; "
                                f"no '..', at most 128 characters)", kind)
    return name


def cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def check_values(data, path) -> None:
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
            raise RecordError(path, "integer out of range (beyond +-2**63)",
                              where or None)
        if isinstance(value, float) and not math.isfinite(value):
            raise RecordError(path, "number out of range (not a finite double)", where or None)
        if isinstance(value, dict):
            stack += [(v, f"{where}.{cut(k, 40)}" if where else cut(k, 40), depth + 1)
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
    "codepath": (_object, "an object"),
    "seed_drops": (_texts, "a list of text"),
    "seed_dropped": (_texts, "a list of text"),
}
OUTCOME_FIELDS = {"error": (lambda v: v is None or isinstance(v, str), "text or null"), "seconds": (_number_or_null, "a number")}


def _optional(data: dict, fields: dict, path, where="") -> None:
    for key, (test, what) in fields.items():
        if key in data and not test(data[key]):
            raise RecordError(path, f"must be {what}, not {cut(json.dumps(data[key]))}", where + key)


def validate(data: dict, path) -> None:
    """Check the record against the schema every reader relies on (required fields, the types of
    the optional ones, safe names); a bad record names its file and field."""
    kind = data.get("kind")
    if kind not in KINDS:
        raise RecordError(path, f"unknown kind {cut(repr(kind))}; known: {list(KINDS)}", "kind")
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
