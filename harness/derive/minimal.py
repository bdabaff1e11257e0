"""The minimal recipe: for each machine, cell and scenario, the weakest seeding recipe that is enough.

The recipes form a ladder, weakest first: none < numpy < tutorial < full < strict < portable. Two questions
per (machine, cell, scenario):
  * bitwise: the weakest recipe such that it AND every stronger recipe run are bitwise (fresh
    processes gave identical doubles);
  * six_digits: the weakest recipe such that it and every stronger recipe run agree to at least
    6 significant digits (verdict "agrees" or "bitwise"; a single replay proves nothing).

"Enough" must mean that seeding more does not lose the property, so the answer is monotone: a
recipe that qualified by chance below a stronger recipe that does not (Keras 2.0.3 + TF 1.1,
`dropout_seeded`: `none` bitwise, `numpy`..`full` not) is not the answer. Such a ladder is not
monotone and says so: `breaks` names the stronger recipes that fail the property, `stray` the
qualifying recipes below them. A stronger recipe that was not run, or that declared the scenario
not applicable, neither qualifies nor breaks; one that failed (crashed, timed out, ...) or ran
once breaks, since it is not shown to qualify. None means no recipe qualifies monotonically.
"""
from __future__ import annotations

import dataclasses

from ..matrix import recipe_rank
from . import verdicts

MIN_DIGITS = 6


@dataclasses.dataclass(frozen=True)
class Ladder:
    """The monotone answer to one question over one (machine, cell, scenario)'s ladder."""

    recipe: str | None    # the weakest recipe from which every stronger one qualifies
    record: str           # its record ("" when None)
    stray: tuple = ()     # recipes that qualify below a recipe that does not (weakest first)
    breaks: tuple = ()    # (recipe, verdict label) of the recipes above a stray one that do not
    provisional: bool = False   # a bitwise verdict it rests on has fewer processes than its minimum

    @property
    def monotone(self) -> bool:
        return not self.breaks

    def text(self, word: str, none: str = "—") -> str:
        """'full', '—', or with the note: 'strict (not monotone: none bitwise, numpy, full not)'."""
        notes = (["provisional"] if self.recipe and self.provisional else []) + \
            ([self.note(word)] if not self.monotone else [])
        answer = self.recipe or none
        return f"{answer} ({'; '.join(notes)})" if notes else answer

    def note(self, word: str) -> str:
        """'not monotone: none bitwise, numpy, full not' ('' when monotone); `word` says what
        the stray recipes are (bitwise, agree to 6 digits)."""
        if self.monotone:
            return ""
        return f"not monotone: {', '.join(self.stray)} {word}, {', '.join(r for r, _ in self.breaks)} not"


@dataclasses.dataclass(frozen=True)
class Minimal:
    machine: str
    cell: str
    scenario: str
    bitwise: str | None
    bitwise_record: str
    six_digits: str | None
    six_digits_record: str
    bitwise_ladder: Ladder = Ladder(None, "")
    six_digits_ladder: Ladder = Ladder(None, "")

    @property
    def monotone(self) -> bool:
        return self.bitwise_ladder.monotone

    def bitwise_text(self, none: str = "—") -> str:
        """The bitwise answer, with the not-monotone note where the ladder is not monotone."""
        return self.bitwise_ladder.text("bitwise", none)

    def six_digits_text(self, none: str = "—") -> str:
        return self.six_digits_ladder.text("at 6 digits", none)


def _bitwise(outcome) -> bool:
    return outcome.verdict.name == "bitwise"


def _agrees(outcome) -> bool:
    result = outcome.verdict
    return result.name in ("bitwise", "agrees") and result.digits is not None \
        and result.digits >= MIN_DIGITS


def _neutral(outcome) -> bool:
    """Neither qualifies nor breaks: the scenario does not apply to this recipe, or it was not run."""
    return outcome.verdict.name in (verdicts.NOT_APPLICABLE, "not-run")


def ladder(members: list, qualifies) -> Ladder:
    """The monotone answer over outcomes of one (machine, cell, scenario), weakest first."""
    answer, provisional = None, False
    for outcome in reversed(members):         # from the strongest down, while each qualifies
        if _neutral(outcome):
            continue
        if not qualifies(outcome):
            break
        answer = outcome
        provisional = provisional or (qualifies is _bitwise and outcome.verdict.provisional)
    rank = recipe_rank(answer.recipe) if answer else None
    weaker = [o for o in members if not _neutral(o) and (rank is None or recipe_rank(o.recipe) < rank)]
    stray = [o for o in weaker if qualifies(o)]
    breaks = ()
    if stray:
        first = recipe_rank(stray[0].recipe)
        breaks = tuple((o.recipe, verdicts.label(o.verdict)) for o in weaker
                       if recipe_rank(o.recipe) > first and not qualifies(o))
    return Ladder(answer.recipe if answer else None, answer.record if answer else "",
                  tuple(o.recipe for o in stray), breaks, provisional)


def minimal_recipes(found: list) -> list:
    """One Minimal per (machine, cell, scenario) of the outcomes, in their order."""
    groups = {}
    for outcome in found:
        groups.setdefault((outcome.machine, outcome.cell_name, outcome.scenario), []).append(outcome)
    answers = []
    for (machine, cell, scenario), members in groups.items():
        members = sorted(members, key=lambda o: recipe_rank(o.recipe))
        bitwise, six = ladder(members, _bitwise), ladder(members, _agrees)
        answers.append(Minimal(machine, cell, scenario, bitwise.recipe, bitwise.record,
                               six.recipe, six.record, bitwise, six))
    return answers
