"""Adaptive replays: a recipe stops at its first disagreement, a bitwise verdict states its process
count and is provisional below the stack's minimum (real worker processes, numpy-only cells)."""
import pytest

from conftest import TEST_SCENARIOS, plain_cell
from harness.derive import verdicts
from harness.ops import plan, run
from harness.store import machines, records

SCENARIO = "numpy_draw"


@pytest.fixture(scope="module")
def envs(tmp_path_factory):
    return tmp_path_factory.mktemp("envs")


def go(cell, results, envs, **kw):
    lines = []
    summary = run.run_cells([cell], results, envs, run.Options(scenarios_dir=TEST_SCENARIOS, **kw),
                            display=run.EchoDisplay(lines.append))
    return summary, lines


def body(results, cell, recipe):
    return records.read(records.recipe_path(results, machines.this_machine(), cell.name, SCENARIO, recipe))


def test_an_unseeded_recipe_stops_at_its_first_disagreement_and_a_seeded_one_runs_them_all(tmp_path, envs):
    cell = plain_cell("adaptive", replays=5, recipes=("none", "numpy"))
    summary, _ = go(cell, tmp_path, envs, jobs=1)
    unseeded, seeded = body(tmp_path, cell, "none"), body(tmp_path, cell, "numpy")
    # unseeded draws differ from the second process on: two processes decide "not bitwise"
    assert unseeded["complete"] and len(unseeded["replays"]) == 2
    assert seeded["complete"] and len(seeded["replays"]) == 5
    numpy_verdict = summary.verdicts[(cell.name, SCENARIO, "numpy")]
    assert numpy_verdict.name == "bitwise" and numpy_verdict.processes == 5
    assert not numpy_verdict.provisional
    # the decided record is current: a rerun runs nothing
    again, _ = go(cell, tmp_path, envs)
    assert not again.verdicts and len(again.current) == 2


def test_topping_up_runs_only_the_missing_processes(tmp_path, envs):
    cell = plain_cell("topup", replays=2, recipes=("numpy",))
    first, _ = go(cell, tmp_path, envs)
    assert first.verdicts[(cell.name, SCENARIO, "numpy")].provisional
    kept = body(tmp_path, cell, "numpy")["replays"]
    more, _ = go(cell, tmp_path, envs, replays=5)
    after = body(tmp_path, cell, "numpy")["replays"]
    assert len(after) == 5 and after[:2] == kept     # the two earlier processes are kept as they were
    assert more.verdicts[(cell.name, SCENARIO, "numpy")].processes == 5


def rep(values, status="ok"):
    return {"status": status, "values": values}


def test_decided_and_the_confidence_bound():
    same = [rep([1.0, 2.0])] * 3
    assert not verdicts.decided(same)
    assert verdicts.decided(same + [rep([1.0, 2.0000001])])
    assert verdicts.decided([rep([1.0]), rep(None, "crashed")])
    assert verdicts.decided([rep(None, "import-failed")])
    assert not verdicts.decided([rep([1.0]), rep(None, "interrupted")])
    # n agreeing processes leave a disagreement rate up to 1 - 0.05 ** (1 / (n - 1)) plausible:
    # two processes bound nothing useful, five about one half
    assert verdicts.disagreement_bound(2) == pytest.approx(0.95)
    assert verdicts.disagreement_bound(5) == pytest.approx(0.5271, abs=1e-4)
    assert (1 - verdicts.disagreement_bound(10)) ** 9 == pytest.approx(0.05)


def test_labels_show_the_count_and_provisional():
    three = verdicts.verdict("full", [rep([0.5])] * 3)
    assert verdicts.label(three).endswith("x3 (provisional)")
    five = verdicts.verdict("full", [rep([0.5])] * 5)
    assert verdicts.label(five) == f"bitwise {verdicts.fingerprint([0.5])} x5"
    racy = verdicts.verdict("full", [rep([0.5])] * 5, verdicts.minimum_processes("keras2", "tensorflow"))
    assert racy.provisional and racy.minimum == 10
