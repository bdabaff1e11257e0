"""The scenario dimension: what each scenario's records declare, the weakest bitwise recipe of
every (machine, cell, scenario), and the comparison of two scenarios that differ in one setting.

Pure functions over outcomes (derive.outcomes) and the replays of records; nothing is read from
disk or printed. The metric and the repeat count come from the records themselves (the worker
writes them into every contract-2 replay), never from constants or the scenario files.
"""
from __future__ import annotations

import dataclasses

from ..matrix import RECIPES, recipe_rank
from . import verdicts
from .minimal import minimal_recipes

# A pair of scenarios that share model, data and training and differ in one setting.
THREAD_PAIR = ("threads_one", "threads_all")


@dataclasses.dataclass(frozen=True)
class Declared:
    """What the records of one scenario say about it (several values: several versions)."""

    scenario: str
    metrics: tuple        # distinct recorded metric names, first seen first (empty: none recorded)
    repeats: tuple        # distinct repeat counts: recorded, else counted from the values
    contracts: tuple      # distinct scenario contracts recorded
    sha256s: tuple        # distinct scenario file hashes
    records: int


def declared(records) -> dict:
    """{scenario: Declared} from recipe records (objects with .scenario, .scenario_sha256 and
    .replays, as store.resultset.RecipeRecord)."""
    seen = {}
    for record in records:
        entry = seen.setdefault(record.scenario, {"metrics": {}, "repeats": {}, "contracts": {},
                                                  "sha": {}, "records": 0})
        entry["records"] += 1
        if record.scenario_sha256:
            entry["sha"][record.scenario_sha256] = None
        for replay in record.replays:
            if not isinstance(replay, dict):
                continue
            metric = replay.get("metric")
            if isinstance(metric, str) and metric:
                entry["metrics"][metric] = None
            repeats = replay.get("repeats")
            if not _is_count(repeats) and replay.get("status") == "ok" and isinstance(replay.get("values"), list):
                repeats = len(replay["values"])
            if _is_count(repeats):
                entry["repeats"][repeats] = None
            if _is_count(replay.get("contract")):
                entry["contracts"][replay["contract"]] = None
    return {name: Declared(name, tuple(e["metrics"]), tuple(sorted(e["repeats"])),
                           tuple(sorted(e["contracts"])), tuple(e["sha"]), e["records"])
            for name, e in seen.items()}


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


@dataclasses.dataclass(frozen=True)
class Entry:
    """The answer for one (machine, cell, scenario): the weakest recipe that is bitwise."""

    machine: str
    cell: str
    scenario: str
    kind: str             # bitwise | never | not-applicable | failed
    recipe: str | None    # the weakest bitwise recipe (kind bitwise)
    recipes: tuple        # the recipes with an outcome, weakest first
    reason: str = ""      # not-applicable: the scenario's reason; failed: the first failure
    record: str = ""      # the record that qualified (kind bitwise)
    note: str = ""        # "not monotone: none bitwise, numpy, full not" where the ladder is not

    @property
    def text(self) -> str:
        return self._answer + (f" ({self.note})" if self.note else "")

    @property
    def _answer(self) -> str:
        if self.kind == "bitwise":
            return self.recipe
        if self.kind == "never" and not set(RECIPES) <= set(self.recipes):
            return f"none of {len(self.recipes)} run"     # the ladder was not run to its end
        return {"never": "never", "not-applicable": "n/a", "failed": "failed"}[self.kind]


def entries(found: list) -> list:
    """One Entry per (machine, cell, scenario) of the outcomes, in their order."""
    groups = {}
    for outcome in found:
        groups.setdefault((outcome.machine, outcome.cell_name, outcome.scenario), []).append(outcome)
    minimal = {(m.machine, m.cell, m.scenario): m for m in minimal_recipes(found)}
    answers = []
    for key, members in groups.items():
        members = sorted(members, key=lambda o: recipe_rank(o.recipe))
        recipes = tuple(o.recipe for o in members)
        best = minimal.get(key)
        note = best.bitwise_ladder.note("bitwise") if best is not None else ""
        if best is not None and best.bitwise:
            answers.append(Entry(*key, "bitwise", best.bitwise, recipes, record=best.bitwise_record,
                                 note=note))
        elif all(o.verdict.name == verdicts.NOT_APPLICABLE for o in members):
            answers.append(Entry(*key, "not-applicable", None, recipes, members[0].verdict.error))
        elif not any(o.verdict.has_values for o in members):
            failed = next(o for o in members if o.verdict.name != verdicts.NOT_APPLICABLE)
            answers.append(Entry(*key, "failed", None, recipes,
                                 f"{failed.recipe}: {failed.verdict.name}: {failed.verdict.error}".rstrip(": ")))
        else:
            answers.append(Entry(*key, "never", None, recipes, note=note))
    return answers


@dataclasses.dataclass(frozen=True)
class PairItem:
    """Two scenarios of one (machine, cell, recipe) compared: do they give the same numbers?"""

    machine: str
    cell: str
    recipe: str
    kind: str             # same | differ | not-repeatable | not-applicable | missing
    digits: int | None    # agreement between the two scenarios' first ok lists (17: identical)
    first: str            # the first scenario's verdict label
    second: str           # the second scenario's verdict label


def compare_pair(found: list, pair: tuple = THREAD_PAIR) -> list:
    """For every (machine, cell, recipe) with an outcome of both scenarios of `pair`: `same` when
    both are bitwise with one fingerprint, `differ` when both are bitwise with different ones
    (digits say how far they agree), `not-repeatable` when either is not bitwise itself,
    `not-applicable` when either declined the cell, `missing` when either has no values."""
    first, second = pair
    by_key = {}
    for outcome in found:
        if outcome.scenario in pair:
            by_key.setdefault((outcome.machine, outcome.cell_name, outcome.recipe), {})[outcome.scenario] = outcome
    items = []
    for (machine, cell, recipe), both in by_key.items():
        if first not in both or second not in both:
            continue
        a, b = both[first], both[second]
        labels = (verdicts.label(a.verdict), verdicts.label(b.verdict))
        digits = verdicts.list_digits(a.values, b.values) if a.values and b.values else None
        if verdicts.NOT_APPLICABLE in (a.verdict.name, b.verdict.name):
            kind = "not-applicable"
        elif digits is None:
            kind = "missing"
        elif a.verdict.name == b.verdict.name == "bitwise":
            kind = "same" if a.verdict.fingerprints == b.verdict.fingerprints else "differ"
        else:
            kind = "not-repeatable"
        items.append(PairItem(machine, cell, recipe, kind, digits, *labels))
    return sorted(items, key=lambda i: (i.machine, i.cell, recipe_rank(i.recipe)))
