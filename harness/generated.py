"""Files derived from the matrix and checked in: tox.ini and the scheduled CI workflow.

`harness sync` writes them; `harness check` and a test fail when they are stale.
(noxfile.py reads the matrix at load time, so it cannot go stale.)
"""
from __future__ import annotations

import json
from pathlib import Path

from . import paths
from .matrix import Matrix

HEADER = "# Generated from matrix.toml by `python -m harness sync`; do not edit by hand.\n"
HOST_PYTHON = "3.11"


def tox_ini(m: Matrix) -> str:
    """One tox environment per cell; each is a thin front end over `harness run <cell>`.

    tox's own virtualenv only holds the orchestrator; the cell's environment is built by the
    harness (uv or venv + pip, reused by hash), so nox, tox and the CLI share one cache and an
    install failure becomes a recorded cell outcome instead of a tox error."""
    envs = "\n".join(f"    {c.name}" for c in m.cells)
    sections = "".join(
        f"\n[testenv:{c.name}]\ndescription = {c.api} on {c.backend}, Python {c.python}, {c.device}"
        f" [{', '.join(c.tags)}]\n" for c in m.cells)
    return (HEADER + "[tox]\nrequires = tox>=4\nenv_list =\n" + envs + "\n\n"
            "[testenv]\n"
            f"base_python = python{HOST_PYTHON}\n"
            "package = skip\n"
            "deps = -e {toxinidir}[publish]\n"
            "pass_env = HARNESS_*, PYENV_ROOT, PIP_*, UV_*, HOME\n"
            "change_dir = {toxinidir}\n"
            "commands = python -m harness run {env_name} {posargs}\n"
            + sections)


def ci_matrix(m: Matrix) -> list:
    """The include list of the scheduled CI matrix (the same data `nox -l --json` gives)."""
    return [{"cell": c.name, "python": c.python, "device": c.device,
             "runner": "ubuntu-latest" if c.device == "cpu" else "gpu"} for c in m.cells]


def workflow(m: Matrix) -> str:
    include = json.dumps({"include": ci_matrix(m)}, indent=None)
    return HEADER + f"""name: reproducibility-matrix
on:
  schedule:
    - cron: "17 3 * * 1"
  workflow_dispatch: {{}}
jobs:
  cell:
    runs-on: ${{{{ matrix.runner }}}}
    timeout-minutes: 180
    strategy:
      fail-fast: false
      matrix: {include}
    steps:
      - uses: actions/checkout@v4
      - name: interpreters (pyenv builds, as on the reference machine)
        run: |
          curl -fsSL https://pyenv.run | bash
          export PYENV_ROOT="$HOME/.pyenv"
          "$PYENV_ROOT/bin/pyenv" install -s {HOST_PYTHON}
          "$PYENV_ROOT/bin/pyenv" install -s ${{{{ matrix.python }}}}
          echo "PYENV_ROOT=$PYENV_ROOT" >> "$GITHUB_ENV"
          echo "$PYENV_ROOT/versions/$("$PYENV_ROOT/bin/pyenv" latest {HOST_PYTHON})/bin" >> "$GITHUB_PATH"
      - run: python -m pip install -e ".[publish]" nox
      - run: nox -s "${{{{ matrix.cell }}}}"
      - uses: actions/upload-artifact@v4
        if: always()
        with:
          name: records-${{{{ strategy.job-index }}}}
          path: results/
  publish:
    needs: cell
    if: always()
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "{HOST_PYTHON}"
      - uses: actions/download-artifact@v4
        with:
          path: results/
          pattern: records-*
          merge-multiple: true
      - run: python -m pip install -e ".[publish]"
      - run: python -m harness publish
      - run: python -m harness diff git:HEAD results > diff.md || true
      - uses: actions/upload-artifact@v4
        with:
          name: published-matrix
          path: |
            results/
            diff.md
"""


def targets(m: Matrix) -> dict:
    root = paths.root()
    return {root / "tox.ini": tox_ini(m), root / ".github" / "workflows" / "matrix.yml": workflow(m)}


def stale_files(m: Matrix) -> list:
    """Messages naming derived files that differ from what the matrix gives."""
    problems = []
    for path, text in targets(m).items():
        if not path.is_file() or path.read_text() != text:
            problems.append(f"{path}: stale or missing; run `python -m harness sync` and commit it")
    return problems


def write_all(m: Matrix) -> list:
    written = []
    for path, text in targets(m).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    return written
