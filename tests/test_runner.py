"""The orchestrator against deliberately broken scenarios, with real subprocesses."""
import os
import sys
import time

from conftest import TEST_SCENARIOS, plain_cell
from harness.execute import runner


def replay(scenario, recipe="none", timeout=60, **kw):
    cell = plain_cell(**kw)
    return runner.run_replay(sys.executable, cell, TEST_SCENARIOS / f"{scenario}.py", recipe, timeout)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purpose
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_a_hanging_scenario_is_killed_with_its_children(tmp_path, monkeypatch):
    pid_file = tmp_path / "pids"
    monkeypatch.setenv("HANG_PID_FILE", str(pid_file))
    started = time.time()
    result = replay("hangs", timeout=4)
    assert result["status"] == "timed-out"
    assert "killed after 4" in result["error_summary"]
    assert time.time() - started < 30
    worker_pid, child_pid = (int(x) for x in pid_file.read_text().split())
    time.sleep(0.2)
    assert not alive(worker_pid) and not alive(child_pid)


def test_a_raising_scenario_is_a_crash_with_traceback_and_partial_values():
    result = replay("raises")
    assert result["status"] == "crashed"
    assert result["error"]["type"] == "ZeroDivisionError"
    assert "repeat 2" in result["error_summary"]
    assert "raises.py" in result["error"]["traceback"]
    assert result["values"] == [0.5]   # what ran before the failure is kept
    assert result["exit_code"] == 1


def test_junk_in_the_result_file_is_a_bad_result():
    result = replay("junk_result")
    assert result["status"] == "bad-result"
    assert "not JSON" in result["error_summary"]


def test_junk_on_stdout_does_not_matter():
    result = replay("noisy")
    assert result["status"] == "ok" and result["values"] == [0.25, 0.25]


def test_exit_without_result_is_recorded_with_exit_code_and_stderr():
    result = replay("exits")
    assert result["status"] == "no-result"
    assert result["exit_code"] == 7
    assert "exited with code 7" in result["error_summary"]


def test_shape_validation_of_an_ok_result():
    assert runner._shape_problem({"schema": 1, "status": "ok", "values": [1.0], "values_hex": [],
                                  "fit_seconds": []}) == "result values and values_hex differ in length or are empty"
    assert "no values list" in runner._shape_problem({"schema": 1, "status": "ok"})
    assert runner._shape_problem([1, 2]) == "result is a list, not an object"
    assert runner._shape_problem({"schema": 1, "status": "ok", "values": [1.0], "values_hex": [(2.0).hex()],
                                  "fit_seconds": [0.1]}) == "result values do not match their float.hex text"


def test_host_python_variables_do_not_leak_into_the_cell(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/nonexistent/host/site")
    env = runner.worker_environment({"KERAS_BACKEND": "jax"}, {"LD_LIBRARY_PATH": "/opt/compat"})
    assert "PYTHONPATH" not in env and env["KERAS_BACKEND"] == "jax"
    assert env["LD_LIBRARY_PATH"].split(os.pathsep)[0] == "/opt/compat"
