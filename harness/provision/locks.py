"""Advisory locks between harness processes (fcntl.flock; released by the kernel when a process dies).

Two kinds, both per cell:

* the environment lock, <envs>/.locks/<cell>.lock: a run holds it *shared* while its workers use
  the environment; a build or a --rebuild holds it *exclusive*, so an environment is never
  deleted or rebuilt under a running worker;
* the records lock, on the directory results/records/<machine>/<cell>: one run at a time writes a
  cell's records; a second run of the same cell waits, then finds the first one's records current.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path


class Lock:
    """One flock on one file or directory; `shared` or exclusive; usable as a context manager."""

    def __init__(self, path: Path, directory: bool = False):
        self.path = Path(path)
        if directory:
            self.path.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        self.mode = None

    def acquire(self, shared: bool = False, on_wait=None) -> "Lock":
        """Take the lock, calling on_wait() once first when another process holds it."""
        flag = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        try:
            fcntl.flock(self.fd, flag | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(self.fd, flag)
        self.mode = "shared" if shared else "exclusive"
        return self

    def release(self) -> None:
        if self.mode is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            self.mode = None

    def close(self) -> None:
        if self.fd is not None:
            self.release()
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def env_lock(envs: Path, cell: str) -> Lock:
    return Lock(Path(envs) / ".locks" / f"{cell}.lock")


def records_lock(cell_records: Path) -> Lock:
    return Lock(cell_records, directory=True)
