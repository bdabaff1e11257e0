"""Child process groups this process started (installers, workers), so that they can be ended
together when the orchestrator is interrupted, terminated or exits."""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

from .. import paths

_lock = threading.Lock()
_groups: set = set()
# Set while the orchestrator is stopping: a build cut short then leaves no marker (so the next
# run sees an unfinished build), instead of recording a failure it did not have.
stopping = threading.Event()


def register(process) -> None:
    """Remember a child started with start_new_session=True (its pid is its process group)."""
    with _lock:
        _groups.add(process.pid)


def unregister(process) -> None:
    with _lock:
        _groups.discard(process.pid)


def children(parent: int | None = None) -> list:
    """Pids of this process's direct children, read from /proc (Linux)."""
    parent = os.getpid() if parent is None else parent
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = entry.read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1] == str(parent):
            found.append(int(entry.parent.name))
    return found


def end_all(sig=signal.SIGKILL) -> int:
    """Kill every registered group and every direct child's group (a worker started by code that
    did not register it leads its own session too); returns how many were signalled."""
    with _lock:
        pids = set(_groups)
    pids.update(children())
    ended = 0
    for pid in pids:
        try:
            group = os.getpgid(pid)
            if group == pid:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
            ended += 1
        except (ProcessLookupError, PermissionError):
            pass
    return ended


REPLAY_PREFIX = paths.REPLAY_PREFIX   # the runner's temporary directories (a worker's cwd)
STALE_AFTER = 120                   # seconds a directory nobody works in must be left alone


def leftovers(tmpdir: Path, prefix: str = REPLAY_PREFIX) -> tuple:
    """([(orphaned worker pid, its directory)], stale directories) left by a killed run.

    An orphan is a process leading its own group (as a worker does) whose working directory
    is one of the runner's temporary directories and whose parent is no Python process any more (its orchestrator died and it
    was re-parented to init or a subreaper); a directory is stale when no process works in it.
    Workers of runs still alive have their orchestrator as parent, so they are never touched."""
    tmpdir = Path(tmpdir)
    dirs = {d.resolve() for d in tmpdir.glob(prefix + "*") if d.is_dir()}
    if not dirs:
        return [], []
    busy, orphans = set(), []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cwd = Path(os.readlink(proc / "cwd"))
            parent = (proc / "stat").read_text().rsplit(")", 1)[-1].split()[1]
        except (OSError, IndexError):
            continue
        for folder in dirs:
            if cwd == folder or folder in cwd.parents:
                busy.add(folder)
                # only a worker itself (it leads its own process group) can be an orphan: what it
                # started (a compiler under `sh -c`) has a living, non-Python parent of its own
                if _leads_group(int(proc.name)) and not _is_python(parent):
                    orphans.append((int(proc.name), folder))
    # a directory just made (its worker not started yet) or just left (its result being read)
    # belongs to a live run: only those untouched for a while count as stale
    now = time.time()
    stale = sorted(d for d in dirs - busy if _age(d, now) > STALE_AFTER)
    return orphans, stale


def _age(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except OSError:
        return 0.0


def clean_leftovers(tmpdir: Path, prefix: str = REPLAY_PREFIX) -> tuple:
    """End orphaned workers' groups and remove stale temporary directories whose names start
    with `prefix` (one installation's: paths.replay_prefix); (ended, removed)."""
    import shutil
    orphans, _ = leftovers(tmpdir, prefix)
    for pid, _ in orphans:
        try:
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if orphans:
        time.sleep(0.2)
    _, stale = leftovers(tmpdir, prefix)
    gone = set(stale) | {folder for _, folder in orphans}   # an orphan's folder is a dead run's
    for folder in gone:
        shutil.rmtree(folder, ignore_errors=True)
    return len(orphans), len(gone)


def _is_python(pid: str) -> bool:
    try:
        return b"python" in (Path("/proc") / pid / "cmdline").read_bytes()
    except OSError:
        return False


def _leads_group(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except (ProcessLookupError, PermissionError):
        return False
