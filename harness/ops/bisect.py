"""Bisecting a ladder: probe cells (reusing current complete records, running the others) and
report the first cell whose outcome differs from the first cell's (derive.bisect.search)."""
from __future__ import annotations

from pathlib import Path

from ..derive.bisect import outcome_of, search
from ..store import machines, records
from . import run


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
        self.machine = machines.this_machine()
        self.log = []

    def __call__(self, index: int) -> str:
        cell = self.cells[index]
        path = records.recipe_path(self.results, self.machine, cell.name, self.scenario, self.recipe)
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
        result = outcome_of(record.get("replays") if record else None, self.recipe, self.by)
        self.log.append((cell.name, how, result))
        return result


def bisect_cells(cells, recipe, scenario, results, envs, by="fingerprint", scenarios_dir=None,
                 runner=None, echo=print) -> tuple:
    """(Bisection, Prober) over the cells; the prober's log says what was run or reused."""
    prober = Prober(cells, recipe, scenario, results, envs, by, scenarios_dir, runner, echo)
    return search(len(cells), prober), prober
