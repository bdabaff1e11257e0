"""Writing published files all or nothing: each file is written to a temporary file in its own
folder; only when every one is written are they renamed into place. A failure (a full disk, a
read-only folder, a size limit) removes the temporaries and leaves every file as it was."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

FILE_MODE = 0o644


class WriteError(OSError):
    """A file that could not be written, in one line; nothing was replaced."""

    def __init__(self, path, exc, outcome="every published file was left as it was"):
        super().__init__(f"cannot write {path}: {getattr(exc, 'strerror', None) or exc}; {outcome}")
        self.path = path


class Staged:
    """Files to publish together: write_text/write_bytes/temporary stage them, commit renames."""

    def __init__(self):
        self._pending = {}      # final path -> temporary path
        self._removals = []

    def write_text(self, path, text: str) -> Path:
        return self.write_bytes(path, text.encode("utf-8"))

    def write_bytes(self, path, data: bytes) -> Path:
        tmp = self.temporary(path)
        try:
            with open(tmp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            self.discard()
            raise WriteError(path, exc) from None
        return Path(path)

    def temporary(self, path) -> Path:
        """The staged file that will become `path` (for writers that want a file name, e.g.
        matplotlib's savefig: write it with an explicit format)."""
        path = Path(path)
        if path in self._pending:
            return self._pending[path]
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
            os.close(fd)
            os.chmod(tmp, FILE_MODE)
        except OSError as exc:
            self.discard()
            raise WriteError(path, exc) from None
        self._pending[path] = Path(tmp)
        return Path(tmp)

    def read_bytes(self, path) -> bytes:
        """The staged content of `path`, else the file on disk."""
        return Path(self._pending.get(Path(path), path)).read_bytes()

    def exists(self, path) -> bool:
        return Path(path) in self._pending or Path(path).is_file()

    def remove(self, path) -> None:
        """Remove `path` on commit (a page whose subject left the records)."""
        self._removals.append(Path(path))

    def commit(self) -> list:
        """Rename every staged file into place; return the final paths."""
        done = []
        for path, tmp in self._pending.items():
            try:
                os.replace(tmp, path)
            except OSError as exc:   # renaming needs no space: a folder made read-only meanwhile
                self.discard()
                raise WriteError(path, exc, f"{len(done)} files were already replaced, the rest "
                                            "left as they were; publish again") from None
            done.append(path)
        self._pending = {}
        for path in self._removals:
            try:
                path.unlink()
            except FileNotFoundError:
                pass
        return done

    def discard(self) -> None:
        for tmp in self._pending.values():
            try:
                os.unlink(tmp)
            except OSError:
                pass
        self._pending = {}

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if kind is not None:
            self.discard()
        return False
