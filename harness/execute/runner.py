"""Running the worker in a fresh process: timeout on the whole process group, result via a
file, and a defensive reading of what came back. Every outcome of the worker is a replay dict,
never raised; an interruption of the orchestrator itself (KeyboardInterrupt, a signal turned into
an exception) kills the worker's process group and propagates."""
from __future__ import annotations

import ast
import json
import math
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from .. import paths

STDERR_TAIL = 3000      # bytes of the worker's stderr kept in a replay
LOG_TAIL = 200000       # bytes of stdout and stderr kept in the log files
TEXT_LIMIT = 4000       # characters of any error text kept in a replay
RESULT_LIMIT = 16 << 20  # a result file larger than this is not read
OUT_UNWRITABLE = 3      # the worker's exit code when it cannot write its result file
REPLAY_STATUSES = {
    "ok": "every repeat returned a finite number",
    "non-finite": "the scenario ran, but some repeat returned NaN or +/-inf (kept as float.hex text)",
    "not-applicable": "the scenario's applies(info) declined this cell, with a reason; not a failure",
    "gpu-fallback": "the cell asked for the GPU but the replay ran on the CPU; values kept as evidence only",
    "determinism-unavailable": "an op refused to run under the recipe's determinism switches (error.op names it)",
    "import-failed": "the backend or keras could not be imported in the cell's environment",
    "crashed": "the worker caught an exception while seeding or running the scenario",
    "timed-out": "the worker's process group was killed at the timeout",
    "no-result": "the worker exited without writing a result file",
    "bad-result": "the result file was unreadable, malformed or inconsistent",
    "interrupted": "the orchestrator was interrupted during the replay (set by the orchestrator, never here)",
}
# Statuses a worker writes itself; the others are decided here or by the orchestrator.
WORKER_STATUSES = ("ok", "non-finite", "not-applicable", "gpu-fallback", "determinism-unavailable",
                   "import-failed", "crashed")
VALUE_STATUSES = ("ok", "non-finite", "gpu-fallback")   # results that must carry their values
REQUIRED_VALUE_KEYS = {"values": list, "values_hex": list, "fit_seconds": list}
DEFAULT_TIMEOUT = 1800   # seconds, for a replay whose caller and scenario name none
HEADER_NAMES = ("CONTRACT", "NAME", "METRIC", "REPEATS", "TIMEOUT", "DATA_SEED")
HOST_ONLY_VARS = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "HARNESS_WORKER_REEXEC")


def worker_environment(cell_env: dict, extra_env: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in HOST_ONLY_VARS}
    env.update(cell_env)
    for key, value in extra_env.items():
        if key == "LD_LIBRARY_PATH" and env.get(key):
            value = value + os.pathsep + env[key]
        env[key] = value
    return env


def scenario_header(path: Path) -> dict:
    """The scenario's literal declarations (TIMEOUT, REPEATS, ...), read without running it;
    empty when the file does not parse on this Python (a scenario may be Python 2 only)."""
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8", errors="replace"))
    except (SyntaxError, ValueError, OSError):
        return {}
    header = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and node.targets[0].id in HEADER_NAMES:
            try:
                header[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return header


def replay_timeout(scenario: Path, timeout: float | None) -> float:
    """The smaller of the caller's timeout (the cell's, or --timeout) and the scenario's declared
    TIMEOUT; whichever of them is given; else DEFAULT_TIMEOUT."""
    declared = scenario_header(scenario).get("TIMEOUT")
    ok = isinstance(declared, (int, float)) and not isinstance(declared, bool) and 0 < declared < math.inf
    given = [t for t in (timeout, declared if ok else None) if t is not None]
    return min(given) if given else DEFAULT_TIMEOUT


def run_replay(python, cell, scenario: Path, recipe: str, timeout: float | None, extra_env=None,
               repeats: int | None = None, log_dir: Path | None = None, on_start=None,
               drops=(), tmp_prefix: str = paths.REPLAY_PREFIX) -> dict:
    """Run one fresh worker process and return its replay dict.

    timeout: the caller's bound; the scenario's TIMEOUT applies when smaller. on_start(process)
    is called once the worker has started (it leads its own process group:
    os.killpg(process.pid, ...) stops it and its children). tmp_prefix: the name of its temporary
    directory starts with it (paths.replay_prefix: its installation's)."""
    timeout = replay_timeout(scenario, timeout)
    with tempfile.TemporaryDirectory(prefix=tmp_prefix) as tmp:
        out = Path(tmp) / "result.json"
        command = [str(python), str(paths.WORKER), "--scenario", str(scenario), "--recipe", recipe,
                   "--api", cell.api, "--backend", cell.backend, "--device", cell.device, "--out", str(out)]
        if repeats is not None:
            command += ["--repeats", str(repeats)]
        for drop in drops:      # an ablation: the recipe without these calls (worker --drop)
            command += ["--drop", drop]
        stdout_path, stderr_path = Path(tmp) / "stdout", Path(tmp) / "stderr"
        started = time.time()
        with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
            process = subprocess.Popen(command, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL,
                                       env=worker_environment(cell.env_dict, extra_env or {}),
                                       cwd=tmp, start_new_session=True)
            try:
                if on_start is not None:
                    on_start(process)
                timed_out = _wait(process, timeout)
            except BaseException:
                _kill_group(process)
                raise
            _kill_group(process)   # whatever the worker left running in its group
        wall = time.time() - started
        stderr_text = _tail(stderr_path, STDERR_TAIL)
        if log_dir is not None:
            _keep_logs(log_dir, recipe, stdout_path, stderr_path)
        replay = _interpret(out, process.returncode, timed_out, timeout, stderr_text)
        replay["wall_seconds"] = round(wall, 3)
        replay["exit_code"] = process.returncode
        return replay


def _wait(process, timeout) -> bool:
    try:
        process.wait(timeout=timeout)
        return False
    except subprocess.TimeoutExpired:
        _kill_group(process)
        return True


def _kill_group(process):
    """Kill the worker and everything it started (compilers, helper processes, children)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _tail_bytes(path: Path, size: int) -> bytes:
    """The last `size` bytes of a file, without reading a flood of output whole."""
    with open(path, "rb") as handle:
        handle.seek(max(0, path.stat().st_size - size))
        return handle.read()


def _tail(path: Path, size: int) -> str:
    return _tail_bytes(path, size).decode("utf-8", "replace")


def bounded(text, limit=TEXT_LIMIT) -> str:
    """The text, or its head and tail around a marker saying how much was cut (as the worker does)."""
    text = str(text)
    if len(text) <= limit:
        return text
    keep = limit // 2
    return f"{text[:keep]}\n... [{len(text) - 2 * keep} characters cut] ...\n{text[-keep:]}"


def _interpret(out: Path, code, timed_out, timeout, stderr_text) -> dict:
    if timed_out:
        return {"status": "timed-out", "error_summary": f"killed after {timeout}s",
                "stderr_tail": stderr_text}
    if not out.exists():
        summary = f"worker exited with code {code} without writing a result"
        if code == OUT_UNWRITABLE and "no result can be written" in stderr_text:
            summary += " (it could not write to its --out directory)"
        return {"status": "no-result", "stderr_tail": stderr_text, "error_summary": summary}
    size = out.stat().st_size
    if size > RESULT_LIMIT:
        return {"status": "bad-result", "stderr_tail": stderr_text,
                "error_summary": f"result file has {size} bytes, more than the {RESULT_LIMIT} read"}
    try:
        result = json.loads(out.read_text())
    except RecursionError:
        return {"status": "bad-result", "stderr_tail": stderr_text,
                "error_summary": f"result file is nested too deep to read; exit code {code}"}
    except (ValueError, UnicodeDecodeError) as exc:
        return {"status": "bad-result", "stderr_tail": stderr_text,
                "error_summary": f"result file is not JSON ({bounded(exc, 200)}); exit code {code}"}
    problem = _shape_problem(result) or _range_problem(result) or _field_problem(result)
    if problem:
        return {"status": "bad-result", "stderr_tail": stderr_text, "error_summary": problem}
    replay = {k: v for k, v in result.items() if k not in ("schema", "pid")}
    values = _from_hex(result.get("values_hex"))   # the hex text is the exact value
    if values is not None:
        replay["values"] = values
    else:   # a failure's partial values are evidence only when they are hex text; else dropped
        replay.pop("values", None)
        replay.pop("values_hex", None)
    if replay["status"] == "ok" and None in replay.get("values", ()):  # a schema-1 worker wrote NaN
        replay["status"] = "non-finite"
    replay["worker_schema"] = result["schema"]
    if isinstance(replay.get("error"), dict):
        replay["error"] = {k: bounded(v) if isinstance(v, str) else v for k, v in replay["error"].items()}
    if replay["status"] not in ("ok", "non-finite"):
        replay["error_summary"] = _summary(replay)
        replay["stderr_tail"] = stderr_text
    return _json_safe(replay)


def _from_hex(hexes):
    """The values of a values_hex list, or None when it is not a list of float.hex text (a value
    status guarantees one: _shape_problem checked it)."""
    if not isinstance(hexes, list):
        return None
    try:
        return [_finite_or_none(float.fromhex(h)) for h in hexes]
    except (TypeError, ValueError):
        return None


def _summary(replay: dict) -> str:
    """One bounded line: the exception type and message, else the worker's stated reason."""
    error = replay.get("error")
    if isinstance(error, dict):
        return bounded(f"{error.get('type', '?')}: {error.get('message', '')}", 500)
    return bounded(replay.get("reason") or replay["status"], 500)


def _shape_problem(result) -> str | None:
    """Why a result file cannot be trusted, or None."""
    if not isinstance(result, dict):
        return f"result is a {type(result).__name__}, not an object"
    if not isinstance(result.get("schema"), int) or "status" not in result:
        return "result lacks schema/status"
    if result["status"] not in WORKER_STATUSES:
        return f"result has an unknown status {str(result['status'])[:80]!r}"
    if result["status"] == "not-applicable" and not isinstance(result.get("reason"), str):
        return "result has status not-applicable but no reason"
    if result["status"] not in VALUE_STATUSES:
        return None
    for key, kind in REQUIRED_VALUE_KEYS.items():
        if not isinstance(result.get(key), kind):
            return f"result has status {result['status']} but no {key} list"
    return _values_problem(result["values"], result["values_hex"])


def _is(*kinds):
    return lambda v: isinstance(v, kinds) and not isinstance(v, bool)


def _list_of(test):
    return lambda v: isinstance(v, list) and all(test(x) for x in v)


_number_or_null = lambda v: v is None or _is(int, float)(v)
# The types a record requires of these fields (store/schema.py REPLAY_FIELDS, the one schema of a
# record; tests/test_fuzz.py checks that every replay made here reads back as a record).
RESULT_FIELDS = {
    "observed": _is(dict), "thread_env": _is(dict), "error": _is(dict), "reason": _is(str),
    "error_summary": _is(str), "stderr_tail": _is(str), "seed_calls": _list_of(_is(str)),
    "seed_unavailable": _list_of(_is(dict, str)), "fit_seconds": _list_of(_number_or_null),
    "total_seconds": _number_or_null, "import_seconds": _number_or_null,
    "wall_seconds": _number_or_null, "exit_code": lambda v: v is None or _is(int)(v),
    "index": lambda v: _is(int)(v) and v >= 0, "codepath": _is(dict),
    "seed_drops": _list_of(_is(str)), "seed_dropped": _list_of(_is(str)),
}
RESULT_DEPTH = 24          # store/schema.py MAX_DEPTH
RESULT_MAX_INT = 2 ** 63   # store/schema.py MAX_INT


def _field_problem(result: dict) -> str | None:
    for key, test in RESULT_FIELDS.items():
        if key in result and not test(result[key]):
            return f"result field {key} has the wrong type ({type(result[key]).__name__})"
    return None


def _range_problem(result) -> str | None:
    """Nesting deeper than a record may hold, or an integer out of range (walked iteratively)."""
    stack = [(result, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > RESULT_DEPTH:
            return f"result is nested deeper than {RESULT_DEPTH} levels"
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > RESULT_MAX_INT:
            return "result holds an integer out of range"
        if isinstance(value, dict):
            stack += [(v, depth + 1) for v in value.values()]
        elif isinstance(value, list):
            stack += [(v, depth + 1) for v in value]
    return None


def _values_problem(values, hexes) -> str | None:
    """Decimal values must agree with their exact float.hex text (null where it is not finite)."""
    if len(values) != len(hexes) or not values:
        return "result values and values_hex differ in length or are empty"
    try:
        exact = [float.fromhex(h) for h in hexes]
    except (TypeError, ValueError):
        return "result values_hex holds text that is not float.hex output"
    for value, number in zip(values, exact):
        if not math.isfinite(number):
            if value is not None and value == value and value != number:
                return "result values do not match their float.hex text"
        elif value != number:
            return "result values do not match their float.hex text"
    return None


def _finite_or_none(number: float):
    return number if math.isfinite(number) else None


def _json_safe(value):
    """Strict RFC 8259 data: a non-finite float anywhere becomes None."""
    if isinstance(value, float):
        return _finite_or_none(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def _keep_logs(log_dir: Path, recipe: str, stdout_path: Path, stderr_path: Path):
    log_dir.mkdir(parents=True, exist_ok=True)
    for source, suffix in ((stdout_path, "stdout"), (stderr_path, "stderr")):
        (log_dir / f"{recipe}.{suffix}.log").write_bytes(_tail_bytes(source, LOG_TAIL))
