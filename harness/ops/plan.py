"""What a run has to do, decided from the matrix and the records alone (no environment is opened).

A (machine, cell, scenario, recipe) is *current* when its complete record was made from the same
inputs (harness/inputs.py: the one rule, shared with bisect, stats top-ups and the published
staleness mark) and holds at least the replays asked for; it is then skipped. A record without
`inputs` (made before they were recorded) is never current. Replays kept from a record of the same inputs (an unfinished `.partial` left by a killed
run, or a complete record asked for more replays) are kept and only the missing ones run.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from .. import inputs, paths
from ..derive import verdicts
from ..matrix import Cell
from ..store import records

DROPPED = verdicts.DROPPED   # replays that say nothing about the cell: run again on resume


def partial_path(target: Path) -> Path:
    """Where an unfinished record is kept until it is complete (never read as a record)."""
    return Path(target).with_name(Path(target).name + ".partial")


@dataclasses.dataclass
class Task:
    """One (cell, scenario, recipe) of a run: what is kept and which replay indices remain."""

    cell: Cell
    scenario: str
    scenario_path: Path
    recipe: str
    count: int
    inputs: dict
    target: Path
    kept: list                   # replays recorded earlier for the same inputs
    missing: list                # replay indices to run
    seconds: float | None = None  # a replay's typical wall time here, from earlier records
    note: str = ""               # why it runs (resumed, stale, forced, ...)

    @property
    def current(self) -> bool:
        return not self.missing

    @property
    def key(self) -> tuple:
        return (self.cell.name, self.scenario, self.recipe)


def scenario_file(name: str, scenarios_dir: Path | None = None) -> Path:
    path = Path(scenarios_dir or paths.scenarios_dir()) / f"{records.safe_name('scenario', name)}.py"
    if not path.is_file():
        raise FileNotFoundError(f"scenario {name!r} not found: {path} does not exist")
    return path


def plan_cell(cell: Cell, results: Path, machine: str, recipes=None, replays=None,
              scenarios_dir=None, force=False, scenarios=None) -> list:
    """The tasks of one cell, in matrix order (current ones included, with nothing missing);
    `scenarios` runs those instead of the cell's own."""
    return [task(cell, scenario, recipe, results, machine, replays, scenarios_dir, force)
            for scenario in (scenarios or cell.scenarios) for recipe in (recipes or cell.recipes)]


def task(cell: Cell, scenario: str, recipe: str, results: Path, machine: str, replays=None,
         scenarios_dir=None, force=False) -> Task:
    """One (cell, scenario, recipe): current (nothing missing), resumed, stale or new."""
    path = scenario_file(scenario, scenarios_dir)
    target = records.recipe_path(results, machine, cell.name, scenario, recipe)
    wanted = inputs.of(cell, path, recipe, machine)
    return _task(cell, scenario, path, recipe, replays or cell.replays, wanted, target, force)


def _task(cell, scenario, path, recipe, count, wanted, target, force) -> Task:
    task = Task(cell, scenario, path, recipe, count, wanted, target, [], list(range(count)))
    complete, partial = _read(target), _read(partial_path(target))
    task.seconds = _typical_seconds(complete) or _typical_seconds(partial)
    if force:
        # rerun, but a complete record of the same inputs is never replaced by a smaller one
        if complete and inputs.current(complete.get("inputs"), wanted):
            task.count = max(count, len(_usable(complete)))
            task.missing = list(range(task.count))
        task.note = "forced"
        return task
    same = [body for body in (complete, partial) if body and inputs.current(body.get("inputs"), wanted)]
    if not same:
        task.note = _stale_note(complete, wanted)
        return task
    # the complete record first: it is never replaced by a smaller one
    best = max(same, key=lambda body: (len(_usable(body)), body is complete))
    task.kept = _usable(best)
    done = {r.get("index") for r in task.kept}
    task.missing = [i for i in range(count) if i not in done] if len(task.kept) < count else []
    if task.missing and verdicts.decided(task.kept):
        task.missing = []   # already not bitwise: more processes cannot change its verdict
    if task.missing and task.kept:
        task.note = f"resumed, {len(task.kept)} of {count} replays kept"
    return task


def _stale_note(complete, wanted) -> str:
    if not complete:
        return ""
    if not isinstance(complete.get("inputs"), dict):
        return "stale: its record predates recorded inputs"
    return "stale: " + ", ".join(inputs.changed(complete["inputs"], wanted)) + " changed since its record"


def _usable(body: dict) -> list:
    found, seen = [], set()
    for replay in body.get("replays", []):
        index = replay.get("index")
        if replay.get("status") in DROPPED or not isinstance(index, int) or index in seen:
            continue
        seen.add(index)
        found.append(replay)
    return found


def _read(path: Path) -> dict | None:
    """A record (or partial) when it exists and reads; otherwise None (it will be rewritten)."""
    if not path.is_file():
        return None
    try:
        return records.read(path)
    except records.RecordError:
        return None


def _typical_seconds(body: dict | None) -> float | None:
    if not body:
        return None
    times = sorted(r["wall_seconds"] for r in body.get("replays", [])
                   if isinstance(r.get("wall_seconds"), (int, float)))
    return times[len(times) // 2] if times else None


FALLBACK_SECONDS = 20.0   # a process's estimate when no earlier record of its recipe says


def estimate(cells, results: Path, machine: str, scenarios_dir=None) -> tuple:
    """(processes left, seconds left) for `cells` on `machine`, from the records alone: every
    missing process at its recipe's typical seconds here (an upper bound: a recipe that disagrees
    early stops sooner). Environments are not counted."""
    processes, seconds = 0, 0.0
    for cell in cells:
        try:
            tasks = plan_cell(cell, results, machine, scenarios_dir=scenarios_dir)
        except FileNotFoundError:      # a scenario file is gone: the run itself will say so
            continue
        for task in tasks:
            processes += len(task.missing)
            seconds += len(task.missing) * (task.seconds or FALLBACK_SECONDS)
    return processes, seconds


def progress_line(position: int, total: int, cell: str, processes: int, seconds: float) -> str:
    """'cell 3 of 8: NAME; left for it and the 5 after it: 42 processes, about 14 min'."""
    after = total - position
    if not processes:
        return (f"cell {position} of {total}: {cell}; it and the {after} after it are current here "
                "(nothing to run)")
    minutes = max(1, round(seconds / 60))
    return (f"cell {position} of {total}: {cell}; left for it and the {after} after it: {processes} "
            f"process(es), about {minutes} min at earlier records' pace (less where a recipe stops early)")
