"""Figures redrawn only when what they plot changed.

Beside each figure, `NAME.png.sha256` holds the SHA-256 of the plotted data (with the harness's
and matplotlib's versions, whose drawing code could change the picture). When it matches, the
figure is neither drawn nor written: a run of two cells leaves the figures that do not depend on
them byte for byte, and a machine whose fonts render differently does not rewrite them either.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from .. import __version__

SUFFIX = ".sha256"


def data_hash(data) -> str:
    """A stable hash of plotted data: its repr (dataclasses, tuples, floats, strings) and the
    versions of the code that draws it."""
    try:
        import matplotlib
        drawing = matplotlib.__version__
    except ImportError:   # pragma: no cover - the [publish] extra brings it
        drawing = "none"
    text = f"{__version__}\n{drawing}\n{data!r}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sidecar(path: Path) -> Path:
    return Path(path).with_name(Path(path).name + SUFFIX)


def current(path: Path, data) -> bool:
    """True when `path` exists and was drawn from the same data."""
    mark = sidecar(path)
    return Path(path).is_file() and mark.is_file() and mark.read_text().strip() == data_hash(data)


def draw_once(path: Path, data, draw, staged) -> Path:
    """Call `draw(file)` unless the figure at `path` already shows `data`; then record its hash.
    The figure and its hash are staged (report/files.Staged): renamed in with every other file."""
    path = Path(path)
    if not current(path, data):
        draw(staged.temporary(path))
        staged.write_text(sidecar(path), data_hash(data) + "\n")
    return path


def write_once(path: Path, data: bytes, staged) -> Path:
    """Stage bytes only when they differ from the file's (an image already computed)."""
    path = Path(path)
    if not (path.is_file() and path.read_bytes() == data):
        staged.write_bytes(path, data)
    return path
