"""Tracing a verdict to its records: `harness show CELL` prints the definition, the environment,
and per recipe the replays' exact values, where they first differ, what was observed and where."""
from __future__ import annotations

import itertools

from ..derive import verdicts
from . import tables
from ..matrix import RECIPES


def machines_of(rs, name: str) -> list:
    return sorted({k[0] for k in rs.recipes if k[1] == name} | {k[0] for k in rs.environments if k[1] == name})


def show_cell(rs, name: str, recipes=None, machine=None, closures=None) -> str:
    """Everything recorded about a cell, per machine: environment, replays, first differences.
    `closures`: {machine: closure differences of its environment from the cell's lock}."""
    machines = machines_of(rs, name)
    if not machines:
        raise KeyError(f"no records for cell {name!r} under {rs.root}")
    if machine:
        known = [m for m in rs.machine_ids() if m.startswith(machine)]
        if not known:
            raise KeyError(f"unknown machine {machine!r}: no records of it under {rs.root} "
                           f"(machines: {', '.join(rs.machine_ids())})")
        machines = [m for m in machines if m.startswith(machine)]
        if not machines:
            raise KeyError(f"machine {', '.join(known)} has no records of cell {name!r} "
                           f"(the cell has records of: {', '.join(machines_of(rs, name))})")
    lines = []
    order = {recipe: i for i, recipe in enumerate(RECIPES)}
    for index, ident in enumerate(machines):
        env = rs.environments.get((ident, name))
        cell = env.cell if env else next(r.cell for k, r in rs.recipes.items() if k[:2] == (ident, name))
        if index == 0:
            lines += _definition(cell)
        lines += ["", f"machine {ident}: {rs.machine_label(ident)}"]
        if env:
            lines += _environment(env.outcome, env.path)
        drift = tables.closure_text((closures or {}).get(ident, ()))
        if drift:
            lines.append(f"  {tables.CLOSURE_MARK} {drift}")
        found = sorted((r for k, r in rs.recipes.items() if k[:2] == (ident, name)
                        and (not recipes or r.recipe in recipes)),
                       key=lambda r: (r.scenario, order.get(r.recipe, 99)))
        for record in found:
            lines += _recipe(record)
    return "\n".join(lines)


def _definition(cell: dict) -> list:
    out = [f"cell {cell['name']}: {cell['api']} on {cell['backend']}, Python {cell['python']}, {cell['device']}",
           f"  requirements: {' '.join(cell['requirements'])}",
           f"  tags: {', '.join(cell.get('tags') or [])}"]
    if cell.get("env"):
        out.append("  env: " + " ".join(f"{k}={v}" for k, v in sorted(cell["env"].items())))
    if cell.get("notes"):
        out.append(f"  notes: {cell['notes']}")
    return out


def _environment(outcome: dict, path: str) -> list:
    out = [f"environment: {outcome.get('status')} ({outcome.get('installer')}, built in "
           f"{outcome.get('install_seconds') or 0:.1f}s)  [{path}]"]
    if outcome.get("error"):
        out += ["  " + line for line in outcome["error"].splitlines()[-15:]]
    if outcome.get("packages"):
        out.append("  installed: " + " ".join(outcome["packages"]))
    return out


def _recipe(record) -> list:
    result = verdicts.verdict(record.recipe, record.replays,
                              verdicts.minimum_for(record.cell))
    out = ["", f"recipe {record.recipe} / {record.scenario}: {verdicts.label(result)}"
           f"{'' if record.complete else ' (incomplete record)'}  [{record.path}]"]
    for replay in record.replays:
        out += _replay(replay)
    ok = record.ok_replays()
    for a, b in itertools.combinations(ok, 2):
        index = verdicts.first_difference(a["values"], b["values"])
        if index is not None:
            left = a["values"][index] if index < len(a["values"]) else None
            right = b["values"][index] if index < len(b["values"]) else None
            out.append(f"  replays {a['index']} and {b['index']} first differ at repeat {index}: "
                       f"{left!r} vs {right!r} ({verdicts.list_digits(a['values'], b['values'])} digits)")
    return out


def _replay(replay: dict) -> list:
    head = f"  replay {replay.get('index')}: {replay['status']}, {replay.get('wall_seconds') or 0:.1f}s"
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
