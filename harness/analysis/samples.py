"""Value lists taken from the records, with the record each list came from (the evidence).

Two views of the same records:
  * `seeded_samples`: one list per (cell, scenario, recipe): the values of the FIRST ok replay,
    which is what cross-environment agreement compares (every replay of a bitwise cell is the
    same list, and for other cells the first one is as good a representative as any);
  * `unseeded_pools`: every unseeded value of a (cell, scenario): all ok replays of recipe
    "none" plus the replays of the "repeats" record written by `harness stats`.

Cells whose latest environment record is an install failure are skipped here, as in
`tables.recipe_frame`, and reported as failures instead.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from .. import records, tables
from ..matrix import recipe_rank

REPEATS_KIND = "repeats"
UNSEEDED = "none"


@dataclasses.dataclass(frozen=True)
class Sample:
    """One list of values and where it came from."""

    cell: str
    scenario: str
    recipe: str
    values: tuple
    record: str          # path relative to the results directory
    order: tuple         # tables.cell_sort_key of the cell: matrix-like ordering


@dataclasses.dataclass(frozen=True)
class Failure:
    """A (cell, scenario, recipe) with no usable values, and why."""

    cell: str
    scenario: str
    recipe: str
    status: str
    record: str
    order: tuple


def repeats_path(results: Path, cell: str, scenario: str) -> Path:
    """Where the extra unseeded replays of a (cell, scenario) are recorded."""
    return records.records_dir(results) / cell / scenario / f"{REPEATS_KIND}.json"


def ok_replays(record: dict) -> list:
    return [r for r in record.get("replays", []) if r.get("status") == "ok" and r.get("values")]


def first_failure_status(record: dict) -> str:
    statuses = [r.get("status", "bad-result") for r in record.get("replays", []) if r.get("status") != "ok"]
    return statuses[0] if statuses else "not-run"


def seeded_samples(results: Path, recipes=None) -> tuple:
    """(samples, failures) for every replay record, optionally only some recipes.

    Sorted by scenario, recipe and cell order so that everything built on them is stable."""
    results = Path(results)
    broken = tables.failed_environments(results)
    samples, failures = [], []
    for record in records.load_all(results, "replays"):
        if recipes is not None and record["recipe"] not in recipes:
            continue
        cell, scenario = record["cell"], record["scenario"]["name"]
        order = tables.cell_sort_key(cell)
        if cell["name"] in broken:
            continue
        good = ok_replays(record)
        if good:
            samples.append(Sample(cell["name"], scenario, record["recipe"],
                                  tuple(good[0]["values"]), record["_path"], order))
        else:
            failures.append(Failure(cell["name"], scenario, record["recipe"],
                                    first_failure_status(record), record["_path"], order))
    for name, env_record in sorted(broken.items()):
        cell = env_record["cell"]
        for scenario in cell.get("scenarios", []):
            for recipe in cell.get("recipes", []):
                if recipes is None or recipe in recipes:
                    failures.append(Failure(name, scenario, recipe, "install-failed",
                                            env_record["_path"], tables.cell_sort_key(cell)))
    key = lambda s: (s.scenario, recipe_rank(s.recipe), s.order)
    return sorted(samples, key=key), sorted(failures, key=key)


@dataclasses.dataclass(frozen=True)
class Pool:
    """Every unseeded value of one (cell, scenario) and the records they came from."""

    cell: str
    scenario: str
    values: tuple
    records: tuple
    order: tuple
    cell_def: dict = dataclasses.field(compare=False, hash=False, default=None)


def unseeded_pools(results: Path) -> tuple:
    """(pools, failures): pooled unseeded values per (cell, scenario), in cell order.

    A repeats record is pooled only when it was made with the same scenario file (sha256) as
    the "none" record, so a changed scenario never mixes two distributions."""
    results = Path(results)
    broken = tables.failed_environments(results)
    base, extra = {}, {}
    for record in records.load_all(results, "replays"):
        if record["recipe"] == UNSEEDED and record["cell"]["name"] not in broken:
            base[(record["cell"]["name"], record["scenario"]["name"])] = record
    for record in records.load_all(results, REPEATS_KIND):
        if record["cell"]["name"] not in broken:
            extra[(record["cell"]["name"], record["scenario"]["name"])] = record
    pools, failures = [], []
    for key in sorted(set(base) | set(extra)):
        found = [r for r in (base.get(key), extra.get(key)) if r is not None]
        if key in base and key in extra and extra[key]["scenario"]["sha256"] != base[key]["scenario"]["sha256"]:
            found = [base[key]]
        values = tuple(v for r in found for replay in ok_replays(r) for v in replay["values"])
        cell = found[0]["cell"]
        if values:
            pools.append(Pool(key[0], key[1], values, tuple(r["_path"] for r in found),
                              tables.cell_sort_key(cell), cell))
        else:
            failures.append(Failure(key[0], key[1], UNSEEDED, first_failure_status(found[0]),
                                    found[0]["_path"], tables.cell_sort_key(cell)))
    for name, env_record in sorted(broken.items()):
        for scenario in env_record["cell"].get("scenarios", []):
            failures.append(Failure(name, scenario, UNSEEDED, "install-failed", env_record["_path"],
                                    tables.cell_sort_key(env_record["cell"])))
    key = lambda p: (p.scenario, p.order)
    return sorted(pools, key=key), sorted(failures, key=key)
