"""The runner's process handling: the on_start hook, interruption, leftovers, declared timeouts."""
import os
import sys
import time

import pytest

from conftest import TEST_SCENARIOS, plain_cell
from harness.execute import runner
from test_runner import alive


def test_on_start_sees_the_worker_leading_its_own_group():
    seen = []
    result = runner.run_replay(sys.executable, plain_cell(), TEST_SCENARIOS / "noisy.py", "none", 60,
                               on_start=lambda process: seen.append((process.pid, os.getpgid(process.pid))))
    assert result["status"] == "ok"
    [(pid, group)] = seen
    assert pid == group != os.getpgid(0)


def test_an_interruption_kills_the_worker_group_and_propagates(tmp_path, monkeypatch):
    pid_file = tmp_path / "pids"
    monkeypatch.setenv("HANG_PID_FILE", str(pid_file))

    def interrupt_once_running(process):
        deadline = time.time() + 30
        while not pid_file.exists() or len(pid_file.read_text().split()) < 2:
            assert time.time() < deadline, "the hanging scenario never started"
            time.sleep(0.1)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        runner.run_replay(sys.executable, plain_cell(), TEST_SCENARIOS / "hangs.py", "none", 60,
                          on_start=interrupt_once_running)
    time.sleep(0.2)
    assert not any(alive(int(pid)) for pid in pid_file.read_text().split())


def test_children_left_behind_by_a_finished_worker_are_stopped(tmp_path, monkeypatch):
    monkeypatch.setenv("CHILD_PID_FILE", str(tmp_path / "child"))
    result = runner.run_replay(sys.executable, plain_cell(), TEST_SCENARIOS / "leaves_child.py", "none", 60)
    assert result["status"] == "ok"
    time.sleep(0.2)
    assert not alive(int((tmp_path / "child").read_text()))


def test_a_declared_timeout_applies_when_the_caller_names_none(tmp_path, monkeypatch):
    monkeypatch.setenv("HANG_PID_FILE", str(tmp_path / "pids"))
    scenario = tmp_path / "hangs_declared.py"
    scenario.write_text("TIMEOUT = 3\n" + (TEST_SCENARIOS / "hangs.py").read_text())
    result = runner.run_replay(sys.executable, plain_cell(), scenario, "none", None)
    assert result["status"] == "timed-out" and result["error_summary"] == "killed after 3s"


def test_scenario_header_reads_literals_only(tmp_path):
    scenario = tmp_path / "s.py"
    scenario.write_text("CONTRACT = 2\nNAME = 'n'\nTIMEOUT = 90.5\nREPEATS = len('abc')\nOTHER = 1\n"
                        "def run_once(keras, np, ctx):\n    return 1.0\n")
    assert runner.scenario_header(scenario) == {"CONTRACT": 2, "NAME": "n", "TIMEOUT": 90.5}
    assert runner.replay_timeout(scenario, None) == 90.5 and runner.replay_timeout(scenario, 7) == 7
    old = tmp_path / "py2.py"
    old.write_text("TIMEOUT = 5\nprint 'Python 2 only'\n")
    assert runner.scenario_header(old) == {}
    assert runner.replay_timeout(old, None) == runner.DEFAULT_TIMEOUT
