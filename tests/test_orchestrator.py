"""Cells end to end with real environments (uv) and real worker processes, no Keras needed."""
import pytest

from conftest import TEST_SCENARIOS, plain_cell
from harness.build import environments as environment
from harness.ops import run
from harness.report import publish as publishing
from harness.store import machines, records
from support import load


@pytest.fixture(scope="module")
def envs(tmp_path_factory):
    return tmp_path_factory.mktemp("envs")


M = machines.this_machine()


def publish(results, out):
    rs, found = load(results)
    return publishing.publish(rs, found, out)


def verdicts_of(results):
    return {(o.cell_name, o.scenario, o.recipe): o for o in load(results)[1]}


def run_quiet(cell, results, envs, **kw):
    lines = []
    summary = run.run_cell(cell, results, envs, scenarios_dir=TEST_SCENARIOS, echo=lines.append, **kw)
    return summary, lines


def test_a_cell_runs_records_and_reuses_its_environment(tmp_path, envs):
    cell = plain_cell("numpy-only")
    summary, lines = run_quiet(cell, tmp_path, envs)
    assert summary[("numpy_draw", "numpy")].name == "bitwise"
    assert summary[("numpy_draw", "none")].name == "diverged"
    record = records.read(records.recipe_path(tmp_path, M, cell.name, "numpy_draw", "numpy"))
    assert record["complete"] and len(record["replays"]) == 2
    assert record["scenario"]["sha256"] == run.sha256(TEST_SCENARIOS / "numpy_draw.py")
    env_record = records.read(records.environment_path(tmp_path, M, cell.name))
    assert env_record["outcome"]["status"] == "ok"
    assert any(p.startswith("numpy==") for p in env_record["outcome"]["packages"])
    assert records.machine_path(tmp_path, M).is_file()   # machine metadata saved once per machine
    again = environment.ensure(cell, envs)
    assert again.reused and str(again.python).startswith(str(envs))
    # records travel between machines: the local path is recorded redacted
    assert env_record["outcome"]["python"] == "<envs>/numpy-only/bin/python"


def test_install_failure_is_a_cell_outcome_and_nothing_recorded_is_lost(tmp_path, envs):
    good = plain_cell("good", recipes=("numpy",))
    bad = plain_cell("bad", requirements=("keras-repro-no-such-package==0.0.1",))
    run_quiet(good, tmp_path, envs)
    before = records.recipe_path(tmp_path, M, "good", "numpy_draw", "numpy").read_bytes()
    summary, lines = run_quiet(bad, tmp_path, envs)
    assert summary == {"environment": "install-failed"}
    assert any("did not install" in line for line in lines)
    outcome = records.read(records.environment_path(tmp_path, M, "bad"))["outcome"]
    assert outcome["status"] == "install-failed" and "keras-repro-no-such-package" in outcome["error"]
    assert records.recipe_path(tmp_path, M, "good", "numpy_draw", "numpy").read_bytes() == before
    found = verdicts_of(tmp_path)
    assert {o.verdict.name for k, o in found.items() if k[0] == "bad"} == {"install-failed"}
    assert [o.verdict.name for k, o in found.items() if k[0] == "good"] == ["bitwise"]
    publish(tmp_path, tmp_path / "out")
    table = (tmp_path / "out" / "matrix.md").read_text()
    assert "install-failed" in table and "bitwise " in table
    run_quiet(plain_cell("unseeded", recipes=("none",)), tmp_path, envs)
    publish(tmp_path, tmp_path / "out")   # digits stay integers beside failure rows
    assert "diverged, 0 digits" in (tmp_path / "out" / "matrix.md").read_text()


def test_missing_interpreter_is_an_install_failure(tmp_path, envs):
    summary, _ = run_quiet(plain_cell("ancient", python="2.5"), tmp_path, envs)
    assert summary == {"environment": "install-failed"}
    outcome = records.read(records.environment_path(tmp_path, M, "ancient"))["outcome"]
    assert "interpreter for Python 2.5 not found" in outcome["error"]


def test_broken_scenarios_become_verdicts_and_the_run_goes_on(tmp_path, envs):
    cell = plain_cell("broken", scenarios=("raises", "exits", "numpy_draw"), recipes=("numpy",), replays=1)
    summary, _ = run_quiet(cell, tmp_path, envs)
    assert summary[("raises", "numpy")].name == "crashed"
    assert summary[("exits", "numpy")].name == "no-result"
    assert summary[("numpy_draw", "numpy")].name == "single-run"
    written = publish(tmp_path, tmp_path / "out")
    table = (tmp_path / "out" / "matrix.md").read_text()
    assert "crashed" in table and "no-result" in table
    assert (tmp_path / "out" / "matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert tmp_path / "out" / "matrix.html" in written
    crashed = verdicts_of(tmp_path)[("broken", "raises", "numpy")]
    assert "ZeroDivisionError" in crashed.verdict.error and crashed.record.endswith("raises/numpy.json")


def test_concurrent_runs_build_an_environment_once(tmp_path):
    """Two processes asking for the same environment: one builds, the other waits and reuses."""
    import subprocess
    import sys
    code = ("import sys; sys.path.insert(0, {root!r}); sys.path.insert(0, {tests!r}); "
            "from conftest import plain_cell; from harness.build import environments; "
            "print(environments.ensure(plain_cell('shared'), {envs!r}).reused)")
    from conftest import ROOT
    script = code.format(root=str(ROOT), tests=str(ROOT / "tests"), envs=str(tmp_path))
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    answers = sorted(p.communicate(timeout=600)[0].strip() for p in procs)
    assert answers == ["False", "True"]


def test_a_failed_install_is_retried_not_reused(tmp_path):
    bad = plain_cell("bad-again", requirements=("keras-repro-no-such-package==0.0.1",))
    first = environment.ensure(bad, tmp_path)
    second = environment.ensure(bad, tmp_path)
    assert first.status == second.status == "install-failed"
    assert not second.reused
