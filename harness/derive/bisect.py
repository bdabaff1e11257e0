"""Bisecting a ladder of cells: which version first changed the result?

The cells carrying a tag, in version order (the natural order of their names, which spell the
versions: tensorflow2.9.3 before tensorflow2.10.1), form a ladder.
The outcome of a cell is its fingerprint for one recipe and scenario (or its verdict, with
`by="verdict"`). Binary search finds the first cell whose outcome differs from the first
cell's, probing O(log n) cells: each probe reuses an existing record when `run` would skip it as
current (complete, the same inputs: harness/inputs.py), and runs the cell otherwise.

Bisection ASSUMES MONOTONE CHANGE: once the outcome differs from the first cell's, it differs
for every later cell. If a later version goes back to the old result, binary search can miss
the change or point at another one; run the cells in between (`harness run`) to be sure.
"""
from __future__ import annotations

import dataclasses

from . import verdicts

ASSUMPTION = ("Bisection assumes monotone change: once a cell differs from the first, every "
              "later cell differs too. A change that reverts later can be missed.")


@dataclasses.dataclass
class Bisection:
    """The answer: index of the first differing cell (None: all agree with the first, as far
    as the probes can tell), and every probed index with its outcome, in probe order."""

    first_change: int | None
    probes: list          # [(index, outcome)]


def search(count: int, probe) -> Bisection:
    """Binary search over indices 0..count-1 for the first outcome != probe(0).

    `probe(index)` returns a hashable outcome; it is called at most once per index."""
    seen = {}

    def outcome(index):
        if index not in seen:
            seen[index] = probe(index)
        return seen[index]

    if count == 0:
        return Bisection(None, [])
    base = outcome(0)
    if count == 1 or outcome(count - 1) == base:
        return Bisection(None, list(seen.items()))
    same, different = 0, count - 1   # invariant: outcome(same) == base != outcome(different)
    while different - same > 1:
        middle = (same + different) // 2
        if outcome(middle) == base:
            same = middle
        else:
            different = middle
    return Bisection(different, list(seen.items()))


def outcome_of(replays, recipe: str, by: str = "fingerprint") -> str:
    """A comparable outcome of a record's replays: "fingerprint XXXXXXXX" when they are bitwise
    (or a single run), else the verdict name (non-bitwise cells have no single fingerprint)."""
    if replays is None:
        return "not-run"
    result = verdicts.verdict(recipe, replays)
    if by == "fingerprint" and result.name in ("bitwise", "single-run"):
        return f"fingerprint {result.fingerprints[0]}"
    return result.name
