"""One result set: every record of a results tree, read once, as typed values.

Every command that looks at results (publish, show, agree, minimal, stats, diff, bisect,
identify) starts from `ResultSet.load`; nothing else walks the records. A record that cannot be
used is reported in `problems` (naming the file and the field) and skipped, so one bad file does
not take every command down with it.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from . import records


@dataclasses.dataclass(frozen=True)
class Machine:
    id: str
    label: str
    info: dict


@dataclasses.dataclass(frozen=True)
class EnvRecord:
    """The latest environment build of a cell on a machine."""

    machine: str
    cell: dict
    outcome: dict
    path: str                 # relative to the results directory

    @property
    def ok(self) -> bool:
        return self.outcome.get("status") == "ok"


@dataclasses.dataclass(frozen=True)
class RecipeRecord:
    """The replays of one (machine, cell, scenario, recipe), or a stats top-up (kind repeats)."""

    kind: str
    machine: str
    cell: dict
    scenario: str
    scenario_sha256: str | None
    recipe: str
    replays: tuple
    complete: bool
    environment: dict
    started: str
    harness: str
    path: str
    inputs: dict | None = None    # what it was made from (harness/inputs.py); None: not recorded

    @property
    def cell_name(self) -> str:
        return self.cell["name"]

    @property
    def key(self) -> tuple:
        return (self.machine, self.cell_name, self.scenario, self.recipe)

    def ok_replays(self) -> list:
        return [r for r in self.replays if r.get("status") == "ok" and r.get("values")]


@dataclasses.dataclass
class ResultSet:
    root: Path
    machines: dict            # {id: Machine}
    environments: dict        # {(machine, cell): EnvRecord}
    recipes: dict             # {(machine, cell, scenario, recipe): RecipeRecord}
    repeats: dict             # {(machine, cell, scenario): RecipeRecord}
    problems: list            # RecordError messages of skipped files
    ablations: dict = dataclasses.field(default_factory=dict)
    # {(machine, cell, scenario, recipe, drop slug): (RecipeRecord, drop {"slug", "label", "prefixes"})}

    @classmethod
    def load(cls, results) -> "ResultSet":
        root = Path(results)
        found = cls(root, {}, {}, {}, {}, [])
        for path in records.iter_files(root):
            try:
                found.add(records.read(path), path.relative_to(root).as_posix())
            except records.RecordError as exc:
                found.problems.append(str(exc))
        return found

    def add(self, data: dict, path: str) -> None:
        kind = data["kind"]
        if kind == "machine":
            self.machines[data["machine_id"]] = Machine(data["machine_id"], data.get("label", ""),
                                                        data["info"])
        elif kind == "environment":
            self.environments[(data["machine"], data["cell"]["name"])] = EnvRecord(
                data["machine"], data["cell"], data["outcome"], path)
        else:
            record = RecipeRecord(kind, data["machine"], data["cell"], data["scenario"]["name"],
                                  data["scenario"].get("sha256"), data["recipe"],
                                  tuple(data["replays"]), data["complete"],
                                  data.get("environment") or {}, data.get("started", ""),
                                  data.get("harness", ""), path, data.get("inputs"))
            if kind == "repeats":
                self.repeats[record.key[:3]] = record
            elif kind == "ablation":
                self.ablations[record.key + (data["drop"]["slug"],)] = (record, data["drop"])
            else:
                self.recipes[record.key] = record

    @property
    def empty(self) -> bool:
        return not (self.recipes or self.environments)

    def failed_environment(self, machine: str, cell: str) -> EnvRecord | None:
        """The environment record when the latest build of the cell on the machine failed."""
        env = self.environments.get((machine, cell))
        return env if env is not None and not env.ok else None

    def machine_ids(self) -> list:
        used = {k[0] for k in self.recipes} | {k[0] for k in self.environments}
        return sorted(used | set(self.machines))

    def machine_infos(self) -> dict:
        """{machine id: recorded info} for every machine with a machine file."""
        return {m: found.info for m, found in self.machines.items()}

    def machine_label(self, machine: str) -> str:
        found = self.machines.get(machine)
        return found.label if found and found.label else machine

    def cells(self) -> dict:
        """{cell name: cell definition as recorded} (latest record wins by path order)."""
        found = {}
        for record in self.recipes.values():
            found[record.cell_name] = record.cell
        for (_, name), env in self.environments.items():
            found.setdefault(name, env.cell)
        return found
