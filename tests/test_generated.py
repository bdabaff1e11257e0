"""nox, tox and the CI workflow are derived from the one matrix and never go stale."""
import json
import subprocess
import sys

import pytest

from harness import generated, matrix


def test_checked_in_tox_ini_and_workflow_are_fresh(root):
    problems = generated.stale_files(matrix.load(root / "matrix.toml"))
    assert problems == [], "\n".join(problems)


def test_a_changed_matrix_makes_tox_ini_stale(root, tmp_path):
    m = matrix.load(root / "matrix.toml")
    m.cells = m.cells[:-1]
    assert any("tox.ini" in p for p in generated.stale_files(m))


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


def test_a_changed_matrix_makes_the_workflow_stale(root):
    m = matrix.load(root / "matrix.toml")
    m.cells = [c for c in m.cells if c.python != "2.7"]   # a whole interpreter group goes away
    assert any("matrix.yml" in p for p in generated.stale_files(m))


def test_tox_installs_only_what_running_a_cell_needs(root):
    text = generated.tox_ini(matrix.load(root / "matrix.toml"))
    assert "deps = -e {toxinidir}\n" in text and "[publish]" not in text


def test_every_cell_falls_in_exactly_one_workflow_group(root):
    m = matrix.load(root / "matrix.toml")
    found = generated.groups(m)
    for cell in m.cells:
        owners = [g for g in found if g.device == cell.device and cell.python in g.pythons]
        assert len(owners) == 1, cell.name
        assert (owners[0].container is not None) == (cell.python in generated.CONTAINERS)


def test_pull_request_subset_is_small_and_covers_each_api(root):
    m = matrix.load(root / "matrix.toml")
    chosen = [m.get(name) for name in generated.pr_cells(m)]
    assert {c.api for c in chosen} == {"keras2", "tf.keras", "tf-keras", "keras3"}
    assert len(chosen) == 4 and all("default" in c.tags for c in chosen)
