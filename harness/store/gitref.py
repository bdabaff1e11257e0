"""The records of a results tree at a git revision (`harness diff git:REF NEW`)."""
from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

from . import records

GIT_PREFIX = "git:"


class GitError(ValueError):
    pass


def git_tree(spec: str, results: Path, into: Path) -> Path:
    """Extract the records of `results` at git revision REF under `into`; return the results
    directory there (with no records when the revision has none: everything in NEW is added)."""
    ref = spec[len(GIT_PREFIX):]
    results = Path(results).resolve()
    top = Path(_git(["rev-parse", "--show-toplevel"], cwd=_existing_parent(results)).decode().strip())
    if not ref or not _git_ok(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top):
        raise GitError(f"{spec}: not a git revision in {top}")
    folders = [records.records_dir(results), records.machines_dir(results)]
    relative = [f.relative_to(top.resolve()).as_posix() for f in folders]
    target = Path(into) / Path(relative[0]).parent
    target.mkdir(parents=True, exist_ok=True)
    present = [r for r in relative if _git(["ls-tree", "--name-only", ref, "--", r], cwd=top).strip()]
    if not present:
        return target
    archive = _git(["archive", "--format=tar", ref, "--", *present], cwd=top)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return target


def _existing_parent(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def _git(args, cwd) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise GitError(f"cannot run git: {exc}") from None
    if done.returncode != 0:
        raise GitError(f"git {' '.join(args)}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def _git_ok(args, cwd) -> bool:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True).returncode == 0


def records_commit(results: Path) -> str | None:
    """The commit that last changed the records (12 hex digits; '+ uncommitted records' when they
    differ from it), or None outside a git checkout: every published page names it."""
    folder = Path(results) / "records"
    if not folder.is_dir():
        return None
    try:
        last = subprocess.run(["git", "log", "-1", "--format=%H", "--", "."], cwd=folder,
                              capture_output=True, text=True, timeout=60)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "."], cwd=folder,
                               capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if last.returncode != 0 or not last.stdout.strip():
        return None
    return last.stdout.strip()[:12] + (" + uncommitted records" if dirty.stdout.strip() else "")
