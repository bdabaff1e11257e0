"""Where things live: the project root, results, environments and the worker."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
WORKER = PACKAGE_DIR / "execute" / "worker.py"
REPLAY_PREFIX = "harness-replay-"   # the runner's temporary directories (a worker's cwd)


def root() -> Path:
    """The project root: $HARNESS_ROOT, else the nearest parent of cwd with matrix.toml,
    else the checkout this package lives in."""
    if os.environ.get("HARNESS_ROOT"):
        return Path(os.environ["HARNESS_ROOT"]).resolve()
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / "matrix.toml").is_file():
            return candidate
    return PACKAGE_DIR.parent


def results_dir() -> Path:
    return Path(os.environ.get("HARNESS_RESULTS", root() / "results"))


def envs_dir() -> Path:
    """Environments are large and machine-specific: kept out of the repository's tracked files."""
    return Path(os.environ.get("HARNESS_ENVS", root() / ".envs"))


def locks_dir() -> Path:
    """Each cell's lock (its full closure, locks/<cell>.txt): committed with the matrix."""
    return Path(os.environ.get("HARNESS_LOCKS", root() / "locks"))


def scenarios_dir() -> Path:
    return Path(os.environ.get("HARNESS_SCENARIOS", root() / "scenarios"))


def replay_prefix(results, envs) -> str:
    """The prefix of the temporary directories of one installation's workers (its results and
    environments roots), so that cleaning up after a killed run touches only its own."""
    key = f"{Path(results).resolve()}\0{Path(envs).resolve()}"
    return f"{REPLAY_PREFIX}{hashlib.sha256(key.encode()).hexdigest()[:12]}-"
