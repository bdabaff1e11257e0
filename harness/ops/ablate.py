"""harness ablate: the recipe each stack needs, one call at a time (derive/ablation.py).

For a (cell, scenario) with records on this machine, the weakest recipe that is bitwise with
every stronger one (derive/ablation.target_recipe) is taken with its recorded calls; each call is
left out in turn (worker --drop) and the recipe runs in fresh processes under the verdict rule of
every run: it stops at the first disagreement, else runs the stack's minimum of processes. Each
result is a record of kind "ablation" (records/<machine>/<cell>/<scenario>/ablation/), current
while its inputs and the dropped call are unchanged, written after every process.
"""
from __future__ import annotations

import contextlib
from pathlib import Path

from .. import inputs, paths
from ..derive import ablation, verdicts
from ..derive import outcomes as derive_outcomes
from ..execute import runner
from ..provision import environments
from ..store import machines, records
from ..store.resultset import ResultSet
from . import run

KIND = "ablation"


def targets(rs: ResultSet, machine: str, cell: str, scenario: str) -> tuple:
    """(recipe, its verdict, its recorded calls) to ablate, or (None, None, []) with nothing bitwise."""
    found = {o.recipe: o for o in derive_outcomes.outcomes(rs)
             if (o.machine, o.cell_name, o.scenario) == (machine, cell, scenario)}
    recipe = ablation.target_recipe({r: o.verdict for r, o in found.items()})
    if recipe is None:
        return None, None, []
    record = rs.recipes[(machine, cell, scenario, recipe)]
    calls = next((r.get("seed_calls") for r in record.ok_replays() if r.get("seed_calls")), [])
    return recipe, found[recipe].verdict, list(calls)


def ablate(cell, results: Path, envs: Path, scenarios=None, processes=None, scenarios_dir=None,
           echo=print) -> list:
    """Run the ablations of a cell's scenarios; [(scenario, recipe, base Verdict, [(Item, Verdict)])]."""
    results, envs = Path(results), Path(envs)
    machine = machines.save_machine(results)
    hide = run.redactions(envs)
    found = []
    with contextlib.ExitStack() as held:
        outcome = None
        for scenario in scenarios or cell.scenarios:
            rs = ResultSet.load(results)
            recipe, base, calls = targets(rs, machine, cell.name, scenario)
            if recipe is None:
                echo(f"[{cell.name}] {scenario}: no bitwise recipe on this machine to ablate "
                     f"(run `harness run {cell.name}` first)")
                continue
            path = run.scenario_file(scenario, scenarios_dir)
            wanted = inputs.of(cell, path, recipe, machine)
            minimum = verdicts.minimum_for(cell)
            count = processes or max(cell.replays, minimum)
            rows = []
            for item in ablation.items(calls):
                target = records.ablation_path(results, machine, cell.name, scenario, recipe, item.slug)
                body = _current(target, wanted, item)
                if body is None or _needs_more(body, count):
                    if outcome is None:
                        outcome = held.enter_context(environments.use(cell, envs))
                        if outcome.status != "ok":
                            echo(f"[{cell.name}] environment did not install; nothing ablated")
                            return found
                    body = _run_item(cell, outcome, path, recipe, item, count, target, wanted,
                                     body, machine, scenario, hide, paths.replay_prefix(results, envs))
                result = verdicts.verdict(recipe, body["replays"], minimum)
                rows.append((item, result))
                echo(f"[{cell.name}] {scenario} {recipe} without {item.label}: "
                     f"{verdicts.label(result)} -> {ablation.judge(base, result)}")
            found.append((scenario, recipe, base, rows))
    return found


def _current(target: Path, wanted: dict, item) -> dict | None:
    if not target.is_file():
        return None
    try:
        body = records.read(target)
    except records.RecordError:
        return None
    if not inputs.current(body.get("inputs"), wanted) or body.get("drop", {}).get("prefixes") != list(item.prefixes):
        return None
    return body


def _needs_more(body: dict, count: int) -> bool:
    kept = [r for r in body["replays"] if r.get("status") != "interrupted"]
    return len(kept) < count and not verdicts.decided(kept)


def _run_item(cell, outcome, path, recipe, item, count, target, wanted, body, machine, scenario, hide,
              prefix):
    if body is None:
        body = run.record_body(cell, outcome, scenario, wanted["scenario_sha256"], recipe, machine)
        body.update(inputs=wanted, drop={"slug": item.slug, "label": item.label,
                                         "prefixes": list(item.prefixes)}, replays=[])
    for key in ("format", "schema", "kind"):
        body.pop(key, None)
    body["replays"] = [r for r in body["replays"] if r.get("status") != "interrupted"]
    body["complete"] = False
    while len(body["replays"]) < count and not verdicts.decided(body["replays"]):
        replay = runner.run_replay(outcome.python, cell, path, recipe, cell.timeout,
                                   extra_env=outcome.extra_env, drops=item.prefixes, tmp_prefix=prefix)
        replay["index"] = len(body["replays"])
        body["replays"].append(records.redact(replay, hide))
        records.write(target, KIND, body)
    body["complete"] = True
    records.write(target, KIND, body)
    return body
