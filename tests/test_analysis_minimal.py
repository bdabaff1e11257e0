"""Minimal recipes from hand-made frames and from records."""
import pandas as pd

from harness import tables
from harness.analysis import minimal_recipes

from test_analysis_support import write_environment, write_record


def frame(rows):
    return pd.DataFrame([dict(zip(["cell", "scenario", "recipe", "verdict", "digits", "record"], r))
                         for r in rows])


def test_weakest_qualifying_recipe_in_ladder_order_whatever_the_row_order():
    got = minimal_recipes(frame([
        ("x", "s", "full", "bitwise", 17, "rx/full"),
        ("x", "s", "none", "diverged", 1, "rx/none"),
        ("x", "s", "tutorial", "agrees", 7, "rx/tutorial"),
        ("x", "s", "numpy", "agrees", 5, "rx/numpy"),
        ("x", "s", "strict", "bitwise", 17, "rx/strict"),
        ("y", "s", "none", "diverged", 0, "ry/none"),
        ("y", "s", "strict", "crashed", None, "ry/strict"),
        ("z", "s", "none", "bitwise", 17, "rz/none"),
        ("w", "s", "numpy", "single-run", 17, "rw/numpy"),     # one replay proves nothing
        ("w", "s", "full", "agrees", 6, "rw/full"),
    ]))
    assert list(got.columns) == ["cell", "scenario", "minimal_bitwise", "minimal_6_digits"]
    assert got.values.tolist() == [["x", "s", "full", "tutorial"], ["y", "s", "—", "—"],
                                   ["z", "s", "none", "none"], ["w", "s", "—", "full"]]


def test_records_column_is_the_evidence():
    got = minimal_recipes(frame([("x", "s", "numpy", "agrees", 6, "rx/numpy"),
                                 ("x", "s", "tutorial", "bitwise", 17, "rx/tutorial")]), with_records=True)
    assert got.loc[0, "minimal_6_digits"] == "numpy" and got.loc[0, "six_digits_record"] == "rx/numpy"
    assert got.loc[0, "bitwise_record"] == "rx/tutorial"


def test_empty_frame_gives_empty_result():
    got = minimal_recipes(pd.DataFrame())
    assert got.empty and list(got.columns) == ["cell", "scenario", "minimal_bitwise", "minimal_6_digits"]


def test_from_records_with_failures(tmp_path):
    write_record(tmp_path, "k", "none", [[0.1], [0.2], [0.3]])            # diverged
    write_record(tmp_path, "k", "numpy", [[0.5], [0.5000001], [0.5]])     # 6 digits
    write_record(tmp_path, "k", "full", [[0.5], [0.5], [0.5]])            # bitwise
    write_record(tmp_path, "k", "strict", [[0.5], [0.5]], statuses=["ok", "crashed"])
    write_environment(tmp_path, "gone", status="install-failed", recipes=("none", "full"))
    got = minimal_recipes(tables.recipe_frame(tmp_path))
    assert got.values.tolist() == [["gone", "canonical_mlp", "—", "—"],     # cells sorted by name
                                   ["k", "canonical_mlp", "full", "numpy"]]
