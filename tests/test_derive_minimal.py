"""Minimal recipes from records: the weakest recipe of the ladder that qualifies, per machine."""
import shutil
from pathlib import Path

from harness.derive.minimal import minimal_recipes
from support import load, write_environment, write_record

DATA = Path(__file__).parent / "data"


def answers(results):
    return [(m.machine, m.cell, m.bitwise, m.six_digits) for m in minimal_recipes(load(results)[1])]


def test_weakest_qualifying_recipe_in_ladder_order(tmp_path):
    write_record(tmp_path, "x", "strict", [[0.5]] * 2)                        # bitwise
    write_record(tmp_path, "x", "full", [[0.5]] * 2)                          # bitwise
    write_record(tmp_path, "x", "tutorial", [[0.5], [0.5 * (1 + 2e-8)]])      # 7 digits
    write_record(tmp_path, "x", "numpy", [[0.5], [0.5 * (1 + 2e-6)]])         # 5 digits
    write_record(tmp_path, "x", "none", [[0.1], [0.2]])                       # diverged
    write_record(tmp_path, "y", "none", [[0.1], [0.3]])
    write_record(tmp_path, "y", "strict", [[0.5], [0.5]], statuses=["ok", "crashed"])
    write_record(tmp_path, "z", "none", [[0.5], [0.5]])                       # unseeded yet bitwise
    write_record(tmp_path, "w", "numpy", [[0.5]])                             # one replay proves nothing
    write_record(tmp_path, "w", "full", [[0.5], [0.5 * (1 + 2e-7)]])          # 6 digits
    assert answers(tmp_path) == [("m", "w", None, "full"), ("m", "x", "full", "tutorial"),
                                 ("m", "y", None, None), ("m", "z", "none", "none")]


def test_records_are_the_evidence(tmp_path):
    write_record(tmp_path, "x", "numpy", [[0.5], [0.5 * (1 + 2e-7)]])
    write_record(tmp_path, "x", "tutorial", [[0.5], [0.5]])
    (m,) = minimal_recipes(load(tmp_path)[1])
    assert m.six_digits == "numpy" and m.six_digits_record == "records/m/x/canonical_mlp/numpy.json"
    assert m.bitwise_record == "records/m/x/canonical_mlp/tutorial.json"


def test_empty_and_failed_environments(tmp_path):
    assert minimal_recipes([]) == []
    write_environment(tmp_path, "gone", status="install-failed", recipes=("none", "full"))
    write_record(tmp_path, "gone", "full", [[0.5], [0.5]])   # older record of a cell that no longer installs
    assert answers(tmp_path) == [("m", "gone", None, None)]


def test_answers_are_per_machine(tmp_path):
    write_record(tmp_path, "x", "numpy", [[0.5], [0.5]], machine="m1")
    write_record(tmp_path, "x", "numpy", [[0.5], [0.6]], machine="m2")
    write_record(tmp_path, "x", "full", [[0.5], [0.5]], machine="m2")
    assert answers(tmp_path) == [("m1", "x", "numpy", "numpy"), ("m2", "x", "full", "full")]


def test_a_bitwise_recipe_below_one_that_is_not_is_not_the_answer(tmp_path):
    write_record(tmp_path, "x", "none", [[0.5]] * 3)                          # bitwise by chance
    write_record(tmp_path, "x", "numpy", [[0.5], [0.5 * (1 + 2e-5)], [0.5]])  # 4 digits
    write_record(tmp_path, "x", "tutorial", [[0.5]] * 3)                      # bitwise
    write_record(tmp_path, "x", "full", [[0.5]] * 3)
    write_record(tmp_path, "x", "strict", [[0.5]] * 3)
    (m,) = minimal_recipes(load(tmp_path)[1])
    assert (m.bitwise, m.monotone) == ("tutorial", False)
    assert m.bitwise_ladder.stray == ("none",)
    assert [recipe for recipe, _ in m.bitwise_ladder.breaks] == ["numpy"]
    assert m.bitwise_text() == "tutorial (provisional; not monotone: none bitwise, numpy not)"
    assert m.bitwise_record == "records/m/x/canonical_mlp/tutorial.json"
    # numpy's 4 digits break the 6-digit question too, so `none` does not answer it either
    assert m.six_digits_text() == "tutorial (not monotone: none at 6 digits, numpy not)"


def test_no_answer_when_the_strongest_recipe_is_not_bitwise(tmp_path):
    write_record(tmp_path, "x", "none", [[0.1], [0.2]])
    write_record(tmp_path, "x", "tutorial", [[0.5]] * 2)
    write_record(tmp_path, "x", "full", [[0.5]] * 2)
    write_record(tmp_path, "x", "strict", [[0.5], [0.5]], statuses=["ok", "crashed"])
    (m,) = minimal_recipes(load(tmp_path)[1])
    assert m.bitwise is None and m.bitwise_record == ""
    assert m.bitwise_ladder.stray == ("tutorial", "full")
    assert m.bitwise_text() == "— (not monotone: tutorial, full bitwise, strict not)"


def test_recipes_not_applicable_or_not_run_neither_qualify_nor_break(tmp_path):
    write_record(tmp_path, "x", "none", [[0.5]] * 2)
    write_record(tmp_path, "x", "full", [[0.5]] * 2)
    write_record(tmp_path, "x", "strict", [[0.5]] * 2, statuses=["not-applicable"] * 2)
    (m,) = minimal_recipes(load(tmp_path)[1])
    assert (m.bitwise, m.monotone, m.bitwise_text()) == ("none", True, "none (provisional)")


def _real_ladder(tmp_path):
    """The committed records of TF 1.1 `dropout_seeded` on dc84521ea4 (tests/data/tf11-dropout-seeded),
    copied into a results tree of the test's own."""
    results = tmp_path / "results"
    shutil.copytree(DATA / "tf11-dropout-seeded", results, ignore=shutil.ignore_patterns("README.md"))
    return results


def test_real_tf11_dropout_seeded_is_strict_and_not_monotone(tmp_path):
    results = _real_ladder(tmp_path)
    found = load(results)[1]
    assert {o.recipe: o.verdict.name for o in found} == {
        "none": "bitwise", "numpy": "agrees", "tutorial": "agrees", "full": "agrees", "strict": "bitwise"}
    (m,) = minimal_recipes(found)
    assert m.bitwise == "strict" and not m.monotone
    assert m.bitwise_text() == "strict (provisional; not monotone: none bitwise, numpy, tutorial, full not)"


def test_real_ladder_in_the_command_the_matrix_and_the_scenarios_summary(tmp_path, capsys):
    from harness import cli
    from harness.report import scenarios, tables
    results = _real_ladder(tmp_path)
    assert cli.main(["--results", str(results), "minimal"]) == 0
    out = capsys.readouterr().out
    assert "| strict (provisional; not monotone: none bitwise, numpy, tutorial, full not) |" in out
    assert "1 of 1 ladder(s) not monotone" in out
    rs, found = load(results)
    headers, rows, _ = tables.matrix_rows(found)
    assert rows[0][headers.index("minimal_bitwise")] == \
        "strict (provisional; not monotone: none bitwise, numpy, tutorial, full not)"
    summary = scenarios.pages(rs, found)[scenarios.SUMMARY_PAGE]
    assert "| strict (not monotone: none bitwise, numpy, tutorial, full not) |" in summary


def test_an_answer_resting_on_too_few_processes_says_provisional():
    from harness.derive import minimal, verdicts
    from harness.derive.outcomes import Outcome

    def outcome(recipe, count):
        found = verdicts.verdict(recipe, [{"status": "ok", "values": [0.5]}] * count)
        return Outcome("m", {"name": "c"}, "s", recipe, found, (0.5,), "r", None, False, True, count,
                       {}, None, None, None, None)
    few = minimal.ladder([outcome("full", 3), outcome("strict", 5)], minimal._bitwise)
    assert few.recipe == "full" and few.text("bitwise") == "full (provisional)"
    enough = minimal.ladder([outcome("full", 5), outcome("strict", 5)], minimal._bitwise)
    assert enough.text("bitwise") == "full"
