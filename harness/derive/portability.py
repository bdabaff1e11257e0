"""Portability: does a seeded (cell, scenario, recipe) give the same numbers on every machine?

For each (cell, scenario, recipe) with outcomes on two or more machines:
  * `portable`      every replay on every machine gave the same doubles (one fingerprint);
  * `differs`       each machine may repeat itself, but not every machine gives the same list:
                    `digits` is the agreement between machines (the minimum over pairs of the
                    machines' first ok replays) and `groups` says which machines share a list;
  * `not-repeatable` at least one machine does not even agree with itself (no single list to
                    carry to another machine; `unrepeatable` names them); the digits compare
                    the machines' first processes only;
  * `failed`        the recipe failed on at least one machine (which ones: `failed_on`).
"""
from __future__ import annotations

import dataclasses
import itertools

from . import classes, verdicts


@dataclasses.dataclass(frozen=True)
class Portability:
    cell: str
    scenario: str
    recipe: str
    kind: str                 # portable | differs | not-repeatable | failed
    digits: int | None        # agreement across machines (17 = identical)
    groups: tuple             # ((fingerprint, (machines...)), ...) by first ok replay
    machines: tuple           # every machine with an outcome
    failed_on: tuple = ()
    classes: tuple = ()       # ((class, (machines...)), ...): the machines' classes for this stack
    explained: bool = False   # the lists split exactly along the classes
    unrepeatable: tuple = ()  # not-repeatable: the machines whose processes disagree among themselves

    @property
    def portable(self) -> bool:
        return self.kind == "portable"


def portability(found: list, infos: dict | None = None) -> list:
    """One Portability per (cell, scenario, recipe) measured on two or more machines. `infos`
    ({machine: info}) places each machine in its class for the stack (derive/classes.py)."""
    by_key = {}
    for outcome in found:
        by_key.setdefault((outcome.cell_name, outcome.scenario, outcome.recipe), []).append(outcome)
    return [_with_classes(_judge(key, members), members, infos) for key, members in by_key.items()
            if len({o.machine for o in members}) >= 2]


def _with_classes(item: Portability, members: list, infos: dict | None) -> Portability:
    if not infos:
        return item
    of = {o.machine: classes.outcome_class(o, infos) for o in members}
    grouped = {}
    for machine in item.machines:
        grouped.setdefault(of.get(machine) or "unknown", []).append(machine)
    return dataclasses.replace(item, classes=tuple((c, tuple(ms)) for c, ms in grouped.items()),
                               explained=item.kind == "differs" and classes.explains(item.groups, of))


def _judge(key, members) -> Portability:
    members = sorted(members, key=lambda o: o.machine)
    machines = tuple(o.machine for o in members)
    failed = tuple(o.machine for o in members if not o.verdict.has_values)
    with_values = [o for o in members if o.values is not None]
    groups = {}
    for outcome in with_values:
        groups.setdefault(verdicts.fingerprint(outcome.values), []).append(outcome.machine)
    group_tuple = tuple((fp, tuple(ms)) for fp, ms in groups.items())
    pairs = [verdicts.list_digits(a.values, b.values) for a, b in itertools.combinations(with_values, 2)]
    digits = min(pairs) if pairs else None
    if failed:
        kind = "failed"
    elif all(o.verdict.name == "bitwise" for o in members) and len(groups) == 1:
        kind = "portable"
    elif any(o.verdict.name != "bitwise" for o in members):
        kind = "not-repeatable"
    else:
        kind = "differs"
    unrepeatable = tuple(o.machine for o in members if o.verdict.name != "bitwise") \
        if kind == "not-repeatable" else ()
    return Portability(*key, kind, digits, group_tuple, machines, failed, unrepeatable=unrepeatable)


def label(item: Portability, short=lambda m: m[:4]) -> str:
    """Short text: 'portable', 'differs, 6 digits (b84f | dc84)', 'failed on dc84'."""
    if item.kind == "portable":
        return "portable"
    if item.kind == "failed":
        return "failed on " + ", ".join(short(m) for m in item.failed_on)
    named = dict((m, c) for c, ms in item.classes for m in ms) if item.explained else {}
    groups = " | ".join((f"{named[ms[0]]}: " if named else "") + ",".join(short(m) for m in ms)
                        for _, ms in item.groups)
    if item.kind == "not-repeatable":
        # No machine's list can be carried: the digits compare each machine's first process only.
        first = "" if item.digits is None else (
            "; first processes give the same doubles" if item.digits >= verdicts.BITWISE
            else f"; first processes agree to {verdicts.digits_words(item.digits)}")
        return f"not repeatable on {', '.join(short(m) for m in item.unrepeatable)}{first} ({groups})"
    digits = "" if item.digits is None else f", {verdicts.digits_words(item.digits)}"
    return f"differs{digits} ({groups})"


def summary(items: list) -> dict:
    """Counts by kind, for the findings."""
    counts = {}
    for item in items:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    return counts


@dataclasses.dataclass(frozen=True)
class PinnedRow:
    """What the `portable` recipe gives on one machine against every machine's `full` list."""

    cell: str
    scenario: str
    machine: str
    verdict: verdicts.Verdict
    fingerprint: str | None
    same_as_full: tuple       # machines whose `full` gives the same doubles
    other_full: tuple         # ((fingerprint, machines, digits to portable's list), ...)
    cost: float | None        # seconds per process, portable / full, on this machine


def portable_base(api: str, backend: str) -> str:
    """The recipe `portable` builds on (the worker's portable_base; a test keeps them equal)."""
    return "strict" if (api in verdicts.SESSION_APIS and backend == "tensorflow") else "full"


def pinned(found: list) -> list:
    """For every `portable` outcome with values: which machines' base recipe (`full`, or `strict`
    on standalone Keras 2 + TensorFlow) lists it equals, how far the others are, and what the pins
    cost against the base recipe on the same machine."""
    full = {}
    for o in found:
        base = portable_base(o.cell.get("api"), o.cell.get("backend"))
        if o.recipe == base and o.values is not None and o.verdict.name == "bitwise":
            full.setdefault((o.cell_name, o.scenario), []).append(o)
    rows = []
    for o in found:
        if o.recipe != "portable":
            continue
        mine = verdicts.fingerprint(o.values) if o.values is not None else None
        same, other = [], {}
        for f in full.get((o.cell_name, o.scenario), []):
            fp = verdicts.fingerprint(f.values)
            if fp == mine:
                same.append(f.machine)
            elif o.values is not None:
                other.setdefault(fp, ([], verdicts.list_digits(o.values, f.values)))[0].append(f.machine)
        base = next((f for f in full.get((o.cell_name, o.scenario), []) if f.machine == o.machine), None)
        cost = (o.seconds_per_run / base.seconds_per_run
                if base is not None and o.seconds_per_run and base.seconds_per_run else None)
        rows.append(PinnedRow(o.cell_name, o.scenario, o.machine, o.verdict, mine, tuple(sorted(same)),
                              tuple((fp, tuple(sorted(ms)), d) for fp, (ms, d) in sorted(other.items())),
                              cost))
    return rows
