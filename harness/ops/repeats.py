"""Topping up unseeded values: extra worker processes so that a cell has N values to summarize.

Recipe "none" already gives replays x repeats unseeded values (3 x 10 = 30 by default). When a
statistic needs more, extra fresh processes are run in the cell's existing environment and
recorded as a "repeats" record at records/<machine>/<cell>/<scenario>/repeats.json, with the same body
as a recipe record (recipe "none"), written after every process so a kill loses at most one.
"""
from __future__ import annotations

import contextlib
import math
from pathlib import Path

from .. import inputs, paths
from ..provision import environments
from ..derive import outcomes as derive_outcomes
from ..derive import samples
from ..execute import runner
from ..store import machines, records
from ..store.resultset import ResultSet
from . import run

REPEATS_KIND = "repeats"

DEFAULT_N = 30
PER_PROCESS = 10


def pooled_counts(rs) -> dict:
    """{(machine, cell, scenario): unseeded values pooled so far} of a result set."""
    pools, _ = samples.unseeded_pools(rs, derive_outcomes.outcomes(rs))
    counts = {}
    for pool in pools:
        key = (pool.machine, pool.cell, pool.scenario)
        counts[key] = counts.get(key, 0) + len(pool.values)
    return counts


def top_up_cells(cells, results: Path, envs: Path, wanted: int = DEFAULT_N,
                 per_process: int = PER_PROCESS, scenarios_dir=None, echo=print, warn=print) -> dict:
    """Top up every cell with an installed environment on record (`harness stats`); the result
    set is read once, since a cell's top-up adds to no other cell's count. Returns
    {cell: {scenario: values added}}."""
    rs = ResultSet.load(results)
    installed = {name for (_, name), env in rs.environments.items() if env.ok}
    added = {}
    for cell in cells:
        if cell.name not in installed:
            warn(f"[{cell.name}] no installed environment on record; `harness run` it first")
            continue
        added[cell.name] = top_up(cell, results, envs, wanted, per_process, scenarios_dir, echo, rs)
    return added


def plan(have: int, wanted: int, per_process: int = PER_PROCESS) -> list:
    """Repeats per extra process needed to go from `have` to at least `wanted` values."""
    missing = max(0, wanted - have)
    count = math.ceil(missing / per_process) if missing else 0
    return [min(per_process, missing - i * per_process) for i in range(count)]


def _unseeded_inputs(rs, machine: str, cell: str, scenario: str):
    """The inputs of the cell's recipe-"none" record ({} when there is none, None when it
    recorded none): repeats are pooled with it only when made from the same inputs."""
    record = rs.recipes.get((machine, cell, scenario, samples.UNSEEDED))
    return {} if record is None else record.inputs


def _existing_body(results: Path, cell, scenario: str, wanted: dict, machine: str, outcome) -> dict:
    """The current repeats record to append to, or a fresh body when it is absent or was made
    from other inputs (harness/inputs.py)."""
    path = records.repeats_path(results, machine, cell.name, scenario)
    if path.is_file():
        body = records.read(path)
        if inputs.current(body.get("inputs"), wanted):
            for key in ("format", "schema", "kind"):
                body.pop(key, None)
            return body
    body = run.record_body(cell, outcome, scenario, wanted["scenario_sha256"], samples.UNSEEDED, machine)
    body["inputs"] = wanted
    return body


def top_up(cell, results: Path, envs: Path, wanted: int = DEFAULT_N, per_process: int = PER_PROCESS,
           scenarios_dir=None, echo=print, rs=None) -> dict:
    """Run extra unseeded processes for every scenario of a cell short of `wanted` values
    (`rs`: the ResultSet of `results`, read here when not given).

    Returns {scenario: number of values added}; an environment that does not install adds
    nothing (and is reported through echo)."""
    rs = ResultSet.load(results) if rs is None else rs
    with contextlib.ExitStack() as held:
        return _top_up(cell, Path(results), Path(envs), wanted, per_process, scenarios_dir, echo,
                       rs, held)


def _top_up(cell, results, envs, wanted, per_process, scenarios_dir, echo, rs, held) -> dict:
    counts = pooled_counts(rs)
    added, outcome = {}, None
    machine = machines.save_machine(results)
    hide = run.redactions(envs)
    for scenario in cell.scenarios:
        batches = plan(counts.get((machine, cell.name, scenario), 0), wanted, per_process)
        if not batches:
            continue
        if outcome is None:   # held shared until the last process ends: no rebuild under it
            outcome = held.enter_context(environments.use(cell, envs))
            if outcome.status != "ok":
                echo(f"[{cell.name}] environment did not install; no repeats run")
                return added
        path = run.scenario_file(scenario, scenarios_dir)
        now = inputs.of(cell, path, samples.UNSEEDED, machine)
        unseeded = _unseeded_inputs(rs, machine, cell.name, scenario)
        if unseeded != {} and not inputs.current(unseeded, now):
            echo(f"[{cell.name}] {scenario}: its 'none' record is not current (made from other "
                 f"inputs); run the cell again before topping up")
            continue
        body = _existing_body(results, cell, scenario, now, machine, outcome)
        body["complete"] = False
        target = records.repeats_path(results, machine, cell.name, scenario)
        for repeats in batches:
            replay = runner.run_replay(outcome.python, cell, path, samples.UNSEEDED, cell.timeout,
                                       extra_env=outcome.extra_env, repeats=repeats,
                                       tmp_prefix=paths.replay_prefix(results, envs))
            replay["index"] = len(body["replays"])
            body["replays"].append(records.redact(replay, hide))
            records.write(target, REPEATS_KIND, body)
            if replay.get("status") == "ok":
                added[scenario] = added.get(scenario, 0) + len(replay["values"])
            else:
                echo(f"[{cell.name}] {scenario} repeats: {replay.get('status')}: {replay.get('error_summary', '')}")
        body["complete"] = True
        records.write(target, REPEATS_KIND, body)
        echo(f"[{cell.name}] {scenario}: {added.get(scenario, 0)} unseeded values added ({target})")
    return added
