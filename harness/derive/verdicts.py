"""Fingerprints, digits of agreement and verdicts: pure functions over lists of floats.

Digits of agreement between two floats a and b: 17 when they are the same double ("bitwise");
otherwise floor(-log10(|a - b| / max(|a|, |b|))) clamped to 0..16, i.e. how many leading
significant digits the relative difference leaves untouched. Two lists agree to the minimum
over their positions; lists of different lengths agree to 0 digits.
"""
from __future__ import annotations

import hashlib
import itertools
import dataclasses
import math

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from ..matrix import UNSEEDED
from ..pins import normalize

BITWISE = 17
AGREE_MIN_DIGITS = 3   # below this, seeded lists are called "diverged"
# Outcomes that are not values: a cell that could not be built, a replay that could not run or
# whose result cannot be used, and the worker's own refusals (see harness/execute/runner.py).
FAILURE_STATUSES = ("install-failed", "import-failed", "crashed", "timed-out", "no-result",
                    "bad-result", "non-finite", "gpu-fallback", "determinism-unavailable",
                    "interrupted")
DROPPED = ("interrupted",)   # replays that say nothing about the cell: run again, never published
NOT_APPLICABLE = "not-applicable"
VALUE_VERDICTS = ("bitwise", "agrees", "diverged", "single-run")

# Confidence. If every one of n fresh processes gives the same doubles, a stack whose processes
# disagree with probability q would show that with probability (1 - q) ** (n - 1); the largest q
# not rejected at 95% is 1 - 0.05 ** (1 / (n - 1)). So 2 processes bound q only below 95%,
# 5 below 53%, 10 below 28%, 20 below 15%. A bitwise verdict needs MIN_PROCESSES (5); a stack known
# to race between processes (a multi-threaded TF 1.x session: standalone Keras 1 and 2 on TensorFlow,
# where 4% of the non-bitwise replay pairs in the records were still bit-identical, and tf.keras
# inside TensorFlow 1.x, whose strict recipe on TF 1.4.1 agreed in 9 of 10 fits and then differed)
# needs MIN_PROCESSES_RACY (10). Fewer is shown as provisional.
MIN_PROCESSES = 5
MIN_PROCESSES_RACY = 10
# The API generations whose TensorFlow backend is always a TF 1.x-style session (standalone Keras 1
# and 2): the stacks MIN_PROCESSES_RACY and the `portable` recipe's strict base apply to.
SESSION_APIS = ("keras1", "keras2")
# Statuses after which no further process of a recipe is run: they are decided by the stack, not
# by chance (and a timeout costs the whole timeout again).
DECISIVE_STATUSES = ("import-failed", "not-applicable", "timed-out", "determinism-unavailable",
                     "gpu-fallback")


_TF_NAMES = ("tensorflow", "tensorflow-cpu", "tensorflow-gpu")


def _pins_tf1(requirement) -> bool:
    """True for a requirement on TensorFlow that one of its clauses keeps below 2.0 (==1.15.5,
    ==1.*, ~=1.8, <2, <=1.15)."""
    try:
        parsed = Requirement(str(requirement))
    except InvalidRequirement:
        return False
    if normalize(parsed.name) not in _TF_NAMES:
        return False
    for clause in parsed.specifier:
        if clause.operator in ("==", "===", "~=") and clause.version.split(".")[0] == "1":
            return True
        if clause.operator in ("<", "<="):
            try:
                bound = Version(clause.version)
            except InvalidVersion:
                continue
            if bound < Version("2") or (clause.operator == "<" and bound == Version("2")):
                return True
    return False


def races(api: str | None, backend: str | None, requirements=()) -> bool:
    """True for a stack that runs a TF 1.x session: standalone Keras 1/2 on TensorFlow, or tf.keras
    with a TensorFlow 1.x pin among its requirements."""
    if backend != "tensorflow":
        return False
    if api in SESSION_APIS:
        return True
    return api == "tf.keras" and any(_pins_tf1(r) for r in requirements or ())


def minimum_processes(api: str | None, backend: str | None, requirements=()) -> int:
    """Processes a bitwise verdict needs on this stack (see MIN_PROCESSES)."""
    return MIN_PROCESSES_RACY if races(api, backend, requirements) else MIN_PROCESSES


def minimum_for(cell) -> int:
    """minimum_processes of a matrix Cell or of the cell dict a record stores."""
    if isinstance(cell, dict):
        return minimum_processes(cell.get("api"), cell.get("backend"), cell.get("requirements"))
    return minimum_processes(cell.api, cell.backend, cell.requirements)


def disagreement_bound(processes: int) -> float | None:
    """The largest per-process disagreement rate that n agreeing processes do not rule out at 95%."""
    if processes < 2:
        return None
    return 1.0 - 0.05 ** (1.0 / (processes - 1))


def decided(replays) -> bool:
    """True when the replays already show the recipe is not bitwise (two different outcomes, or a
    decisive failure): no more processes are needed for its verdict."""
    seen = set()
    for replay in replays:
        status = replay.get("status")
        if status in DECISIVE_STATUSES:
            return True
        if status == "interrupted":
            continue
        seen.add(fingerprint(replay["values"]) if status == "ok" and replay.get("values") else status)
        if len(seen) > 1:
            return True
    return False


def fingerprint(values) -> str:
    """A short hash of the exact doubles (their float.hex text), order included."""
    text = ",".join(float(v).hex() for v in values)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def digits(a: float, b: float) -> int:
    a, b = float(a), float(b)
    if a.hex() == b.hex() or a == b:   # a == b also covers +0.0 and -0.0
        return BITWISE
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return 0
    scale = max(abs(a), abs(b))
    relative = abs(a - b) / scale
    return int(max(0, min(BITWISE - 1, math.floor(-math.log10(relative)))))


def list_digits(first, second) -> int:
    if len(first) != len(second) or not first:
        return 0
    return min(digits(a, b) for a, b in zip(first, second))


def first_difference(first, second) -> int | None:
    """Index of the first repeat where two lists differ (None when identical)."""
    for index, (a, b) in enumerate(zip(first, second)):
        if float(a).hex() != float(b).hex():
            return index
    return None if len(first) == len(second) else min(len(first), len(second))


def replay_digits(lists) -> int:
    """Agreement across all replays: the minimum over every pair."""
    if len(lists) < 2:
        return BITWISE
    return min(list_digits(a, b) for a, b in itertools.combinations(lists, 2))


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What the replays of one (cell, scenario, recipe) on one machine say."""

    name: str                      # bitwise | agrees | diverged | single-run | not-run | a failure
    digits: int | None = None      # agreement across replays (17 = bitwise); None for failures
    fingerprints: tuple = ()       # distinct fingerprints, in replay order
    notable: bool = False          # an unseeded recipe that came out bitwise
    error: str = ""                # the first failure's one-line reason
    failed: int = 0                # failed replays, of `of`
    of: int = 0
    processes: int = 0             # fresh processes whose values the verdict compares
    minimum: int = MIN_PROCESSES   # processes a bitwise verdict needs on this stack

    @property
    def provisional(self) -> bool:
        """A bitwise verdict on fewer processes than its stack needs."""
        return self.name == "bitwise" and self.processes < self.minimum

    @property
    def has_values(self) -> bool:
        return self.name in VALUE_VERDICTS

    @property
    def is_failure(self) -> bool:
        return self.name in FAILURE_STATUSES


def verdict(recipe: str, replays, minimum: int = MIN_PROCESSES) -> Verdict:
    """Verdict of one (cell, recipe) from its replays (dicts with status and values)."""
    replays = [r for r in replays if r.get("status") != "interrupted"] or list(replays)
    if not replays:
        return Verdict("not-run")
    failed = [r for r in replays if r.get("status") != "ok"]
    if failed:
        first = failed[0]
        status = first.get("status", "bad-result")
        if status == NOT_APPLICABLE and len(failed) == len(replays):
            return Verdict(NOT_APPLICABLE, error=one_line(first.get("error_summary", "")))
        status = status if status in FAILURE_STATUSES else "bad-result"
        return Verdict(status, error=one_line(first.get("error_summary", "")),
                       failed=len(failed), of=len(replays))
    lists = [r["values"] for r in replays]
    prints = tuple(dict.fromkeys(fingerprint(v) for v in lists))
    agreement = replay_digits(lists)
    if len(replays) < 2:
        name = "single-run"
    elif agreement == BITWISE:
        name = "bitwise"
    elif agreement >= AGREE_MIN_DIGITS:
        name = "agrees"
    else:
        name = "diverged"
    return Verdict(name, agreement, prints, recipe == UNSEEDED and name == "bitwise",
                   processes=len(lists), minimum=minimum)


def one_line(text, limit: int = 160) -> str:
    """The first non-empty line of an error, cut to `limit` characters."""
    lines = [line.strip() for line in str(text or "").splitlines() if line.strip()]
    line = lines[0] if lines else ""
    return line if len(line) <= limit else line[:limit - 1] + "…"


def digits_words(count: int) -> str:
    return f"{count} digit" if count == 1 else f"{count} digits"


def label(result: Verdict) -> str:
    """Short text for a matrix cell."""
    name = result.name
    if name == "bitwise":
        text = f"bitwise {result.fingerprints[0]} x{result.processes}"
        text += " (provisional)" if result.provisional else ""
        return text + " (!)" if result.notable else text
    if name == "agrees":
        return f"agrees, {digits_words(result.digits)} ({len(result.fingerprints)} fp)"
    if name == "diverged":
        return f"diverged, {digits_words(result.digits)}"
    if name in FAILURE_STATUSES:
        return name if result.failed in (0, result.of) else f"{name} {result.failed}/{result.of}"
    return name
