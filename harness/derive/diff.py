"""Comparing two result sets: what a change to the matrix, a dependency or the machine did.

What counts as a change (and makes `harness diff` exit 1, so that CI can fail or comment):
  * a cell present on one side only (added or removed), or a (machine, cell, scenario, recipe)
    row present on one side only;
  * a verdict that changed (e.g. bitwise -> agrees, or ok -> crashed);
  * a fingerprint that changed where both sides are bitwise. Non-bitwise rows have a new set
    of fingerprints on every run by definition, so their fingerprints are not compared.
For every changed row the first repeat whose value differs is given, old vs new (values of the
first ok replay of each side).
"""
from __future__ import annotations

import dataclasses

from . import verdicts
from .outcomes import sort_key


@dataclasses.dataclass(frozen=True)
class Change:
    machine: str
    cell: str
    scenario: str
    recipe: str
    old: str               # verdict label, e.g. "bitwise 1a2b3c4d"
    new: str
    first_difference: int | None
    old_value: float | None
    new_value: float | None
    old_record: str
    new_record: str
    scenario_changed: bool
    old_verdict: str = ""  # verdict names, e.g. "bitwise", "agrees"
    new_verdict: str = ""


@dataclasses.dataclass(frozen=True)
class Row:
    machine: str
    cell: str
    scenario: str
    recipe: str
    label: str
    record: str


@dataclasses.dataclass
class Report:
    old_label: str
    new_label: str
    added_cells: list
    removed_cells: list
    added_rows: list       # Rows
    removed_rows: list
    changes: list

    @property
    def bitwise_lost(self) -> list:
        """Changes of a row that was bitwise and is not any more."""
        return [c for c in self.changes if c.old_verdict == "bitwise" and c.new_verdict != "bitwise"]

    @property
    def changed(self) -> bool:
        return bool(self.added_cells or self.removed_cells or self.added_rows
                    or self.removed_rows or self.changes)


def _key(outcome) -> tuple:
    return (outcome.machine, outcome.cell_name, outcome.scenario, outcome.recipe)


def _is_change(old, new) -> bool:
    if old.verdict.name != new.verdict.name:
        return True
    return old.verdict.name == "bitwise" and old.verdict.fingerprints != new.verdict.fingerprints


def _row(outcome) -> Row:
    return Row(*_key(outcome), verdicts.label(outcome.verdict), outcome.record)


def compare(old: list, new: list, old_label: str, new_label: str) -> Report:
    """A Report of what differs between two lists of outcomes (derive.outcomes)."""
    before = {_key(o): o for o in old}
    after = {_key(o): o for o in new}
    old_cells, new_cells = {k[1] for k in before}, {k[1] for k in after}
    changes = []
    for key in sorted(set(before) & set(after), key=lambda k: sort_key(after[k])):
        a, b = before[key], after[key]
        if not _is_change(a, b):
            continue
        index = old_value = new_value = None
        if a.values is not None and b.values is not None:
            index = verdicts.first_difference(a.values, b.values)
            if index is not None:
                old_value = a.values[index] if index < len(a.values) else None
                new_value = b.values[index] if index < len(b.values) else None
        changes.append(Change(*key, verdicts.label(a.verdict), verdicts.label(b.verdict), index,
                              old_value, new_value, a.record, b.record,
                              bool(a.scenario_sha256 and b.scenario_sha256
                                   and a.scenario_sha256 != b.scenario_sha256),
                              a.verdict.name, b.verdict.name))
    added_cells = sorted(new_cells - old_cells)
    removed_cells = sorted(old_cells - new_cells)
    added = [_row(after[k]) for k in after if k not in before and k[1] not in added_cells]
    removed = [_row(before[k]) for k in before if k not in after and k[1] not in removed_cells]
    return Report(old_label, new_label, added_cells, removed_cells, added, removed, changes)
