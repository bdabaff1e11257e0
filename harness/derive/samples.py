"""Value lists taken from a result set, with the record each list came from (the evidence).

Two views of the same records, per machine (cells are compared on the machine that ran them):
  * `seeded_samples`: one list per (machine, cell, scenario, recipe): the values of the FIRST ok
    replay, which is what cross-environment agreement compares;
  * `unseeded_pools`: every unseeded value of a (machine, cell, scenario): all ok replays of
    recipe "none" plus the replays of its "repeats" record (`harness stats`), the latter only
    when made with the same scenario file.
Cells whose latest environment build failed give failures, not samples.
"""
from __future__ import annotations

import dataclasses

from ..matrix import UNSEEDED, recipe_rank
from .outcomes import cell_sort_key



@dataclasses.dataclass(frozen=True)
class Sample:
    machine: str
    cell: str
    scenario: str
    recipe: str
    values: tuple
    record: str
    order: tuple


@dataclasses.dataclass(frozen=True)
class Failure:
    machine: str
    cell: str
    scenario: str
    recipe: str
    status: str
    record: str
    order: tuple


@dataclasses.dataclass(frozen=True)
class Pool:
    machine: str
    cell: str
    scenario: str
    values: tuple
    records: tuple
    order: tuple
    scenario_sha256: str | None = None   # the scenario file the values came from


def seeded_samples(found: list, recipes=None) -> tuple:
    """(samples, failures) from outcomes, sorted by machine, scenario, recipe and cell order."""
    samples, failures = [], []
    for outcome in found:
        if recipes is not None and outcome.recipe not in recipes:
            continue
        order = cell_sort_key(outcome.cell)
        if outcome.values is not None:
            samples.append(Sample(outcome.machine, outcome.cell_name, outcome.scenario, outcome.recipe,
                                  outcome.values, outcome.record, order))
        elif outcome.verdict.name != "not-applicable":
            failures.append(Failure(outcome.machine, outcome.cell_name, outcome.scenario,
                                    outcome.recipe, outcome.verdict.name, outcome.record, order))
    key = lambda s: (s.machine, s.scenario, recipe_rank(s.recipe), s.order)
    return sorted(samples, key=key), sorted(failures, key=key)


def unseeded_pools(rs, found: list) -> tuple:
    """(pools, failures): pooled unseeded values per (machine, cell, scenario)."""
    pools, failures = [], []
    for outcome in found:
        if outcome.recipe != UNSEEDED:
            continue
        order = cell_sort_key(outcome.cell)
        record = rs.recipes.get((outcome.machine, outcome.cell_name, outcome.scenario, UNSEEDED))
        extra = rs.repeats.get((outcome.machine, outcome.cell_name, outcome.scenario))
        used = [r for r in (record, extra) if r is not None]
        if record is not None and extra is not None and (extra.scenario_sha256 != record.scenario_sha256
                                                         or extra.inputs != record.inputs):
            used = [record]
        if outcome.verdict.name == "install-failed":
            used = []
        values = tuple(v for r in used for replay in r.ok_replays() for v in replay["values"])
        if values:
            pools.append(Pool(outcome.machine, outcome.cell_name, outcome.scenario, values,
                              tuple(r.path for r in used), order, outcome.scenario_sha256))
        else:
            failures.append(Failure(outcome.machine, outcome.cell_name, outcome.scenario, UNSEEDED,
                                    outcome.verdict.name, outcome.record, order))
    key = lambda p: (p.machine, p.scenario, p.order)
    return sorted(pools, key=key), sorted(failures, key=key)
