"""Bisecting a ladder: probe cells (reusing records that `run` would skip as current, running the
others) and report the first cell whose outcome differs from the first cell's (derive.bisect.search)."""
from __future__ import annotations

from pathlib import Path

from ..derive.bisect import outcome_of, search
from ..store import machines, records
from . import plan, run


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
        self.machine = machines.this_machine()
        self.log = []

    def __call__(self, index: int) -> str:
        cell = self.cells[index]
        # the rule of `run` (harness/inputs.py): a complete record of the same inputs and replays
        task = plan.task(cell, self.scenario, self.recipe, self.results, self.machine,
                         scenarios_dir=self.scenarios_dir)
        path = task.target
        record = records.read(path) if task.current and path.is_file() else None
        how = "reused"
        if record is None:
            how = "ran"
            options = run.Options(recipes=(self.recipe,), scenarios_dir=self.scenarios_dir)
            summary = self.runner(cell, self.results, self.envs, options, echo=self.echo)
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
