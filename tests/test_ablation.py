"""Leave-one-out ablation with real worker processes on a numpy-only cell: the recipe `full`
needs numpy.random.seed (the scenario draws from numpy) and not random.seed or PYTHONHASHSEED."""
import pytest

from conftest import TEST_SCENARIOS, plain_cell
from harness.derive import ablation
from harness.ops import ablate, run
from harness.report import ablation as ablation_report
from harness.store import machines, records
from harness.store.resultset import ResultSet
from harness.derive import outcomes


def test_items_of_recorded_calls():
    found = ablation.items(["env PYTHONHASHSEED=0", "random.seed(1)", "numpy.random.seed(1)",
                            "env OMP_NUM_THREADS=1 MKL_NUM_THREADS=1"])
    assert [i.prefixes for i in found] == [("env PYTHONHASHSEED",), ("random.seed(",),
                                            ("numpy.random.seed(",), ("env OMP_NUM_THREADS", "env MKL_NUM_THREADS")]
    assert len({i.slug for i in found}) == 4 and all(records.SAFE_NAME.match(i.slug) for i in found)


def test_the_target_is_the_weakest_recipe_with_every_stronger_one_bitwise():
    from harness.derive.verdicts import Verdict
    bit, no = Verdict("bitwise", 17, ("a",), processes=5), Verdict("agrees", 6, ("a", "b"))
    assert ablation.target_recipe({"numpy": bit, "tutorial": no, "full": bit, "strict": bit}) == "full"
    assert ablation.target_recipe({"numpy": bit, "tutorial": bit, "full": bit, "strict": bit}) == "numpy"
    assert ablation.target_recipe({"numpy": no, "full": no}) is None


@pytest.mark.e2e
def test_ablation_finds_the_one_needed_call_and_is_current_afterwards(tmp_path):
    envs = tmp_path / "envs"
    cell = plain_cell("ablated", recipes=("full", "strict"), replays=3)
    run.run_cells([cell], tmp_path, envs, run.Options(scenarios_dir=TEST_SCENARIOS),
                  display=run.EchoDisplay(lambda *_: None))
    said = []
    found = ablate.ablate(cell, tmp_path, envs, ["numpy_draw"], processes=5, scenarios_dir=TEST_SCENARIOS,
                          echo=said.append)
    (scenario, recipe, base, rows), = found
    assert recipe == "full" and base.name == "bitwise"
    judged = {item.label: ablation.judge(base, v) for item, v in rows}
    assert judged == {"env PYTHONHASHSEED=0": "not needed", "random.seed(1)": "not needed",
                      "numpy.random.seed(1)": "needed"}
    without_numpy = next(v for item, v in rows if item.label.startswith("numpy"))
    assert without_numpy.processes == 2      # unseeded draws differ at once: stopped early
    rs = ResultSet.load(tmp_path)
    table = ablation_report.markdown(ablation_report.rows_from(rs, outcomes.outcomes(rs)))
    assert "needs `numpy.random.seed(1)`; does without `env PYTHONHASHSEED=0`, `random.seed(1)`" in table
    # a second ablation is current: no process runs, no file changes
    before = {p: p.read_bytes() for p in tmp_path.rglob("ablation/*.json")}
    ablate.ablate(cell, tmp_path, envs, ["numpy_draw"], processes=5, scenarios_dir=TEST_SCENARIOS,
                  echo=said.append)
    assert {p: p.read_bytes() for p in tmp_path.rglob("ablation/*.json")} == before
    assert len(before) == 3 and machines.this_machine() in str(next(iter(before)))


def test_the_summary_row_sorts_each_call_by_its_judgement():
    from harness.derive.verdicts import Verdict
    base = Verdict("bitwise", 17, ("aaaa1111",), processes=5)
    items = [("numpy.random.seed(1)", Verdict("diverged", 0, ("a", "b"), processes=2), "needed"),
             ("tf.random.set_seed(2)", Verdict("bitwise", 17, ("bbbb2222",), processes=5), "changes the numbers"),
             ("random.seed(1)", Verdict("bitwise", 17, ("aaaa1111",), processes=5), "not needed"),
             ("env PYTHONHASHSEED=0", Verdict("bitwise", 17, ("aaaa1111",), processes=3), "provisional")]
    row = ablation_report.summary_row("m1", "cellA", "shuffle", "full", base, items)
    assert row == ["`cellA`", "shuffle", "`full` (bitwise aaaa1111 x5)",
                   "`numpy.random.seed(1)`; undecided: `env PYTHONHASHSEED=0` (provisional)",
                   "`tf.random.set_seed(2)`", "`m1`"]
    quiet = ablation_report.summary_row("m1", "cellA", "shuffle", "full", base, items[2:3])
    assert quiet[3:5] == ["none", "none"]
    table = ablation_report.markdown([("m1", "cellA", "shuffle", "full", base, items)])
    assert "| `cellA` | shuffle | `full` (bitwise aaaa1111 x5) | `numpy.random.seed(1)`;" in table


def test_one_process_without_a_call_decides_nothing():
    """An ablation record with one process so far (a run under way, or cut short) is not 'needed'."""
    from harness.derive import verdicts
    base = verdicts.Verdict("bitwise", 17, ("aaaa1111",), processes=5)
    one = verdicts.verdict("full", [{"status": "ok", "values": [0.5], "index": 0}], 5)
    assert one.name == "single-run"
    assert ablation.judge(base, one) == "provisional"
    two = verdicts.verdict("full", [{"status": "ok", "values": [v], "index": i} for i, v in enumerate((0.5, 0.25))], 5)
    assert ablation.judge(base, two) == "needed"
