"""Fingerprints, digits of agreement and verdicts: pure functions over lists of floats.

Digits of agreement between two floats a and b: 17 when they are the same double ("bitwise");
otherwise floor(-log10(|a - b| / max(|a|, |b|))) clamped to 0..16, i.e. how many leading
significant digits the relative difference leaves untouched. Two lists agree to the minimum
over their positions; lists of different lengths agree to 0 digits.
"""
from __future__ import annotations

import hashlib
import itertools
import math

BITWISE = 17
AGREE_MIN_DIGITS = 3   # below this, seeded lists are called "diverged"
FAILURE_STATUSES = ("install-failed", "import-failed", "crashed", "timed-out", "no-result", "bad-result")


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


def verdict(recipe: str, replays: list) -> dict:
    """Verdict of one (cell, recipe) from its replays (dicts with status and values)."""
    failed = [r for r in replays if r.get("status") != "ok"]
    if not replays:
        return {"verdict": "not-run", "digits": None, "fingerprints": [], "notable": False}
    if failed:
        first = failed[0]
        return {"verdict": first.get("status", "bad-result"), "digits": None,
                "fingerprints": [], "notable": False,
                "error": first.get("error_summary", ""), "failed": len(failed), "of": len(replays)}
    lists = [r["values"] for r in replays]
    prints = list(dict.fromkeys(fingerprint(v) for v in lists))
    agreement = replay_digits(lists)
    if len(replays) < 2:
        name = "single-run"
    elif agreement == BITWISE:
        name = "bitwise"
    elif agreement >= AGREE_MIN_DIGITS:
        name = "agrees"
    else:
        name = "diverged"
    notable = recipe == "none" and name == "bitwise"
    return {"verdict": name, "digits": agreement, "fingerprints": prints, "notable": notable}


def label(result: dict) -> str:
    """Short text for a matrix cell."""
    name = result["verdict"]
    if name == "bitwise":
        text = f"bitwise {result['fingerprints'][0]}"
        return text + " (!)" if result.get("notable") else text
    if name == "agrees":
        return f"agrees, {int(result['digits'])} digits ({len(result['fingerprints'])} fp)"
    if name == "diverged":
        return f"diverged, {int(result['digits'])} digits"
    if name in FAILURE_STATUSES:
        return name if result.get("failed") in (None, result.get("of")) else f"{name} {result['failed']}/{result['of']}"
    return name
