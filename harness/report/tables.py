"""The published tables as rows of text: the matrix (all machines), one matrix per machine,
the portability table and the per-outcome CSV. Formatting only; every value comes from
derive (outcomes, verdicts, minimal, portability)."""
from __future__ import annotations

import re

import csv
import io

from ..derive import devices
from ..derive import portability as port
from ..derive import verdicts
from ..derive.minimal import minimal_recipes
from ..derive.outcomes import by_row
from ..matrix import RECIPES, SEEDED
from . import render

STALE_MARK = " †"
CLOSURE_MARK = "‡"    # after a machine: its environment's packages are not the cell's lock
NONE = "—"


def short(machine: str) -> str:
    """The first four characters of a machine id: enough to tell a table's machines apart."""
    return machine[:4]


def closure_text(differences, limit=None) -> str:
    """'closure differs from lock: ml-dtypes 0.6.0 (lock 0.7.0)', or '' when they agree."""
    if not differences:
        return ""
    shown = [f"{d.name} {d.observed or 'absent'} (lock {d.locked or 'none'})"
             for d in differences[:limit]]
    more = len(differences) - len(shown)
    return "closure differs from lock: " + ", ".join(shown) + (f" and {more} more" if more else "")


def machine_mark(members, machine: str) -> str:
    """A machine's id in a row, marked when its environment record is not the cell's lock."""
    drifted = any(o.closure for o in members if o.machine == machine)
    return short(machine) + (CLOSURE_MARK if drifted else "")


def outcome_label(outcome) -> str:
    text = verdicts.label(outcome.verdict)
    if outcome.stale:
        text += STALE_MARK
    if not outcome.complete:
        text += " (partial)"
    return text


_COUNTED = re.compile(r"^(bitwise \w+) x(\d+)( \(provisional\))?(.*)$")


def _per_machine(values: dict, class_of: dict | None = None) -> str:
    """One text when every machine says the same, else one text per group of machines that say
    the same: 'bitwise ea719136 x3 [oneDNN on: 122c b84f] · bitwise e6264cbd x3/x5 [oneDNN off:
    dc84 fc9b]'. Bitwise verdicts with the same fingerprint group whatever their process counts
    (the counts are listed, and the machines whose count is provisional); a group whose machines
    share one class (`class_of`: machine -> class for this stack) is named by it."""
    groups = {}
    for machine, text in values.items():
        found = _COUNTED.match(text)
        key = (found.group(1) + found.group(4)) if found else text
        entry = groups.setdefault(key, {"machines": [], "counts": [], "provisional": [], "counted": bool(found)})
        entry["machines"].append(machine)
        if found:
            entry["counts"].append(int(found.group(2)))
            if found.group(3):
                entry["provisional"].append(machine)
    texts = []
    for key, entry in groups.items():
        text = key
        if entry["counted"]:
            found = _COUNTED.match(values[entry["machines"][0]])
            counts = "/".join(f"x{c}" for c in sorted(set(entry["counts"])))
            text = f"{found.group(1)} {counts}"
            if entry["provisional"]:
                text += (" (provisional)" if len(entry["provisional"]) == len(entry["machines"]) else
                         " (provisional on " + " ".join(short(m) for m in entry["provisional"]) + ")")
            text += found.group(4)
        texts.append((text, entry["machines"]))
    if len(texts) == 1:
        return texts[0][0]
    parts = []
    for text, machines in texts:
        names = " ".join(short(m) for m in machines)
        shared = {(class_of or {}).get(m) for m in machines}
        label = f"{shared.pop()}: {names}" if len(shared) == 1 and None not in shared else names
        parts.append(f"{text} [{label}]")
    return " · ".join(parts)


def _seconds(value) -> str:
    return NONE if value is None else f"{value:.1f}"


def portability_summary(items: list) -> str:
    """The portability column: which seeded, bitwise recipes travel between machines."""
    if not items:
        return NONE
    portable = [i.recipe for i in items if i.kind == "portable"]
    differs = [f"{i.recipe} {i.digits}d" for i in items if i.kind == "differs"]
    failed = [i.recipe for i in items if i.kind == "failed"]
    parts = []
    if portable:
        parts.append("portable: " + ", ".join(portable))
    if differs:
        parts.append("differs: " + ", ".join(differs))
    if failed:
        parts.append("failed somewhere: " + ", ".join(failed))
    return "; ".join(parts) or "no recipe bitwise on every machine"


def failure_reason(members: list) -> str:
    """The first failure of a row, with its one-line reason ("crashed: AttributeError: ...")."""
    for outcome in members:
        if outcome.verdict.is_failure:
            reason = outcome.verdict.error
            return f"{outcome.recipe}: {outcome.verdict.name}" + (f": {reason}" if reason else "")
    return ""


def devices_summary(items: list) -> str:
    """The CPU-vs-GPU column: per seeded recipe, how the GPU's list compares with the CPU's."""
    return "; ".join(f"{i.recipe}: {devices.label(i)}" for i in items if i.recipe in SEEDED) or NONE


def matrix_rows(found: list, portability_items=None, machine_column=True, device_items=None) -> tuple:
    """(headers, rows, row keys) of the matrix: one row per (cell, scenario). The CPU-vs-GPU
    column appears only when some stack was measured on both devices."""
    rows_by_key = by_row(found)
    scenarios = {k[1] for k in rows_by_key}
    recipes = [r for r in RECIPES if any(o.recipe == r for o in found)]
    minimal = {(m.cell, m.scenario, m.machine): m for m in minimal_recipes(found)}
    items = {}
    for item in portability_items or []:
        items.setdefault((item.cell, item.scenario), []).append(item)
    headers = ["cell"] + (["scenario"] if len(scenarios) > 1 else []) + \
        ["Python", "Keras", "Backend", "NumPy", "device"] + (["machines"] if machine_column else []) + \
        recipes + (["portability"] if portability_items is not None else []) + \
        (["cpu_vs_gpu"] if device_items else []) + \
        ["s_per_run", "install_s", "minimal_bitwise", "minimal_6_digits", "failure"]
    rows, keys = [], []
    for (cell, scenario), members in rows_by_key.items():
        first = members[0].observed
        machines = list(dict.fromkeys(o.machine for o in members))
        row = [render.code(cell)] + ([scenario] if len(scenarios) > 1 else [])
        row += [first["python"] or NONE, first["keras"] or NONE, first["backend"] or NONE,
                first["numpy"] or NONE, members[0].cell.get("device", "cpu")]
        if machine_column:
            row.append(" ".join(machine_mark(members, m) for m in machines))
        elif any(o.closure for o in members):
            row[0] += " " + CLOSURE_MARK
        class_of = {m: c for item in items.get((cell, scenario), []) for c, ms in item.classes for m in ms}
        for recipe in recipes:
            texts = {o.machine: outcome_label(o) for o in members if o.recipe == recipe}
            row.append(_per_machine(texts, class_of) or NONE)
        if portability_items is not None:
            row.append(portability_summary(items.get((cell, scenario), [])))
        if device_items:
            stack = devices.stack_of(members[0])
            row.append(devices_summary([i for i in device_items
                                        if (i.stack, i.scenario) == (stack, scenario)]))
        runs = [o.seconds_per_run for o in members if o.seconds_per_run is not None]
        installs = [o.install_seconds for o in members if o.install_seconds is not None]
        row += [_seconds(sorted(runs)[len(runs) // 2] if runs else None),
                _seconds(max(installs) if installs else None)]
        for attribute in ("bitwise_text", "six_digits_text"):
            texts = {m: getattr(minimal[(cell, scenario, m)], attribute)(NONE)
                     for m in machines if (cell, scenario, m) in minimal}
            row.append(_per_machine(texts) or NONE)
        row.append(failure_reason(members))
        rows.append(row)
        keys.append((cell, scenario))
    return headers, rows, keys


def portability_rows(items: list, labels: dict) -> tuple:
    headers = ["cell", "scenario", "recipe", "portability", "digits across machines",
               "groups (fingerprint of each machine's first process: machines)"]
    rows = []
    for item in items:
        groups = "; ".join(f"{render.code(fp)}: " + ", ".join(f"{short(m)}" for m in machines)
                           for fp, machines in item.groups)
        rows.append([render.code(item.cell), item.scenario, item.recipe, port.label(item, short),
                     render.digits_text(item.digits) + (" (first processes)" if item.kind == "not-repeatable"
                                                         and item.digits is not None else ""),
                     groups or NONE])
    return headers, rows


def outcome_csv(found: list) -> str:
    """verdicts.csv: one row per (machine, cell, scenario, recipe) with everything observed."""
    columns = ["machine", "cell", "api", "backend", "python", "device", "scenario", "recipe",
               "verdict", "digits", "fingerprints", "notable", "stale", "complete", "replays",
               "seconds_per_run", "seconds_per_fit", "import_seconds", "install_seconds",
               "observed_python", "observed_keras", "observed_backend", "observed_numpy",
               "keras_reports", "error", "record"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for o in found:
        v = o.verdict
        writer.writerow([o.machine, o.cell_name, o.cell.get("api"), o.cell.get("backend"),
                         o.cell.get("python"), o.cell.get("device"), o.scenario, o.recipe, v.name,
                         "" if v.digits is None else v.digits, " ".join(v.fingerprints), v.notable,
                         o.stale, o.complete, o.replays, _csv_number(o.seconds_per_run),
                         _csv_number(o.seconds_per_fit), _csv_number(o.import_seconds),
                         _csv_number(o.install_seconds), o.observed["python"], o.observed["keras"],
                         o.observed["backend"], o.observed["numpy"], o.observed["keras_reports"],
                         v.error, o.record])
    return buffer.getvalue()


def _csv_number(value) -> str:
    return "" if value is None else repr(float(value))


def to_csv(headers: list, rows: list) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([str(v).strip("`") if isinstance(v, str) else v for v in row])
    return buffer.getvalue()


def device_rows(items: list) -> tuple:
    headers = ["stack", "scenario", "recipe", "CPU vs GPU", "digits", "GPU (machine, cell: list)",
               "CPU (machine, cell: list)"]

    def side(entries):
        return "; ".join(f"{short(m)} {cell}: {render.code(fp) if fp else name}" for m, cell, name, fp in entries)

    rows = [[i.stack, i.scenario, i.recipe, devices.label(i), render.digits_text(i.digits),
             side(i.gpu), side(i.cpu)] for i in items]
    return headers, rows
