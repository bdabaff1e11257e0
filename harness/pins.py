"""Package names and freezes: the one place a distribution's name is normalized and a freeze is
read, shared by the lock reader (provision/lockfiles.py) and the closure check (derive/closure.py)."""
from __future__ import annotations

import re


def normalize(name: str) -> str:
    """PEP 503: Theano, theano and theano_ are one distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


def freeze_versions(packages) -> dict:
    """{normalized name: version} of a freeze's `name==version` lines (other lines are no pins)."""
    found = {}
    for line in packages or []:
        name, sep, version = str(line).partition("==")
        if sep and name.strip():
            found[normalize(name.strip())] = version.strip()
    return found
