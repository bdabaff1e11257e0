"""Running the worker in a fresh process: timeout on the whole process group, result via a
file, and a defensive reading of what came back. Every outcome is a replay dict, never raised."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from .. import paths

STDERR_TAIL = 3000
REQUIRED_OK_KEYS = {"values": list, "values_hex": list, "fit_seconds": list}
HOST_ONLY_VARS = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "HARNESS_WORKER_REEXEC")


def worker_environment(cell_env: dict, extra_env: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in HOST_ONLY_VARS}
    env.update(cell_env)
    for key, value in extra_env.items():
        if key == "LD_LIBRARY_PATH" and env.get(key):
            value = value + os.pathsep + env[key]
        env[key] = value
    return env


def run_replay(python, cell, scenario: Path, recipe: str, timeout: float, extra_env=None,
               repeats: int | None = None, log_dir: Path | None = None) -> dict:
    """Run one fresh worker process and return its replay dict."""
    with tempfile.TemporaryDirectory(prefix="harness-replay-") as tmp:
        out = Path(tmp) / "result.json"
        command = [str(python), str(paths.WORKER), "--scenario", str(scenario), "--recipe", recipe,
                   "--api", cell.api, "--backend", cell.backend, "--device", cell.device, "--out", str(out)]
        if repeats is not None:
            command += ["--repeats", str(repeats)]
        stdout_path, stderr_path = Path(tmp) / "stdout", Path(tmp) / "stderr"
        started = time.time()
        with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
            process = subprocess.Popen(command, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL,
                                       env=worker_environment(cell.env_dict, extra_env or {}),
                                       cwd=tmp, start_new_session=True)
            timed_out = _wait(process, timeout)
        wall = time.time() - started
        stderr_text = stderr_path.read_bytes()[-STDERR_TAIL:].decode("utf-8", "replace")
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
    except ProcessLookupError:
        pass
    process.wait()


def _interpret(out: Path, code, timed_out, timeout, stderr_text) -> dict:
    if timed_out:
        return {"status": "timed-out", "error_summary": f"killed after {timeout}s",
                "stderr_tail": stderr_text}
    if not out.exists():
        return {"status": "no-result", "stderr_tail": stderr_text,
                "error_summary": f"worker exited with code {code} without writing a result"}
    try:
        result = json.loads(out.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        return {"status": "bad-result", "stderr_tail": stderr_text,
                "error_summary": f"result file is not JSON ({exc}); exit code {code}"}
    problem = _shape_problem(result)
    if problem:
        return {"status": "bad-result", "stderr_tail": stderr_text, "error_summary": problem}
    replay = {k: v for k, v in result.items() if k not in ("schema", "pid")}
    if result["status"] == "ok":  # the hex text is the exact value; JSON decimals are a convenience
        replay["values"] = [float.fromhex(h) for h in result["values_hex"]]
    replay["worker_schema"] = result["schema"]
    if result["status"] != "ok":
        error = result.get("error") or {}
        replay["error_summary"] = f"{error.get('type', '?')}: {error.get('message', '')}"[:500]
        replay["stderr_tail"] = stderr_text
    return replay


def _shape_problem(result) -> str | None:
    """Why a result file cannot be trusted, or None."""
    if not isinstance(result, dict):
        return f"result is a {type(result).__name__}, not an object"
    if not isinstance(result.get("schema"), int) or "status" not in result:
        return "result lacks schema/status"
    if result["status"] != "ok":
        return None
    for key, kind in REQUIRED_OK_KEYS.items():
        if not isinstance(result.get(key), kind):
            return f"result has status ok but no {key} list"
    values, hexes = result["values"], result["values_hex"]
    if len(values) != len(hexes) or not values:
        return "result values and values_hex differ in length or are empty"
    if any(float.fromhex(h) != v and v == v for h, v in zip(hexes, values)):
        return "result values do not match their float.hex text"
    return None


def _keep_logs(log_dir: Path, recipe: str, stdout_path: Path, stderr_path: Path):
    log_dir.mkdir(parents=True, exist_ok=True)
    for source, suffix in ((stdout_path, "stdout"), (stderr_path, "stderr")):
        (log_dir / f"{recipe}.{suffix}.log").write_bytes(source.read_bytes()[-200000:])
