"""harness run: incremental (current records skipped), resumable (kept replays), parallel (-j),
with real environments (uv, numpy only) and real worker processes."""
import shutil
import time

import pytest

from conftest import TEST_SCENARIOS, plain_cell
from harness import inputs
from harness.provision import environments
from harness.ops import plan, run
from harness.report import progress
from harness.store import machines, records

pytestmark = pytest.mark.slow   # real environments and worker processes

SCENARIO = "numpy_draw"


@pytest.fixture(scope="module")
def envs(tmp_path_factory):
    return tmp_path_factory.mktemp("envs")


def go(cell, results, envs, scenarios=TEST_SCENARIOS, scenarios_override=None, **kw):
    lines = []
    display = run.EchoDisplay(lines.append)
    options = run.Options(scenarios_dir=scenarios, scenarios=scenarios_override, **kw)
    summary = run.run_cells([cell], results, envs, options, display)
    return summary, lines


def snapshot(folder):
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")) if p.is_file()}


def record(results, cell, recipe, scenario=SCENARIO):
    return records.read(records.recipe_path(results, machines.this_machine(), cell.name, scenario, recipe))


def test_a_second_run_skips_current_records_opens_no_environment_and_changes_no_file(tmp_path, envs, monkeypatch):
    cell = plain_cell("incremental")
    first, _ = go(cell, tmp_path, envs)
    assert {k[2]: v.name for k, v in first.verdicts.items()} == {"none": "diverged", "numpy": "bitwise"}
    before = snapshot(tmp_path)

    def no_environment(*args, **kw):
        raise AssertionError("a current cell must not open its environment")
    monkeypatch.setattr(environments, "acquire", no_environment)
    started = time.monotonic()
    second, lines = go(cell, tmp_path, envs)
    assert time.monotonic() - started < 2
    assert not second.verdicts and set(second.current) == set(first.verdicts)
    assert second.skipped_cells == [cell.name] and lines == []
    assert snapshot(tmp_path) == before
    assert "skipped as current: 2 recipe(s), 1 whole cell(s)" in "\n".join(progress.summary_lines(second))


def test_force_and_changed_inputs_run_again(tmp_path, envs):
    cell = plain_cell("inputs", recipes=("numpy",))
    go(cell, tmp_path, envs)
    forced, _ = go(cell, tmp_path, envs, force=True)
    assert len(forced.verdicts) == 1
    changed_env, _ = go(plain_cell("inputs", recipes=("numpy",), env=(("SOME_SETTING", "1"),)), tmp_path, envs)
    assert len(changed_env.verdicts) == 1
    scenarios = tmp_path / "scenarios"
    shutil.copytree(TEST_SCENARIOS, scenarios)
    (scenarios / f"{SCENARIO}.py").write_text((scenarios / f"{SCENARIO}.py").read_text() + "\n# edited\n")
    changed_scenario, lines = go(cell, tmp_path / "other", envs, scenarios=scenarios)
    go(cell, tmp_path, envs, scenarios=scenarios)
    assert record(tmp_path, cell, "numpy")["scenario"]["sha256"] == inputs.sha256(scenarios / f"{SCENARIO}.py")
    assert record(tmp_path, cell, "numpy")["inputs"]["env"] == {}


def test_more_replays_keep_the_recorded_ones_and_fewer_never_replace_them(tmp_path, envs):
    cell = plain_cell("counts", recipes=("numpy",))
    go(cell, tmp_path, envs, replays=1)
    kept = record(tmp_path, cell, "numpy")["replays"]
    summary, lines = go(cell, tmp_path, envs, replays=3)
    now = record(tmp_path, cell, "numpy")
    assert len(now["replays"]) == 3 and now["replays"][0] == kept[0]
    assert [r["index"] for r in now["replays"]] == [0, 1, 2]
    assert any("resumed, 1 of 3 replays kept" in line for line in lines)
    fewer, _ = go(cell, tmp_path, envs, replays=2)
    assert not fewer.verdicts                       # three recorded replays satisfy two
    go(cell, tmp_path, envs, replays=1, force=True)
    assert len(record(tmp_path, cell, "numpy")["replays"]) == 3   # forced, but never fewer


def test_a_partial_record_is_resumed_without_redoing_its_replays(tmp_path, envs):
    cell = plain_cell("resume", recipes=("numpy",), replays=3)
    go(cell, tmp_path, envs)
    target = records.recipe_path(tmp_path, machines.this_machine(), cell.name, SCENARIO, "numpy")
    body = records.read(target)
    body["complete"] = False
    body["replays"] = body["replays"][:1] + [dict(body["replays"][1], status="interrupted")]
    body = {k: v for k, v in body.items() if k not in ("format", "schema", "kind")}
    records.write(plan.partial_path(target), "replays", body)
    target.unlink()
    summary, lines = go(cell, tmp_path, envs)
    final = records.read(target)
    assert final["complete"] and len(final["replays"]) == 3
    assert final["replays"][0] == body["replays"][0]          # kept as it was
    assert all(r["status"] == "ok" for r in final["replays"])  # the interrupted one ran again
    assert not plan.partial_path(target).exists()
    assert summary.verdicts[(cell.name, SCENARIO, "numpy")].name == "bitwise"


def test_a_partial_of_other_inputs_is_not_resumed(tmp_path, envs):
    cell = plain_cell("other-inputs", recipes=("numpy",), replays=2)
    target = records.recipe_path(tmp_path, machines.this_machine(), cell.name, SCENARIO, "numpy")
    records.write(plan.partial_path(target), "replays", {
        "cell": cell.as_dict(), "machine": machines.this_machine(), "recipe": "numpy",
        "scenario": {"name": SCENARIO, "sha256": "0" * 64}, "complete": False,
        "inputs": {"scenario_sha256": "0" * 64},
        "replays": [{"status": "ok", "values": [9.0], "index": 0}]})
    go(cell, tmp_path, envs)
    assert all(r["values"] != [9.0] for r in records.read(target)["replays"])


def test_parallel_jobs_give_the_same_fingerprints_and_run_side_by_side(tmp_path, envs, monkeypatch):
    monkeypatch.setenv("SLOW_DRAW_SECONDS", "1.5")
    cell = plain_cell("parallel", scenarios=("slow_draw",), recipes=("numpy",), replays=4)
    go(cell, tmp_path / "warm", envs, replays=1)           # the environment exists before timing
    timed = {}
    for jobs in (1, 2):
        started = time.monotonic()
        summary, _ = go(cell, tmp_path / f"j{jobs}", envs, jobs=jobs)
        timed[jobs] = time.monotonic() - started
        result = summary.verdicts[(cell.name, "slow_draw", "numpy")]
        assert result.name == "bitwise"
        timed[f"fp{jobs}"] = result.fingerprints
    assert timed["fp1"] == timed["fp2"]
    assert timed[2] < timed[1] * 0.8, timed


def test_an_install_failure_is_recorded_and_summarised(tmp_path, envs):
    bad = plain_cell("bad", requirements=("keras-repro-no-such-package==0.0.1",))
    summary, lines = go(bad, tmp_path, envs)
    assert "bad" in summary.install_failed
    env = records.read(records.environment_path(tmp_path, machines.this_machine(), "bad"))
    assert env["outcome"]["status"] == "install-failed"
    assert len(env["outcome"]["error"]) <= environments.ERROR_LIMIT + 100
    assert any("install-failed  bad:" in line for line in progress.summary_lines(summary))


def test_progress_lines_carry_an_estimate_and_the_live_display_renders(tmp_path, envs, monkeypatch):
    cell = plain_cell("progress", recipes=("numpy",), replays=2)
    go(cell, tmp_path, envs)
    summary, lines = go(cell, tmp_path, envs, force=True)
    state = run.State(cells_total=2, cells_done=1, replays_total=10, replays_done=4, remaining=75)
    state.running[1] = ("[c] s numpy replay 2/3", time.monotonic())
    assert "cells 1/2, replays 4/10" in progress.headline(state) and "~1:15 left" in progress.headline(state)
    from rich.console import Console
    console = Console(record=True, width=100)
    console.print(progress.LiveDisplay.render(None, state))
    text = console.export_text()
    assert "cells 1/2" in text and "replay 2/3" in text
    monkeypatch.setenv("CI", "true")

    class Tty:
        def isatty(self):
            return True
    assert not progress.live_wanted(Tty())
    monkeypatch.delenv("CI")
    monkeypatch.setenv("TERM", "xterm")
    assert progress.live_wanted(Tty()) and not progress.live_wanted(open(tmp_path / "f", "w"))


def test_default_jobs_is_sensible():
    assert 1 <= run.default_jobs() <= run.MAX_DEFAULT_JOBS


def test_the_estimate_over_several_cells_counts_missing_processes_at_their_recorded_pace(tmp_path, envs):
    cell = plain_cell("paced", recipes=("numpy",), replays=2)
    machine = machines.this_machine()
    fresh = plain_cell("fresh", recipes=("numpy", "none"), replays=3)
    assert plan.estimate([fresh], tmp_path, machine, TEST_SCENARIOS) == (6, 6 * plan.FALLBACK_SECONDS)
    go(cell, tmp_path, envs)
    recorded = records.read(records.recipe_path(tmp_path, machine, "paced", SCENARIO, "numpy"))
    walls = sorted(r["wall_seconds"] for r in recorded["replays"])
    assert plan.estimate([cell], tmp_path, machine, TEST_SCENARIOS) == (0, 0.0)          # current: nothing left
    more = plain_cell("paced", recipes=("numpy",), replays=5)
    processes, seconds = plan.estimate([more, fresh], tmp_path, machine, TEST_SCENARIOS)
    assert processes == 3 + 6 and seconds == pytest.approx(3 * walls[len(walls) // 2] + 6 * plan.FALLBACK_SECONDS)
    line = plan.progress_line(1, 2, "paced", processes, seconds)
    assert line.startswith("cell 1 of 2: paced; left for it and the 1 after it: 9 process(es)")


def test_a_run_of_other_scenarios_records_the_cell_as_the_matrix_defines_it(tmp_path, envs):
    """`harness run CELL --scenario X` runs X, yet the environment record and the recipe records keep
    the cell's own scenarios: the cell pages read the definition from them."""
    cell = plain_cell("other-scenario", recipes=("numpy",), scenarios=("canonical_mlp",))
    summary, _ = go(cell, tmp_path, envs, scenarios=TEST_SCENARIOS, scenarios_override=("numpy_draw",))
    assert [k[1:] for k in summary.verdicts] == [("numpy_draw", "numpy")]
    machine = machines.this_machine()
    env = records.read(records.environment_path(tmp_path, machine, cell.name))
    assert env["cell"]["scenarios"] == ["canonical_mlp"]
    assert record(tmp_path, cell, "numpy")["cell"]["scenarios"] == ["canonical_mlp"]
    assert not records.recipe_path(tmp_path, machine, cell.name, "canonical_mlp", "numpy").exists()
