"""What a run has to do, decided from the matrix and the records alone (no environment is opened).

A (machine, cell, scenario, recipe) is *current* when its complete record was made from the same
inputs and holds at least the replays asked for; it is then skipped. The inputs are:

    env_hash        the environment definition (Cell.key: API, backend, Python, requirements,
                    device, installer)
    env             the cell's extra environment variables (they reach the worker, not the build)
    scenario_sha256 the scenario file's SHA-256
    worker_schema   the worker's result schema (RESULT_SCHEMA in harness/execute/worker.py)
    recipe          the recipe's name
    recipe_code     a hash of the worker code that defines the recipes (see RECIPE_CODE), so a
                    change to what a recipe does makes its records stale
    machine         this machine's id

and the replay count. A record without `inputs` (made before they were recorded) is never
current. Replays kept from a record of the same inputs (an unfinished `.partial` left by a killed
run, or a complete record asked for more replays) are kept and only the missing ones run.
"""
from __future__ import annotations

import ast
import dataclasses
import functools
import hashlib
import json
from pathlib import Path

from .. import paths
from ..matrix import Cell
from ..derive import verdicts
from ..store import records

# Top-level names of harness/execute/worker.py that define what the recipes do.
RECIPE_CODE = ("NUMPY_SEED", "BACKEND_SEED", "SINGLE_THREAD_VARS", "recipe_environment",
               "device_environment", "_joined_flags", "reexec_if_needed", "seed_backend", "tf_major",
               "strict_before_keras", "theano_knows", "strict_after_keras",
               "apply_before_keras", "apply_after_keras")
DROPPED = ("interrupted",)   # replays that say nothing about the cell: run again on resume


def worker_facts(worker: Path = paths.WORKER) -> tuple:
    """(RESULT_SCHEMA, hash of the recipe code) read from the worker's source, not imported."""
    return _worker_facts(Path(worker).read_text())


@functools.lru_cache(maxsize=4)
def _worker_facts(source: str) -> tuple:
    tree = ast.parse(source)
    schema, parts = None, {}
    for node in tree.body:
        names = [node.name] if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else [
            t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
        for name in names:
            if name == "RESULT_SCHEMA" and isinstance(node.value, ast.Constant):
                schema = node.value.value
            if name in RECIPE_CODE:
                parts[name] = ast.dump(_without_docstring(node), annotate_fields=False)
    blob = json.dumps(sorted(parts.items())).encode()
    return schema, hashlib.sha256(blob).hexdigest()[:16]


def _without_docstring(node):
    """The code of a definition without its docstring: rewording a docstring changes no recipe."""
    body = getattr(node, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
            and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        node = ast.parse(ast.unparse(node)).body[0]
        node.body = node.body[1:] or [ast.Pass()]
    return node


@functools.lru_cache(maxsize=None)
def _file_sha256(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def sha256(path: Path) -> str:
    stat = Path(path).stat()
    return _file_sha256(str(path), stat.st_mtime_ns, stat.st_size)


def inputs(cell: Cell, scenario_sha256: str, recipe: str, machine: str) -> dict:
    schema, recipe_code = worker_facts()
    return {"env_hash": cell.env_hash(), "env": cell.env_dict, "scenario_sha256": scenario_sha256,
            "worker_schema": schema, "recipe": recipe, "recipe_code": recipe_code,
            "machine": machine}


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
              scenarios_dir=None, force=False) -> list:
    """The tasks of one cell, in matrix order (current ones included, with nothing missing)."""
    tasks = []
    for scenario in cell.scenarios:
        path = scenario_file(scenario, scenarios_dir)
        digest = sha256(path)
        for recipe in (recipes or cell.recipes):
            target = records.recipe_path(results, machine, cell.name, scenario, recipe)
            wanted = inputs(cell, digest, recipe, machine)
            tasks.append(_task(cell, scenario, path, recipe, replays or cell.replays, wanted,
                               target, force))
    return tasks


def _task(cell, scenario, path, recipe, count, wanted, target, force) -> Task:
    task = Task(cell, scenario, path, recipe, count, wanted, target, [], list(range(count)))
    complete, partial = _read(target), _read(partial_path(target))
    task.seconds = _typical_seconds(complete) or _typical_seconds(partial)
    if force:
        # rerun, but a complete record of the same inputs is never replaced by a smaller one
        if complete and complete.get("inputs") == wanted:
            task.count = max(count, len(_usable(complete)))
            task.missing = list(range(task.count))
        task.note = "forced"
        return task
    same = [body for body in (complete, partial) if body and body.get("inputs") == wanted]
    if not same:
        task.note = "stale: inputs changed since its record" if complete else ""
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
