"""Tracing a verdict to its records: `harness show CELL` prints the definition, the environment,
and per recipe the replays' exact values, where they first differ, what was observed and where."""
from __future__ import annotations

import itertools
from pathlib import Path

from . import records, verdicts
from .matrix import RECIPES


def show_cell(results: Path, name: str, recipes=None) -> str:
    env_path = records.environment_path(results, name)
    if not env_path.parent.is_dir():
        raise KeyError(f"no records for cell {name!r} under {records.records_dir(results)}")
    lines = []
    if env_path.is_file():
        env = records.read(env_path)
        lines += _definition(env["cell"]) + _environment(env["outcome"], env_path, results)
    machines = records.load_machines(results)
    order = {name: i for i, name in enumerate(RECIPES)}
    found = sorted(env_path.parent.glob("*/*.json"), key=lambda p: (p.parent.name, order.get(p.stem, 99), p.stem))
    for path in found:
        record = records.read(path)
        if record.get("kind") == "replays" and (not recipes or record["recipe"] in recipes):
            lines += _recipe(record, path.relative_to(results), machines)
    return "\n".join(lines)


def _definition(cell: dict) -> list:
    out = [f"cell {cell['name']}: {cell['api']} on {cell['backend']}, Python {cell['python']}, {cell['device']}",
           f"  requirements: {' '.join(cell['requirements'])}",
           f"  tags: {', '.join(cell['tags'])}"]
    if cell.get("env"):
        out.append("  env: " + " ".join(f"{k}={v}" for k, v in sorted(cell["env"].items())))
    if cell.get("notes"):
        out.append(f"  notes: {cell['notes']}")
    return out


def _environment(outcome: dict, path: Path, results: Path) -> list:
    out = [f"environment: {outcome['status']} ({outcome['installer']}, built in {outcome['install_seconds']:.1f}s)"
           f"  [{path.relative_to(results)}]"]
    if outcome.get("error"):
        out += ["  " + line for line in outcome["error"].splitlines()[-15:]]
    if outcome.get("packages"):
        out.append("  installed: " + " ".join(outcome["packages"]))
    return out


def _recipe(record: dict, path: Path, machines: dict) -> list:
    result = verdicts.verdict(record["recipe"], record["replays"])
    machine = machines.get(record.get("machine"), {}).get("info", {})
    out = ["", f"recipe {record['recipe']} / {record['scenario']['name']}: {verdicts.label(result)}"
           f"{'' if record.get('complete') else ' (incomplete record)'}  [{path}]",
           f"  machine {record.get('machine')}: {machine.get('cpu_model', '?')}, {machine.get('cores', '?')} cores"]
    for replay in record["replays"]:
        out += _replay(replay)
    ok = [r for r in record["replays"] if r.get("status") == "ok"]
    for a, b in itertools.combinations(ok, 2):
        index = verdicts.first_difference(a["values"], b["values"])
        if index is not None:
            left = a["values"][index] if index < len(a["values"]) else None
            right = b["values"][index] if index < len(b["values"]) else None
            out.append(f"  replays {a['index']} and {b['index']} first differ at repeat {index}: "
                       f"{left!r} vs {right!r} ({verdicts.list_digits(a['values'], b['values'])} digits)")
    return out


def _replay(replay: dict) -> list:
    head = f"  replay {replay.get('index')}: {replay['status']}, {replay.get('wall_seconds', 0):.1f}s"
    if replay["status"] != "ok":
        lines = [head + f": {replay.get('error_summary', '')}"]
        tail = (replay.get("error") or {}).get("traceback") or replay.get("stderr_tail") or ""
        return lines + ["    " + line for line in tail.strip().splitlines()[-8:]]
    observed = replay.get("observed", {})
    libs = " ".join(f"{k} {v}" for k, v in sorted((observed.get("backend_library") or {}).items()))
    return [head + f", fingerprint {verdicts.fingerprint(replay['values'])}",
            f"    observed: Python {observed.get('python')}, numpy {observed.get('numpy')}, "
            f"keras {observed.get('keras')} ({observed.get('keras_module')}, backend "
            f"{observed.get('backend_reported')}), {libs}, devices {observed.get('devices')}",
            f"    seed calls: {'; '.join(replay.get('seed_calls', [])) or '-'}",
            f"    unavailable: {'; '.join(u['call'] for u in replay.get('seed_unavailable', [])) or '-'}",
            "    values: " + ", ".join(repr(v) for v in replay["values"])]
