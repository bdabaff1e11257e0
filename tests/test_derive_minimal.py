"""Minimal recipes from records: the weakest recipe of the ladder that qualifies, per machine."""
from harness.derive.minimal import minimal_recipes
from support import load, write_environment, write_record


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
