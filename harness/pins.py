"""Package names, freezes and exact pins: the one place a distribution's name is normalized, a
freeze is read and a requirement's `==` pin is found, shared by the lock reader
(provision/lockfiles.py), the closure check (derive/closure.py), the lock writer (ops/lock.py),
the release finder (derive/releases.py) and the verdict rule (derive/verdicts.py)."""
from __future__ import annotations

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name as normalize   # PEP 503: Theano, theano, theano_ are one

__all__ = ["normalize", "freeze_versions", "exact_pins"]


def freeze_versions(packages) -> dict:
    """{normalized name: version} of a freeze's `name==version` lines (other lines are no pins)."""
    found = {}
    for line in packages or []:
        name, sep, version = str(line).partition("==")
        if sep and name.strip():
            found[normalize(name.strip())] = version.strip()
    return found


def exact_pins(requirements) -> dict:
    """{normalized name: version as written} of the requirements that pin one version exactly
    (a single `==`, no wildcard; extras and markers dropped); other requirements are left out."""
    found = {}
    for text in requirements:
        try:
            requirement = Requirement(str(text))
        except InvalidRequirement:
            continue
        specs = list(requirement.specifier)
        if len(specs) == 1 and specs[0].operator == "==" and "*" not in specs[0].version:
            found[normalize(requirement.name)] = specs[0].version
    return found
