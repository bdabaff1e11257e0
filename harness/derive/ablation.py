"""Leave-one-out ablation: which of a recipe's calls does a stack really need? Pure functions.

A recipe's recorded calls become ablation items (one call, or one variable; strict's thread
variables count as one item): each item is left out in turn and the recipe runs again in fresh
processes (harness/ops/ablate.py). An item is *needed* when the recipe without it is no longer
bitwise, *not needed* when it stays bitwise with the recipe's own fingerprint, and *changes the
numbers* when it stays bitwise with another fingerprint (the call matters for which doubles come
out, not for repeating them).
"""
from __future__ import annotations

import dataclasses
import re

from ..matrix import SEEDED
from . import verdicts

# The recipes an ablation starts from: the seeded ladder without the code-path pins.
LADDER = tuple(r for r in SEEDED if r != "portable")


@dataclasses.dataclass(frozen=True)
class Item:
    slug: str          # a safe file-name part
    label: str         # the call as recorded
    prefixes: tuple    # what the worker's --drop gets


def slug_of(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", text).strip("-.")[:100] or "call"


def items(calls) -> list:
    """Ablation items of a recipe's recorded calls, in their order."""
    found = []
    for label in calls:
        if label.startswith("env "):
            names = [part.split("=", 1)[0] for part in label[4:].split() if "=" in part]
            if not names:
                continue
            slug = "env-" + ("+".join(names) if len(names) == 1 else names[0] + "-and-" + str(len(names) - 1))
            found.append(Item(slug_of(slug), label, tuple("env " + n for n in names)))
        else:
            head = re.split(r"[( =]", label, maxsplit=1)[0]
            cut = label[len(head)]
            found.append(Item(slug_of(head), label, (head + cut if cut in "(" else head,)))
    return found


def target_recipe(by_recipe: dict) -> str | None:
    """The weakest recipe of LADDER that is bitwise with every stronger one bitwise too
    ({recipe: Verdict} of one (machine, cell, scenario)); None when there is none."""
    for position, recipe in enumerate(LADDER):
        if recipe not in by_recipe:
            continue
        stronger = [by_recipe.get(r) for r in LADDER[position:] if r in by_recipe]
        if stronger and all(v is not None and v.name == "bitwise" for v in stronger):
            return recipe
    return None


def judge(base: verdicts.Verdict, without: verdicts.Verdict) -> str:
    """needed | not needed | changes the numbers | failed | provisional (bitwise on too few)."""
    if without.is_failure or without.name in ("not-run", "not-applicable"):
        return "failed" if without.is_failure else without.name
    if without.name == "single-run":
        return "provisional"          # one process (a run under way or cut short) decides nothing
    if without.name != "bitwise":
        return "needed"
    if without.provisional:
        return "provisional"
    if base.fingerprints and without.fingerprints[0] != base.fingerprints[0]:
        return "changes the numbers"
    return "not needed"


def necessary(rows) -> list:
    """The labels judged needed, from [(Item or label, judgement)]."""
    return [getattr(item, "label", item) for item, judgement in rows if judgement == "needed"]
