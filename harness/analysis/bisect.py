"""Bisecting a ladder of cells: which version first changed the result?

The cells carrying a tag, in version order (the natural order of their names, which spell the
versions: tensorflow2.9.3 before tensorflow2.10.1), form a ladder.
The outcome of a cell is its fingerprint for one recipe and scenario (or its verdict, with
`by="verdict"`). Binary search finds the first cell whose outcome differs from the first
cell's, probing O(log n) cells: each probe reuses an existing record when it is complete, made
with the current scenario file (same sha256) and the same environment definition (env hash),
and runs the cell otherwise.

Bisection ASSUMES MONOTONE CHANGE: once the outcome differs from the first cell's, it differs
for every later cell. If a later version goes back to the old result, binary search can miss
the change or point at another one; run the cells in between (`harness run`) to be sure.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from .. import records, run, verdicts

ASSUMPTION = ("Bisection assumes monotone change: once a cell differs from the first, every "
              "later cell differs too. A change that reverts later can be missed.")


@dataclasses.dataclass
class Bisection:
    """The answer: index of the first differing cell (None: all agree with the first, as far
    as the probes can tell), and every probed index with its outcome, in probe order."""

    first_change: int | None
    probes: list          # [(index, outcome)]


def search(count: int, probe) -> Bisection:
    """Binary search over indices 0..count-1 for the first outcome != probe(0).

    `probe(index)` returns a hashable outcome; it is called at most once per index."""
    seen = {}

    def outcome(index):
        if index not in seen:
            seen[index] = probe(index)
        return seen[index]

    if count == 0:
        return Bisection(None, [])
    base = outcome(0)
    if count == 1 or outcome(count - 1) == base:
        return Bisection(None, list(seen.items()))
    same, different = 0, count - 1   # invariant: outcome(same) == base != outcome(different)
    while different - same > 1:
        middle = (same + different) // 2
        if outcome(middle) == base:
            same = middle
        else:
            different = middle
    return Bisection(different, list(seen.items()))


def outcome_of(record: dict | None, recipe: str, by: str = "fingerprint") -> str:
    """A comparable outcome of a record: "fingerprint XXXXXXXX" when the replays are bitwise
    (or a single run), else the verdict name (non-bitwise cells have no single fingerprint)."""
    if record is None:
        return "not-run"
    result = verdicts.verdict(recipe, record.get("replays", []))
    if by == "fingerprint" and result["verdict"] in ("bitwise", "single-run"):
        return f"fingerprint {result['fingerprints'][0]}"
    return result["verdict"]


def reusable(record_path: Path, cell, scenario_sha: str) -> dict | None:
    """The existing record if it can stand for a fresh run of the cell, else None."""
    if not Path(record_path).is_file():
        return None
    try:
        record = records.read(record_path)
    except records.RecordError:
        return None
    if not record.get("complete") or record.get("scenario", {}).get("sha256") != scenario_sha:
        return None
    if record.get("environment", {}).get("env_hash") != cell.env_hash():
        return None
    return record


class Prober:
    """Outcome of cells for one recipe and scenario, reusing records or running the cell.

    `runner` defaults to harness.run.run_cell; tests inject a fake. `log` lists
    (cell name, "reused" | "ran", outcome) in probe order."""

    def __init__(self, cells, recipe, scenario, results, envs, by="fingerprint",
                 scenarios_dir=None, runner=None, echo=print):
        self.cells, self.recipe, self.scenario, self.by = cells, recipe, scenario, by
        self.results, self.envs, self.echo = Path(results), Path(envs), echo
        self.scenarios_dir = scenarios_dir
        self.runner = runner or run.run_cell
        self.sha = run.sha256(run.scenario_file(scenario, scenarios_dir))
        self.log = []

    def __call__(self, index: int) -> str:
        cell = self.cells[index]
        path = records.recipe_path(self.results, cell.name, self.scenario, self.recipe)
        record = reusable(path, cell, self.sha)
        how = "reused"
        if record is None:
            how = "ran"
            summary = self.runner(cell, self.results, self.envs, recipes=[self.recipe],
                                  scenarios_dir=self.scenarios_dir, echo=self.echo)
            if summary.get("environment") == "install-failed":
                self.log.append((cell.name, how, "install-failed"))
                return "install-failed"
            record = records.read(path) if path.is_file() else None
        result = outcome_of(record, self.recipe, self.by)
        self.log.append((cell.name, how, result))
        return result


def bisect_cells(cells, recipe, scenario, results, envs, by="fingerprint", scenarios_dir=None,
                 runner=None, echo=print) -> tuple:
    """(Bisection, Prober) over the cells; the prober's log says what was run or reused."""
    prober = Prober(cells, recipe, scenario, results, envs, by, scenarios_dir, runner, echo)
    return search(len(cells), prober), prober


def report(cells, bisection: Bisection, prober: Prober, tag: str) -> str:
    """Plain-text answer: the ladder, what was probed and how, the first change."""
    lines = [f"ladder: tag {tag!r}, recipe {prober.recipe}, scenario {prober.scenario}, "
             f"{len(cells)} cell(s), compared by {prober.by}"]
    probed = dict(bisection.probes)
    how = {name: kind for name, kind, _ in prober.log}
    for index, cell in enumerate(cells):
        mark = f"{how[cell.name]:6s} {probed[index]}" if index in probed else "-      (not needed)"
        lines.append(f"  {index:2d} {cell.name:45s} {mark}")
    ran = [name for name, kind, _ in prober.log if kind == "ran"]
    reused = [name for name, kind, _ in prober.log if kind == "reused"]
    lines.append(f"ran {len(ran)} cell(s): {', '.join(ran) or '-'}")
    lines.append(f"reused {len(reused)} record(s): {', '.join(reused) or '-'}")
    if not cells:
        lines.append("answer: no cells carry this tag")
    elif bisection.first_change is None:
        lines.append(f"answer: no change; every probed cell gives {probed[0]} like {cells[0].name}")
    else:
        index = bisection.first_change
        before = cells[index - 1].name
        lines.append(f"answer: first change at {cells[index].name} ({probed[index]}), "
                     f"after {before} ({probed[index - 1]}); first cell {cells[0].name} gives {probed[0]}")
    lines.append(ASSUMPTION)
    return "\n".join(lines)
