"""A record's closure against its cell's lock, and a lock against the matrix: pure comparisons.

A cell's environment is built from its lock (locks/<cell>.txt, every package pinned); the
environment record keeps what was actually installed (`outcome.packages`, a freeze). A record
made from another closure (before the lock, or on a machine whose build drifted) is marked, never
edited: its numbers stand, but they belong to those packages.
"""
from __future__ import annotations

import dataclasses

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from ..pins import freeze_versions, normalize


@dataclasses.dataclass(frozen=True)
class Difference:
    """One package whose installed version is not the lock's (None: absent on that side)."""

    name: str
    observed: str | None
    locked: str | None


def differences(packages, locked: dict) -> tuple:
    """The packages where an environment's freeze and the lock ({name: version}) disagree, by name."""
    observed = freeze_versions(packages)
    names = sorted(set(observed) | set(locked))
    return tuple(Difference(name, observed.get(name), locked.get(name)) for name in names
                 if observed.get(name) != locked.get(name))


@dataclasses.dataclass(frozen=True)
class Disagreement:
    """A requirement of the matrix that the lock does not satisfy (locked None: not in it)."""

    requirement: str
    name: str
    locked: str | None


def disagreements(requirements, locked: dict) -> list:
    """The cell's direct requirements (matrix.toml) that the lock's pins do not satisfy."""
    found = []
    for text in requirements:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue            # the matrix's own check names it
        name = normalize(requirement.name)
        version = locked.get(name)
        if version is None or not _satisfies(requirement, version):
            found.append(Disagreement(text, name, version))
    return found


def _satisfies(requirement: Requirement, version: str) -> bool:
    try:
        Version(version)
    except InvalidVersion:
        return False
    return requirement.specifier.contains(version, prereleases=True)
