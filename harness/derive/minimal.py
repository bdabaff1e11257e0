"""The minimal recipe: for each machine, cell and scenario, the weakest seeding recipe that is enough.

The recipes form a ladder, weakest first: none < numpy < tutorial < full < strict. Two questions
per (machine, cell, scenario):
  * bitwise: the weakest recipe whose replays (fresh processes) are bitwise identical;
  * six_digits: the weakest recipe whose replays agree to at least 6 significant digits
    (verdict "agrees" or "bitwise"; a single replay proves nothing and does not qualify).
A recipe that failed or was not run does not qualify. None means no recipe qualifies.
"""
from __future__ import annotations

import dataclasses

from ..matrix import recipe_rank

MIN_DIGITS = 6


@dataclasses.dataclass(frozen=True)
class Minimal:
    machine: str
    cell: str
    scenario: str
    bitwise: str | None
    bitwise_record: str
    six_digits: str | None
    six_digits_record: str


def _agrees(outcome) -> bool:
    result = outcome.verdict
    return result.name in ("bitwise", "agrees") and result.digits is not None \
        and result.digits >= MIN_DIGITS


def minimal_recipes(found: list) -> list:
    """One Minimal per (machine, cell, scenario) of the outcomes, in their order."""
    groups = {}
    for outcome in found:
        groups.setdefault((outcome.machine, outcome.cell_name, outcome.scenario), []).append(outcome)
    answers = []
    for (machine, cell, scenario), members in groups.items():
        members = sorted(members, key=lambda o: recipe_rank(o.recipe))
        bitwise = next((o for o in members if o.verdict.name == "bitwise"), None)
        six = next((o for o in members if _agrees(o)), None)
        answers.append(Minimal(machine, cell, scenario,
                               bitwise.recipe if bitwise else None, bitwise.record if bitwise else "",
                               six.recipe if six else None, six.record if six else ""))
    return answers
