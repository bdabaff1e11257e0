"""The minimal recipe: for each cell and scenario, the weakest seeding recipe that is enough.

The recipes form a ladder, weakest first: none < numpy < tutorial < full < strict. Two questions
per (cell, scenario):
  * minimal_bitwise: the weakest recipe whose replays (fresh processes) are bitwise identical
    (verdict "bitwise");
  * minimal_6_digits: the weakest recipe whose replays agree to at least 6 significant digits
    (digits >= 6 with verdict "agrees" or "bitwise"; a single replay does not count).
The ladder is read as given by the recipes present; a recipe that failed or was not run simply
does not qualify. "—" means no recipe qualifies.
"""
from __future__ import annotations

import pandas as pd

from .. import tables
from ..matrix import recipe_rank

MIN_DIGITS = 6
NONE = "—"
COLUMNS = ["cell", "scenario", "minimal_bitwise", "minimal_6_digits"]
RECORD_COLUMNS = ["bitwise_record", "six_digits_record"]


def _weakest(rows: pd.DataFrame, qualifies) -> tuple:
    """(recipe, record) of the weakest qualifying row, or (NONE, "")."""
    for _, row in rows.iterrows():
        if qualifies(row):
            return row["recipe"], row.get("record", "") or ""
    return NONE, ""


def _is_bitwise(row) -> bool:
    return row["verdict"] == "bitwise"


def _agrees(row) -> bool:
    """At least MIN_DIGITS across replays; a single replay ("single-run", digits 17 by
    convention) proves nothing about agreement across processes, so it does not qualify."""
    value = row["digits"]
    return (row["verdict"] in ("bitwise", "agrees") and value is not None and not pd.isna(value)
            and value >= MIN_DIGITS)


def minimal_recipes(frame: pd.DataFrame, with_records: bool = False) -> pd.DataFrame:
    """One row per (cell, scenario) of a `tables.recipe_frame`, in the frame's order.

    Columns: cell, scenario, minimal_bitwise, minimal_6_digits (a recipe name or "—"); with
    `with_records`, also bitwise_record and six_digits_record: the record that qualified."""
    columns = COLUMNS + (RECORD_COLUMNS if with_records else [])
    if frame is None or frame.empty:
        return pd.DataFrame([], columns=columns)
    rows = []
    for (cell, scenario), group in frame.groupby(["cell", "scenario"], sort=False):
        group = group.assign(_rank=group["recipe"].map(recipe_rank)).sort_values("_rank", kind="stable")
        bitwise, bitwise_record = _weakest(group, _is_bitwise)
        six, six_record = _weakest(group, _agrees)
        row = {"cell": cell, "scenario": scenario, "minimal_bitwise": bitwise, "minimal_6_digits": six}
        if with_records:
            row.update(bitwise_record=bitwise_record, six_digits_record=six_record)
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def minimal_from_results(results, with_records: bool = True) -> pd.DataFrame:
    """`minimal_recipes` of the records under a results directory."""
    return minimal_recipes(tables.recipe_frame(results), with_records=with_records)
