"""Faults a worker must survive and record: non-finite values, oversized text, an unwritable --out."""
import json
import subprocess
import sys

from conftest import TEST_SCENARIOS, plain_cell
from harness import paths
from harness.execute import runner


def strict_json(text):
    """RFC 8259 has no NaN or Infinity: refuse them instead of accepting Python's extension."""
    def refuse(name):
        raise ValueError("non-standard JSON constant %s" % name)
    return json.loads(text, parse_constant=refuse)


def run_worker(tmp_path, scenario, *extra):
    out = tmp_path / "result.json"
    done = subprocess.run([sys.executable, str(paths.WORKER), "--scenario", str(TEST_SCENARIOS / f"{scenario}.py"),
                           "--recipe", "numpy", "--api", "none", "--backend", "none", "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=60)
    return done, out


def replay(scenario, timeout=60):
    return runner.run_replay(sys.executable, plain_cell(), TEST_SCENARIOS / f"{scenario}.py", "numpy", timeout)


def test_non_finite_values_are_their_own_outcome_in_strict_json(tmp_path):
    done, out = run_worker(tmp_path, "non_finite")
    result = strict_json(out.read_text())
    assert result["status"] == "non-finite"
    assert result["values"] == [0.5, None, None]
    assert result["values_hex"] == [(0.5).hex(), "nan", "-inf"]
    assert done.returncode == 0   # the scenario ran to the end: an outcome, not a failure


def test_runner_keeps_a_non_finite_replay_as_data_and_returns_strict_json():
    result = replay("non_finite")
    assert result["status"] == "non-finite"
    assert result["values"] == [0.5, None, None] and result["values_hex"][1:] == ["nan", "-inf"]
    strict_json(json.dumps(result, allow_nan=False))
    assert "error_summary" not in result


def test_a_schema_1_result_with_nan_is_not_ok(tmp_path):
    """Schema-1 workers wrote NaN as a bare JSON token with status ok; it must not count as ok."""
    out = tmp_path / "result.json"
    out.write_text('{"schema": 1, "status": "ok", "values": [NaN, 1.0], "values_hex": ["nan", "0x1.0p+0"],'
                   ' "fit_seconds": [0.1, 0.1]}')
    result = runner._interpret(out, 0, False, 60, "")
    assert result["status"] == "non-finite" and result["values"] == [None, 1.0]
    strict_json(json.dumps(result, allow_nan=False))


def test_value_text_must_match_even_when_not_finite():
    ok = {"schema": 2, "status": "non-finite", "values": [None], "values_hex": ["inf"], "fit_seconds": [0.1]}
    assert runner._shape_problem(ok) is None
    lying = dict(ok, values=[1.0])
    assert runner._shape_problem(lying) == "result values do not match their float.hex text"
    junk = dict(ok, values_hex=["banana"])
    assert runner._shape_problem(junk) == "result values_hex holds text that is not float.hex output"
    assert "unknown status" in runner._shape_problem(dict(ok, status="great"))


def test_every_worker_status_is_a_replay_status():
    assert set(runner.WORKER_STATUSES) <= set(runner.REPLAY_STATUSES)
    assert {"ok", "non-finite", "not-applicable", "gpu-fallback", "determinism-unavailable", "import-failed",
            "crashed", "timed-out", "no-result", "bad-result", "interrupted"} == set(runner.REPLAY_STATUSES)


def test_a_huge_return_value_makes_a_small_result(tmp_path):
    done, out = run_worker(tmp_path, "huge_return")
    assert out.stat().st_size < 16 * 1024
    result = strict_json(out.read_text())
    assert result["status"] == "crashed" and result["error"]["type"] == "TypeError"
    assert result["error"]["message"].startswith("run_once returned a list: [0, 1, 2")
    assert result["error"]["message"].endswith("not a number")


def test_a_huge_error_message_keeps_its_head_and_tail(tmp_path):
    done, out = run_worker(tmp_path, "huge_error")
    assert out.stat().st_size < 16 * 1024
    error = strict_json(out.read_text())["error"]
    cut = len("start " + "spam " * 1000000 + "finish") - 2000
    assert error["message"].startswith("start spam") and error["message"].endswith("spam finish")
    assert f"... [{cut} characters cut] ..." in error["message"]
    assert len(error["traceback"]) < 4100 and "huge_error.py" in error["traceback"]


def test_replays_keep_bounded_error_text():
    for scenario in ("huge_error", "huge_return"):
        result = replay(scenario)
        assert result["status"] == "crashed"
        assert len(json.dumps(result)) < 16 * 1024
        assert len(result["error_summary"]) <= 500 + 40 and len(result["stderr_tail"]) <= 3000


def test_bounded_text_in_the_runner():
    assert runner.bounded("short") == "short"
    text = "a" * 10 + "b" * 100 + "c" * 10
    assert runner.bounded(text, 20) == "a" * 10 + "\n... [100 characters cut] ...\n" + "c" * 10


def test_an_unwritable_out_stops_the_worker_before_any_import_or_scenario(tmp_path):
    """numpy is replaced by a module that leaves a mark when imported; the scenario would hang."""
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "numpy.py").write_text("open(%r, 'w').close()\n" % str(tmp_path / "numpy-imported"))
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(fake), "HANG_PID_FILE": str(tmp_path / "pids")}
    for out in (tmp_path / "missing" / "r.json", a_file / "r.json", tmp_path):
        done = subprocess.run([sys.executable, str(paths.WORKER), "--scenario", str(TEST_SCENARIOS / "hangs.py"),
                               "--recipe", "numpy", "--api", "none", "--backend", "none", "--out", str(out)],
                              capture_output=True, text=True, timeout=30, env=env)
        assert done.returncode == 3, done.stderr
        assert "no result can be written" in done.stderr
    assert not (tmp_path / "numpy-imported").exists() and not (tmp_path / "pids").exists()
    # the control: with a writable --out the same worker does import (the fake) numpy
    subprocess.run([sys.executable, str(paths.WORKER), "--scenario", str(TEST_SCENARIOS / "numpy_draw.py"),
                    "--recipe", "numpy", "--api", "none", "--backend", "none", "--out", str(tmp_path / "r.json")],
                   capture_output=True, timeout=30, env=env)
    assert (tmp_path / "numpy-imported").exists()


def test_the_runner_names_an_unwritable_out(tmp_path):
    stderr = "worker: no result can be written: /x is not a directory\n"
    result = runner._interpret(tmp_path / "absent.json", 3, False, 60, stderr)
    assert result["status"] == "no-result"
    assert result["error_summary"].endswith("(it could not write to its --out directory)")
    assert "could not write" not in runner._interpret(tmp_path / "absent.json", 3, False, 60, "")["error_summary"]
