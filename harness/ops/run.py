"""Running cells: environment, then every scenario x recipe x replay, recorded as it goes."""
from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

from .. import __version__, paths
from ..build import environments
from ..derive import verdicts
from ..execute import runner
from ..matrix import Cell
from ..store import machines, records


def scenario_file(name: str, scenarios_dir: Path | None = None) -> Path:
    path = Path(scenarios_dir or paths.scenarios_dir()) / f"{records.safe_name('scenario', name)}.py"
    if not path.is_file():
        raise FileNotFoundError(f"scenario {name!r} not found: {path} does not exist")
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def redactions(envs: Path) -> list:
    """Local absolute paths replaced in what is recorded: records travel between machines."""
    return [(str(Path(envs).resolve()), "<envs>"), (str(paths.root()), "<root>"),
            (sys.prefix, "<host-venv>"), (str(Path.home()), "<home>")]


def logs_dir(envs: Path, cell: str, scenario: str) -> Path:
    """Worker logs live beside the environments, never inside one (a rebuild keeps them)."""
    return Path(envs) / ".logs" / cell / scenario


def run_cell(cell: Cell, results: Path, envs: Path, recipes=None, replays=None, timeout=None,
             scenarios_dir=None, rebuild=False, echo=print) -> dict:
    """Run one cell end to end and return {(scenario, recipe): Verdict} (or the install failure)."""
    results, envs = Path(results), Path(envs)
    machine = machines.save_machine(results)
    hide = redactions(envs)
    echo(f"[{cell.name}] environment ({environments.installer_for(cell)}) ...")
    outcome = environments.ensure(cell, envs, rebuild=rebuild)
    records.write(records.environment_path(results, machine, cell.name), "environment",
                  records.redact({"cell": cell.as_dict(), "machine": machine, "harness": __version__,
                                  "outcome": _public_outcome(outcome)}, hide))
    how = "reused" if outcome.reused else f"built in {outcome.install_seconds:.0f}s"
    if outcome.status != "ok":
        echo(f"[{cell.name}] did not install: {(outcome.error or '').splitlines()[0][:300]}")
        return {"environment": "install-failed"}
    echo(f"[{cell.name}] environment {how}")
    summary = {}
    for scenario in cell.scenarios:
        path = scenario_file(scenario, scenarios_dir)
        for recipe in (recipes or cell.recipes):
            summary[(scenario, recipe)] = run_recipe(
                cell, outcome, path, scenario, recipe, results, machine, replays or cell.replays,
                timeout or cell.timeout, envs, echo)
    return summary


def partial_path(target: Path) -> Path:
    """Where an unfinished record is kept until it is complete (not read as a record)."""
    return target.with_name(target.name + ".partial")


def record_body(cell, outcome, scenario: str, digest: str, recipe: str, machine: str) -> dict:
    """A new record of replays: the cell, the scenario's hash, the environment it ran in."""
    return {"cell": cell.as_dict(), "scenario": {"name": scenario, "sha256": digest},
            "recipe": recipe, "machine": machine, "harness": __version__,
            "environment": {"env_hash": outcome.env_hash, "install_seconds": outcome.install_seconds,
                            "installer": outcome.installer},
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "replays": [], "complete": False}


def run_recipe(cell, outcome, path, scenario, recipe, results, machine, count, timeout, envs, echo):
    target = records.recipe_path(results, machine, cell.name, scenario, recipe)
    body = record_body(cell, outcome, scenario, sha256(path), recipe, machine)
    hide = redactions(envs)
    for index in range(count):
        replay = runner.run_replay(outcome.python, cell, path, recipe, timeout,
                                   extra_env=outcome.extra_env,
                                   log_dir=logs_dir(envs, cell.name, scenario))
        replay["index"] = index
        body["replays"].append(records.redact(replay, hide))
        # written aside after every replay: a kill loses at most one replay and never
        # degrades the complete record beside it
        records.write(partial_path(target), "replays", body)
    body["complete"] = True
    records.write(target, "replays", body)
    partial_path(target).unlink(missing_ok=True)
    result = verdicts.verdict(recipe, body["replays"])
    seconds = sum(r.get("wall_seconds") or 0 for r in body["replays"]) / max(1, count)
    echo(f"[{cell.name}] {scenario} {recipe:9s} {verdicts.label(result):32s} {seconds:6.1f} s/run")
    return result


def _public_outcome(outcome) -> dict:
    """The environment outcome as recorded (paths are redacted by the caller)."""
    data = outcome.as_dict()
    data["error"] = data["error"][-4000:] if data["error"] else None
    return data
