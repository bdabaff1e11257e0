"""Outcomes: one typed row per (machine, cell, scenario, recipe), the base of every table.

The one place where records become verdicts, where a failed environment stands for every recipe
of its cell (older replay records stay on disk, untouched), and where staleness is decided.
"""
from __future__ import annotations

import dataclasses
import statistics

from .. import inputs
from ..matrix import APIS, natural_key, recipe_rank
from . import closure, verdicts

API_ORDER = {api: rank for rank, api in enumerate(APIS)}   # the matrix's order: oldest Keras first


@dataclasses.dataclass(frozen=True)
class Outcome:
    machine: str
    cell: dict
    scenario: str
    recipe: str
    verdict: verdicts.Verdict
    values: tuple | None          # the first ok replay's values (the list compared across cells)
    record: str                   # the record file behind the verdict, relative to results/
    scenario_sha256: str | None
    stale: bool                   # made from other inputs than today's (harness/inputs.py)
    complete: bool
    replays: int
    observed: dict                # python, keras, backend, numpy, keras_reports, devices
    seconds_per_run: float | None
    seconds_per_fit: float | None
    import_seconds: float | None
    install_seconds: float | None
    all_values: tuple = ()        # every ok replay's values, in replay order
    codepath: dict = dataclasses.field(default_factory=dict)   # the first ok replay's code path
    closure: tuple = ()           # closure.Difference: its environment's packages against the cell's lock

    @property
    def cell_name(self) -> str:
        return self.cell["name"]

    @property
    def row_key(self) -> tuple:
        return (self.cell_name, self.scenario)


def cell_sort_key(cell: dict):
    return (API_ORDER.get(cell.get("api"), 9), cell.get("backend", ""), natural_key(cell["name"]))


def sort_key(outcome: Outcome):
    return (cell_sort_key(outcome.cell), outcome.scenario, recipe_rank(outcome.recipe), outcome.machine)


def outcomes(rs, current_inputs=None, locks=None) -> list:
    """Every outcome of a ResultSet, in matrix order. `current_inputs` maps scenario names to the
    inputs every machine's records of them are made from now (inputs.scenario_inputs; None or
    absent: unknown, never stale); `locks` maps cell names to their lock's {package: version}
    (a cell without one is compared with nothing)."""
    current_inputs, locks = current_inputs or {}, locks or {}
    found = []
    for key, record in rs.recipes.items():
        if rs.failed_environment(record.machine, record.cell_name) is None:
            found.append(_from_record(record, rs, current_inputs, locks.get(record.cell_name)))
    for (machine, name), env in rs.environments.items():
        if not env.ok:
            found += _install_failures(env)
    return sorted(found, key=sort_key)


def _from_record(record, rs, current_inputs, locked=None) -> Outcome:
    result = verdicts.verdict(record.recipe, record.replays,
                              verdicts.minimum_for(record.cell))
    ok = record.ok_replays()
    observed = next((r["observed"] for r in record.replays if isinstance(r.get("observed"), dict)), {})
    env = rs.environments.get((record.machine, record.cell_name))
    current = inputs.for_backend(current_inputs.get(record.scenario), record.cell.get("backend"))
    return Outcome(
        machine=record.machine, cell=record.cell, scenario=record.scenario, recipe=record.recipe,
        verdict=result, values=tuple(ok[0]["values"]) if ok else None, record=record.path,
        scenario_sha256=record.scenario_sha256,
        stale=bool(current and inputs.changed(record.inputs, current)),
        complete=record.complete, replays=len(record.replays),
        observed=_observed(observed, record.cell, env.outcome if env else {}),
        seconds_per_run=_median([r.get("wall_seconds") for r in record.replays]),
        seconds_per_fit=_median([s for r in ok for s in r.get("fit_seconds") or []]),
        import_seconds=_median([r.get("import_seconds") for r in ok]),
        install_seconds=record.environment.get("install_seconds"),
        all_values=tuple(tuple(r["values"]) for r in ok),
        codepath=next((r["codepath"] for r in ok if isinstance(r.get("codepath"), dict)), {}),
        closure=closure.differences(env.outcome.get("packages"), locked)
        if env is not None and locked is not None and env.outcome.get("packages") else ())


def _install_failures(env) -> list:
    cell = env.cell
    error = verdicts.one_line(env.outcome.get("error") or "")
    result = verdicts.Verdict("install-failed", error=error)
    observed = _observed({}, cell, env.outcome)
    return [Outcome(env.machine, cell, scenario, recipe, result, None, env.path, None, False, True,
                    0, observed, None, None, None, env.outcome.get("install_seconds"))
            for scenario in cell.get("scenarios", []) for recipe in cell.get("recipes", [])]


def _observed(observed: dict, cell: dict, env_outcome: dict) -> dict:
    libs = observed.get("backend_library") or {}
    return {
        "python": observed.get("python") or cell.get("python"),
        "keras": _keras_version(observed, env_outcome),
        "backend": " ".join(f"{k} {v}" for k, v in sorted(libs.items())) or cell.get("backend"),
        "numpy": observed.get("numpy"),
        "keras_reports": observed.get("backend_reported"),
        "devices": observed.get("devices") or [],
    }


def _keras_version(observed: dict, env_outcome: dict):
    """The observed Keras version; when the worker could not tell (tf-keras 2.16 has no
    __version__), the version of the installed package that provides it."""
    version = observed.get("keras")
    if version not in (None, "None"):
        return version
    packages = {}
    for line in env_outcome.get("packages") or []:
        name, sep, value = line.partition("==")
        if sep:
            packages[name.strip().lower().replace("_", "-")] = value.strip()
    module = (observed.get("keras_module") or "").split(".")[0]
    wanted = ["tf-keras"] if module == "tf_keras" else ["keras", "tf-keras"]
    return next((packages[name] for name in wanted if name in packages), None)


def _median(values):
    values = [v for v in values if isinstance(v, (int, float))]
    return round(statistics.median(values), 3) if values else None


def by_row(found: list) -> dict:
    """{(cell, scenario): [outcomes]} in matrix order."""
    rows = {}
    for outcome in found:
        rows.setdefault(outcome.row_key, []).append(outcome)
    return rows
