"""nox, tox and the CI workflow are derived from the one matrix and never go stale."""
import json
import subprocess
import sys

import pytest

from harness import derived, matrix


def test_checked_in_tox_ini_and_workflow_are_fresh(root):
    problems = derived.stale_files(matrix.load(root / "matrix.toml"))
    assert problems == [], "\n".join(problems)


def test_a_changed_matrix_makes_tox_ini_stale(root, tmp_path):
    m = matrix.load(root / "matrix.toml")
    m.cells = m.cells[:-1]
    assert any("tox.ini" in p for p in derived.stale_files(m))


def test_nox_lists_one_session_per_cell_with_tags(root):
    done = subprocess.run([sys.executable, "-m", "nox", "-l", "--json", "-t", "all"], cwd=root, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    sessions = {s["session"]: s for s in json.loads(done.stdout)}
    cells = matrix.load(root / "matrix.toml").cells
    for cell in cells:
        assert set(cell.tags) <= set(sessions[cell.name]["tags"])
    assert len(sessions) == len(cells)   # nox's default selection is the "default" tag; "all" is every cell


def test_nox_tag_selection(root):
    done = subprocess.run([sys.executable, "-m", "nox", "-l", "-t", "jax"], cwd=root, capture_output=True,
                          text=True, timeout=120)
    selected = [line[2:].split()[0] for line in done.stdout.splitlines() if line.startswith("* ")]
    expected = [c.name for c in matrix.load(root / "matrix.toml").select(tags=["jax"])]
    assert selected == expected and expected


def test_tox_lists_every_cell(root):
    pytest.importorskip("tox")
    done = subprocess.run([sys.executable, "-m", "tox", "-l"], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == matrix.load(root / "matrix.toml").names()


def test_ci_matrix_covers_every_cell(root):
    m = matrix.load(root / "matrix.toml")
    assert [entry["cell"] for entry in derived.ci_matrix(m)] == m.names()
