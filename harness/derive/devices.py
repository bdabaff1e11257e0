"""CPU against GPU: for each stack measured on both devices, how many digits the GPU's seeded
list shares with the CPU's.

A stack is what was observed, not what was asked for: the API generation, the Keras version,
the backend library and its version without the local build tag (torch `2.11.0+cu130` and
`2.11.0+cpu` are one release), and the Python minor version. A GPU cell and a CPU cell (which
are different cells of the matrix: their requirements pull different wheels) compare when they
observed the same stack. Pairs on the same machine are preferred (the GPU machine's own CPU);
otherwise CPU lists from other machines are used, and the answer says so.

Kinds:
  * `identical`      the GPU gave the CPU's doubles (every compared list the same);
  * `differs`        both repeat themselves but the lists differ: `digits` shared;
  * `not repeatable` the GPU (or the CPU) does not agree with itself; digits still given;
  * `failed`         the recipe failed on the GPU (gpu-fallback included) or on every CPU.
"""
from __future__ import annotations

import dataclasses
import itertools
import re

from . import verdicts


@dataclasses.dataclass(frozen=True)
class DeviceComparison:
    stack: str
    scenario: str
    recipe: str
    kind: str
    digits: int | None
    same_machine: bool
    gpu: tuple            # ((machine, cell, verdict name, fingerprint or ""), ...)
    cpu: tuple


def stack_of(outcome) -> str:
    observed = outcome.observed
    backend = re.sub(r"\+[\w.]+", "", observed.get("backend") or outcome.cell.get("backend", ""))
    python = ".".join(str(observed.get("python") or outcome.cell.get("python", "")).split(".")[:2])
    return f"{outcome.cell.get('api')} {observed.get('keras') or '?'} on {backend}, Python {python}"


def _device(outcome) -> str:
    return outcome.cell.get("device", "cpu")


def _side(outcome) -> tuple:
    fingerprint = verdicts.fingerprint(outcome.values) if outcome.values is not None else ""
    return (outcome.machine, outcome.cell_name, outcome.verdict.name, fingerprint)


def compare_devices(found: list) -> list:
    """One DeviceComparison per (stack, scenario, recipe) with outcomes on both devices."""
    groups = {}
    for outcome in found:
        key = (stack_of(outcome), outcome.scenario, outcome.recipe)
        groups.setdefault(key, {"cpu": [], "gpu": []})[_device(outcome)].append(outcome)
    return [_judge(key, sides["gpu"], sides["cpu"]) for key, sides in sorted(groups.items())
            if sides["gpu"] and sides["cpu"]]


def _judge(key, gpu: list, cpu: list) -> DeviceComparison:
    gpu_machines = {o.machine for o in gpu}
    local = [o for o in cpu if o.machine in gpu_machines]
    same_machine = bool(local)
    cpu = local or cpu
    pairs = [(g, c) for g, c in itertools.product(gpu, cpu)
             if g.values is not None and c.values is not None and (not same_machine or g.machine == c.machine)]
    digits = min((verdicts.list_digits(g.values, c.values) for g, c in pairs), default=None)
    if any(not o.verdict.has_values for o in gpu) or all(not o.verdict.has_values for o in cpu):
        kind = "failed"
    elif any(o.verdict.name != "bitwise" for o in gpu + cpu):
        kind = "not repeatable"
    elif digits == verdicts.BITWISE:
        kind = "identical"
    else:
        kind = "differs"
    return DeviceComparison(*key, kind, digits, same_machine,
                            tuple(_side(o) for o in gpu), tuple(_side(o) for o in cpu))


def label(item: DeviceComparison) -> str:
    where = "" if item.same_machine else " (CPU of another machine)"
    if item.kind == "identical":
        return "identical" + where
    if item.kind == "failed":
        failures = sorted({name for _, _, name, _ in item.gpu if name in verdicts.FAILURE_STATUSES})
        return ("failed on the GPU: " + ", ".join(failures)) if failures else "failed on every CPU"
    digits = "" if item.digits is None else f", {verdicts.digits_words(item.digits)}"
    return f"{item.kind}{digits}{where}"
