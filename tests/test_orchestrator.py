"""Cells end to end with real environments (uv) and real worker processes, no Keras needed."""
import subprocess
import sys

import pytest

from conftest import ROOT, TEST_SCENARIOS, plain_cell
from harness import inputs
from harness.provision import environments
from harness.ops import run
from harness.store import machines, records

pytestmark = pytest.mark.slow   # real environments and worker processes


@pytest.fixture(scope="module")
def envs(tmp_path_factory):
    return tmp_path_factory.mktemp("envs")


def run_quiet(cell, results, envs, **kw):
    lines = []
    summary = run.run_cell(cell, results, envs, run.Options(scenarios_dir=TEST_SCENARIOS, **kw),
                           echo=lines.append)
    return summary, lines


def test_a_cell_runs_records_and_reuses_its_environment(tmp_path, envs):
    cell = plain_cell("numpy-only")
    summary, lines = run_quiet(cell, tmp_path, envs)
    assert summary[("numpy_draw", "numpy")].name == "bitwise"
    assert summary[("numpy_draw", "none")].name == "diverged"
    machine = machines.this_machine()
    record = records.read(records.recipe_path(tmp_path, machine, cell.name, "numpy_draw", "numpy"))
    assert record["complete"] and len(record["replays"]) == 2
    assert record["scenario"]["sha256"] == inputs.sha256(TEST_SCENARIOS / "numpy_draw.py")
    env_record = records.read(records.environment_path(tmp_path, machine, cell.name))
    assert env_record["outcome"]["status"] == "ok"
    assert any(p.startswith("numpy==") for p in env_record["outcome"]["packages"])
    assert records.machine_path(tmp_path, machine).is_file()   # machine facts saved once
    again = environments.ensure(cell, envs)
    assert again.reused and again.python.endswith("bin/python")
    assert run_quiet(cell, tmp_path, envs)[0] == summary        # current records answer again


def test_missing_interpreter_is_an_install_failure(tmp_path, envs):
    summary, lines = run_quiet(plain_cell("ancient", python="2.5"), tmp_path, envs)
    assert summary == {"environment": "install-failed"}
    outcome = records.read(records.environment_path(tmp_path, machines.this_machine(), "ancient"))["outcome"]
    assert "interpreter for Python 2.5 not found" in outcome["error"]
    assert any("did not install" in line for line in lines)


def test_broken_scenarios_become_verdicts_and_the_run_goes_on(tmp_path, envs):
    cell = plain_cell("broken", scenarios=("raises", "exits", "numpy_draw"), recipes=("numpy",), replays=1)
    summary, _ = run_quiet(cell, tmp_path, envs)
    assert summary[("raises", "numpy")].name == "crashed"
    assert "ZeroDivisionError" in summary[("raises", "numpy")].error
    assert summary[("exits", "numpy")].name == "no-result"
    assert summary[("numpy_draw", "numpy")].name == "single-run"


def test_concurrent_processes_build_an_environment_once(tmp_path):
    """Two processes asking for the same environment: one builds, the other waits and reuses."""
    code = ("import sys; sys.path.insert(0, {tests!r}); from conftest import plain_cell; "
            "from harness.provision import environments; "
            "print(environments.ensure(plain_cell('shared'), {envs!r}).reused)")
    script = code.format(tests=str(ROOT / "tests"), envs=str(tmp_path))
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT)
             for _ in range(2)]
    answers = sorted(p.communicate(timeout=600)[0].strip() for p in procs)
    assert answers == ["False", "True"]


def test_a_failed_install_is_retried_not_reused(tmp_path):
    bad = plain_cell("bad-again", requirements=("keras-repro-no-such-package==0.0.1",))
    first = environments.ensure(bad, tmp_path)
    second = environments.ensure(bad, tmp_path)
    assert first.status == second.status == "install-failed"
    assert not second.reused
    assert (tmp_path / ".logs" / "bad-again" / "install.log").is_file()   # logs beside, not inside
