"""Child process groups this process started (installers, workers), so that they can be ended
together when the orchestrator is interrupted, terminated or exits."""
from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

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
