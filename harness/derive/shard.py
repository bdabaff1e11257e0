"""Shards: a deterministic, time-balanced split of the selected cells into N parts.

`harness run --shard I/N` runs part I of N, so a Slurm array, a Kubernetes Indexed Job or a CI
matrix can run the matrix side by side, each task computing the same split on its own: the split
depends only on the cells, N and the timings of earlier records, never on the order the cells were
named in or on which task asks.

A cell's cost is estimated from earlier records: per (scenario, recipe) the median seconds of one
worker process times the replays, plus the seconds its environment took to build. A cell, scenario
or recipe without a record costs the median of those that have one (a fixed guess when none has).
Cells are dealt longest first to the least loaded shard (the LPT rule: never worse than 4/3 of the
best split), ties broken by name and by shard number.
"""
from __future__ import annotations

import dataclasses
import re
import statistics

DEFAULT_RUN_SECONDS = 30.0      # one worker process, when no record says anything
DEFAULT_INSTALL_SECONDS = 60.0  # one environment build, when no record says anything
SHARD_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


class ShardError(ValueError):
    pass


def parse(text: str) -> tuple:
    """'2/5' -> (2, 5): part 2 of 5, counted from 1."""
    found = SHARD_RE.match(str(text))
    if not found:
        raise ShardError(f"--shard {text!r}: expected I/N, e.g. 2/5 (part I of N, counted from 1)")
    index, count = int(found.group(1)), int(found.group(2))
    if count < 1 or not 1 <= index <= count:
        raise ShardError(f"--shard {text}: I must be between 1 and N (N >= 1)")
    return index, count


@dataclasses.dataclass(frozen=True)
class Timings:
    """What earlier records say: seconds per worker process and per environment build."""

    run: dict       # {(cell, scenario, recipe): median seconds of one worker process}
    install: dict   # {cell: seconds the environment took to build}

    def default_run(self) -> float:
        return statistics.median(self.run.values()) if self.run else DEFAULT_RUN_SECONDS

    def default_install(self) -> float:
        return statistics.median(self.install.values()) if self.install else DEFAULT_INSTALL_SECONDS


def timings(rs) -> Timings:
    """Timings from a ResultSet: the median over machines and replays of each record."""
    runs, installs = {}, {}
    for (machine, cell, scenario, recipe), record in sorted(rs.recipes.items()):
        walls = [r.get("wall_seconds") for r in record.replays]
        runs.setdefault((cell, scenario, recipe), []).extend(
            float(w) for w in walls if isinstance(w, (int, float)) and w > 0)
        built = record.environment.get("install_seconds")
        if isinstance(built, (int, float)) and built > 0:
            installs.setdefault(cell, []).append(float(built))
    for (machine, cell), env in sorted(rs.environments.items()):
        built = env.outcome.get("install_seconds")
        if isinstance(built, (int, float)) and built > 0:
            installs.setdefault(cell, []).append(float(built))
    return Timings({k: statistics.median(v) for k, v in runs.items() if v},
                   {k: statistics.median(v) for k, v in installs.items()})


def estimate(cell, known: Timings, recipes=None, replays=None) -> float:
    """Seconds one run of the cell is expected to take (see the module docstring)."""
    default_run = known.default_run()
    seconds = known.install.get(cell.name, known.default_install())
    for scenario in cell.scenarios:
        for recipe in recipes or cell.recipes:
            seconds += known.run.get((cell.name, scenario, recipe), default_run) * (replays or cell.replays)
    return seconds


def assign(cells: list, count: int, known: Timings, recipes=None, replays=None) -> list:
    """[[cells of shard 1], ..., [cells of shard N]], each in the order given."""
    if count < 1:
        raise ShardError("the number of shards must be at least 1")
    unique = list({c.name: c for c in cells}.values())
    cost = {c.name: estimate(c, known, recipes, replays) for c in unique}
    loads = [0.0] * count
    owner = {}
    for cell in sorted(unique, key=lambda c: (-cost[c.name], c.name)):
        target = min(range(count), key=lambda i: (loads[i], i))
        owner[cell.name] = target
        loads[target] += cost[cell.name]
    return [[c for c in unique if owner[c.name] == i] for i in range(count)]


def select(cells: list, shard: str, known: Timings, recipes=None, replays=None) -> list:
    """The cells of part I of N (`shard` is 'I/N')."""
    index, count = parse(shard)
    return assign(cells, count, known, recipes, replays)[index - 1]
