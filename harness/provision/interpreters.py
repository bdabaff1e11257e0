"""Finding a Python interpreter for a cell without relying on the shell's PATH or pyenv shims."""
from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from pathlib import Path

from .. import matrix as matrix_module


def pyenv_root() -> Path:
    return Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))


def candidates(version: str) -> list:
    """Places to look, most specific first: $HARNESS_PYTHON_<M>_<m>, pyenv builds, then PATH."""
    found = []
    override = os.environ.get("HARNESS_PYTHON_" + version.replace(".", "_"))
    if override:
        found.append(Path(override))
    versions = pyenv_root() / "versions"
    if versions.is_dir():
        builds = sorted((p for p in versions.iterdir() if p.name.startswith(version + ".")
                         and p.name[len(version) + 1:].isdigit()),
                        key=lambda p: int(p.name.rsplit(".", 1)[1]), reverse=True)
        found += [b / "bin" / "python" for b in builds]
    for name in (f"python{version}",):
        on_path = shutil.which(name)
        if on_path and "/shims/" not in on_path:
            found.append(Path(on_path))
    return found


@functools.lru_cache(maxsize=None)
def find(version: str) -> str | None:
    """Path of a working interpreter reporting `version`, or None."""
    for path in candidates(version):
        if path.is_file() and _reports(path, version):
            return str(path)
    return None


def searched(version: str) -> str:
    return "looked in $HARNESS_PYTHON_%s, %s/versions/%s.*, python%s on PATH" % (
        version.replace(".", "_"), pyenv_root(), version, version)


def version_of(path) -> str | None:
    """MAJOR.MINOR of an interpreter, or None when it does not run or is no Python (a program
    that exits 0 without printing a version, such as /bin/true)."""
    try:
        out = subprocess.run([str(path), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None
    version = out.stdout.strip()
    return version if out.returncode == 0 and re.fullmatch(r"[23]\.\d{1,3}", version) else None


def _reports(path: Path, version: str) -> bool:
    return version_of(path) == version


def check(matrix) -> list:
    """MatrixErrors for cells whose interpreter cannot be found on this machine."""
    problems = []
    for cell in matrix.cells:
        if cell.installer == "existing":
            if version_of(Path(cell.interpreter).expanduser()) != cell.python:
                problems.append(matrix_module.MatrixError(
                    matrix.path, f"interpreter {cell.interpreter} is missing or not Python {cell.python}",
                    cell.name, matrix_module._line_of(matrix.path.read_text(), cell.name)))
        elif find(cell.python) is None:
            problems.append(matrix_module.MatrixError(matrix.path, f"interpreter for Python {cell.python} not found "
                                        f"({searched(cell.python)})", cell.name,
                                        matrix_module._line_of(matrix.path.read_text(), cell.name)))
    return problems
