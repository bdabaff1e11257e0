"""`harness releases`: ask the package index which releases exist, list the cells the matrix lacks,
and with --write add them to matrix.toml (validated by loading the edited file first)."""
from __future__ import annotations

import os
import tomllib
from pathlib import Path

from .. import matrix
from ..derive import releases as derive_releases
from ..provision import index


class WriteRefused(ValueError):
    """The edited matrix would not load, or would not hold the new cells: nothing was written."""


def find(matrix_path: Path, url: str | None = None, timeout: float = 30.0):
    """(the index asked, the proposals, the projects the index does not have) for a matrix file."""
    m = matrix.load(matrix_path)
    data = tomllib.loads(Path(matrix_path).read_text())
    base = index.index_url(url)
    answers = index.fetch(derive_releases.PROJECTS, base, timeout)
    missing = [name for name in derive_releases.PROJECTS if name not in answers]
    return index.shown(base), derive_releases.find_new(m.cells, data.get("ladder", []), answers), missing


def write(matrix_path: Path, proposals: list) -> matrix.Matrix:
    """Add the proposals to the matrix file, keeping its text; refuse when the result is broken."""
    path = Path(matrix_path)
    text = path.read_text()
    try:
        new_text = derive_releases.edit(text, proposals)
    except derive_releases.EditError as exc:
        raise WriteRefused(f"{path}: not changed: {exc}") from None
    temporary = path.with_name(f".{path.name}.releases-{os.getpid()}")
    try:
        temporary.write_text(new_text)
        try:
            edited = matrix.load(temporary)
        except matrix.MatrixError as exc:
            where = f"line {exc.line}" if exc.line else "the edited file"
            cell = f" [cell {exc.cell}]" if exc.cell else ""
            raise WriteRefused(f"{path}: not changed: with the new cells it would not load "
                               f"({where}{cell}: {exc.problem})") from None
        for proposal in proposals:
            if proposal.name not in edited.names() or \
                    tuple(edited.get(proposal.name).requirements) != tuple(proposal.requirements):
                raise WriteRefused(f"{path}: not changed: the edited file does not define cell "
                                   f"{proposal.name} with {list(proposal.requirements)} (its layout "
                                   f"around {proposal.ladder or '[[cell]]'} is not one this command edits)")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return matrix.Matrix(path, edited.cells)
