"""Locks (locks/<cell>.txt): the file format, `harness lock` and `harness check` on real files and
real processes, the closure mark against the committed records, and builds from a lock (real uv)."""
import json
import os
import subprocess
import sys

import pytest

from harness import matrix, paths
from harness.derive import closure
from harness.ops import lock as lock_ops
from harness.provision import environments
from harness.report import evidence, tables
from harness.provision import lockfiles
from harness.store.resultset import ResultSet
from harness.derive import outcomes

ROOT = paths.PACKAGE_DIR.parent
JAX = "keras3.15.1-jax0.10.2-python3.11"          # built on all four machines
JAX_312 = "keras3.15.1-jax0.10.2-python3.12"      # recorded on b84f6cf6f9 only, never built here


def harness(*args, env=None, cwd=ROOT):
    full = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True,
                          cwd=cwd, env=full, timeout=300)


# --------------------------------------------------------------------------------------------
# The file format
# --------------------------------------------------------------------------------------------
def test_a_lock_reads_its_pins_header_and_annotations(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("# harness lock: the full closure of cell c\n# python: 3.6\n\n"
                    "Keras==2.3.1\ncntk==2.7.post2  # installs as 2.7\nsix==1.17.0\n")
    lock = lockfiles.read(path)
    assert lock.header["python"] == "3.6" and lock.lines["python"] == 2
    assert lock.pins["keras"].line == 4 and lock.pins["keras"].text == "Keras==2.3.1"
    assert lock.versions()["cntk"] == "2.7.post2" and lock.installed()["cntk"] == "2.7"


@pytest.mark.parametrize("body, line, words", [
    ("six==1.17.0\nnumpy>=1.0\n", 2, "not an exact pin"),
    ("six==1.17.0\n-f /opt/wheels\n", 2, "not an exact pin"),
    ("Six==1.17.0\n# c\nsix==1.16.0\n", 3, "pinned twice (first on line 1)"),
])
def test_a_bad_lock_line_is_named_by_file_and_line(tmp_path, body, line, words):
    path = tmp_path / "c.txt"
    path.write_text(body)
    with pytest.raises(lockfiles.LockError) as caught:
        lockfiles.read(path)
    assert str(caught.value).startswith(f"{path}:{line}: ") and words in str(caught.value)


def test_an_empty_lock_is_refused(tmp_path):
    (tmp_path / "c.txt").write_text("# python: 3.11\n")
    with pytest.raises(lockfiles.LockError, match="no pins"):
        lockfiles.read(tmp_path / "c.txt")


def test_format_sorts_by_normalized_name_and_reads_back(tmp_path):
    text = lockfiles.format_lock("c", ["zlib-x==1", "PyYAML==6.0.1", "absl_py==2.0"], {"python": "3.11"})
    pins = [line for line in text.splitlines() if not line.startswith("#")]
    assert pins == ["absl_py==2.0", "PyYAML==6.0.1", "zlib-x==1"]
    assert lockfiles.parse(text).header["python"] == "3.11"
    with pytest.raises(lockfiles.LockError, match="not an exact pin"):
        lockfiles.format_lock("c", ["torch @ file:///opt/wheels/torch.whl"], {})


# --------------------------------------------------------------------------------------------
# The committed locks
# --------------------------------------------------------------------------------------------
def test_every_cell_the_harness_installs_has_a_lock_the_matrix_agrees_with():
    done = harness("lock")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    m = matrix.load()
    assert {c.name for c in m.cells if lock_ops.lockable(c)} <= \
        {p.stem for p in (ROOT / "locks").glob("*.txt")}


def test_a_lock_written_from_this_machines_environment_is_its_freeze():
    """The default cells' locks came from /work/main/.envs markers or records; either way the
    record of this machine (fc9bdb106a) made from that environment lists the same packages."""
    lock = lockfiles.read(ROOT / "locks" / f"{JAX}.txt")
    record = json.loads((ROOT / "results/records/fc9bdb106a" / JAX / "environment.json").read_text())
    assert sorted(p.text for p in lock.pins.values()) == sorted(record["outcome"]["packages"])


# --------------------------------------------------------------------------------------------
# The closure mark on the committed records
# --------------------------------------------------------------------------------------------
def _versions_in(path, name):
    packages = json.loads(path.read_text())["outcome"]["packages"]
    return next(p.split("==")[1] for p in packages if p.startswith(name + "=="))


def test_a_record_from_another_closure_is_marked_against_the_lock():
    records = ROOT / "results" / "records"
    intel = _versions_in(records / "b84f6cf6f9" / JAX / "environment.json", "ml-dtypes")
    here = _versions_in(records / "fc9bdb106a" / JAX / "environment.json", "ml-dtypes")
    locked = lockfiles.read(ROOT / "locks" / f"{JAX}.txt").pins["ml-dtypes"].version
    assert intel != locked and here == locked          # the facts in the files, read directly
    rs = ResultSet.load(ROOT / "results")
    locks = {JAX: lockfiles.read(ROOT / "locks" / f"{JAX}.txt").installed()}
    found = [o for o in outcomes.outcomes(rs, None, locks) if o.cell_name == JAX]
    by_machine = {o.machine: o.closure for o in found}
    assert by_machine["b84f6cf6f9"] == (closure.Difference("ml-dtypes", intel, locked),)
    assert by_machine["fc9bdb106a"] == ()
    assert tables.closure_text(by_machine["b84f6cf6f9"]) == \
        f"closure differs from lock: ml-dtypes {intel} (lock {locked})"
    headers, rows, _ = tables.matrix_rows([o for o in found if o.scenario == "canonical_mlp"])
    assert rows[0][headers.index("machines")].split() == ["122c", "b84f‡", "dc84‡", "fc9b"]
    shown = evidence.show_cell(rs, JAX, ["full"], "b84f", {o.machine: o.closure for o in found})
    assert f"‡ closure differs from lock: ml-dtypes {intel} (lock {locked})" in shown


def test_the_cell_page_names_the_differing_packages_in_the_marked_machines_section():
    from harness.report import site_cells
    rs = ResultSet.load(ROOT / "results")
    locks = {JAX: lockfiles.read(ROOT / "locks" / f"{JAX}.txt").installed()}
    members = [o for o in outcomes.outcomes(rs, None, locks) if o.cell_name == JAX]
    page = site_cells.cell_body(rs, JAX, members)
    sections = {part.split('"', 1)[0]: part for part in page.split('<h2 id="m-')[1:]}
    assert "closure differs from lock: ml-dtypes 0.6.0 (lock 0.7.0)" in sections["b84f6cf6f9"]
    assert "closure differs" not in sections["fc9bdb106a"]


def test_harness_show_prints_the_mark_only_where_the_closure_differs():
    done = harness("show", JAX, "--recipe", "full")
    assert done.returncode == 0, done.stderr
    sections = done.stdout.split("\nmachine ")
    marked = {s.split(":")[0] for s in sections[1:] if "closure differs from lock" in s}
    assert marked == {"b84f6cf6f9", "dc84521ea4"}


def test_differences_name_missing_and_extra_packages():
    found = closure.differences(["a==1", "B_c==2", "extra==3"], {"a": "1", "b-c": "2.1", "gone": "4"})
    assert found == (closure.Difference("b-c", "2", "2.1"), closure.Difference("extra", "3", None),
                     closure.Difference("gone", None, "4"))


# --------------------------------------------------------------------------------------------
# harness lock and harness check on a small project
# --------------------------------------------------------------------------------------------
SMALL = """schema = 1
[[cell]]
name = "tiny"
api = "none"
backend = "none"
python = "3.11"
requirements = ["six==1.16.0"]
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / "matrix.toml").write_text(SMALL)
    (tmp_path / "results").mkdir()
    return tmp_path


def test_harness_lock_exit_codes_and_check_naming_file_and_line(project):
    env = {"HARNESS_ROOT": str(project)}
    missing = harness("lock", env=env)
    assert missing.returncode == 1 and "tiny: locks/tiny.txt: no lock" in missing.stdout
    (project / "locks").mkdir()
    (project / "locks" / "tiny.txt").write_text("# python: 3.11\nsix==1.16.0\n")
    ok = harness("lock", env=env)
    assert ok.returncode == 0 and "tiny: ok" in ok.stdout
    (project / "locks" / "tiny.txt").write_text("# python: 3.10\n# note\nsix==1.17.0\n")
    wrong = harness("lock", env=env)
    assert wrong.returncode == 1
    assert "locks/tiny.txt:1: locked for Python 3.10, the cell is Python 3.11" in wrong.stdout
    assert "locks/tiny.txt:3: six==1.17.0 does not satisfy the matrix's requirement six==1.16.0" in wrong.stdout
    checked = harness("check", env=env)
    assert checked.returncode == 1
    assert "locks/tiny.txt:3: [cell tiny] six==1.17.0 does not satisfy" in checked.stderr
    (project / "locks" / "tiny.txt").write_text("# python: 3.11\nsix=1.16.0\n")
    bad = harness("check", env=env)
    assert "locks/tiny.txt:2: [cell tiny] not an exact pin" in bad.stderr


def test_harness_lock_write_takes_a_records_closure_without_resolving(project, tmp_path):
    """The real matrix's Python 3.12 JAX cell was recorded on b84f6cf6f9 only: its lock comes
    from that record (no index is asked: HTTP is pointed at a dead proxy)."""
    locks = tmp_path / "locks-out"
    env = {"HARNESS_LOCKS": str(locks), "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    done = harness("lock", "--write", JAX_312, "--envs", str(tmp_path / "no-envs"), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    lock = lockfiles.read(locks / f"{JAX_312}.txt")
    record = json.loads((ROOT / "results/records/b84f6cf6f9" / JAX_312 / "environment.json").read_text())
    assert sorted(p.text for p in lock.pins.values()) == sorted(record["outcome"]["packages"])
    assert "b84f6cf6f9" in lock.header["source"] and lock.header["python"] == "3.12"
    again = harness("lock", JAX_312, env=env)
    assert again.returncode == 0 and f"{JAX_312}: ok" in again.stdout


def test_a_lock_keeps_the_matrix_pin_of_a_wheel_that_reports_another_version():
    cell = matrix.load().get("keras2.3.1-cntk2.7-python3.6")
    lock = lockfiles.read(ROOT / "locks" / f"{cell.name}.txt")
    assert lock.pins["cntk"].version == "2.7.post2" and lock.installed()["cntk"] == "2.7"
    assert lock_ops.exact_pins(cell, ["cntk==2.7", "keras==2.3.1"]) == {"cntk": "2.7.post2"}


# --------------------------------------------------------------------------------------------
# Builds from a lock (real uv, the package index)
# --------------------------------------------------------------------------------------------
def _tiny(**changes):
    fields = dict(name="tiny", api="none", backend="none", python="%d.%d" % sys.version_info[:2],
                  requirements=("six",))
    fields.update(changes)
    return matrix.Cell(**fields)


@pytest.mark.e2e
def test_an_environment_is_built_from_its_lock_and_rebuilt_when_the_lock_changes(tmp_path):
    cell, envs, locks = _tiny(), tmp_path / "envs", tmp_path / "locks"
    unlocked = environments.ensure(cell, envs, locks_dir=locks)
    assert unlocked.status == "ok" and unlocked.lock == "unlocked"
    locks.mkdir()
    (locks / "tiny.txt").write_text("# python: x\nsix==1.16.0\n")
    first = environments.ensure(cell, envs, locks_dir=locks)
    assert first.status == "ok" and not first.reused, first.error
    assert first.packages == ["six==1.16.0"]           # the lock's pin, not today's newest six
    assert first.lock["sha256"] == lockfiles.read(locks / "tiny.txt").sha256
    assert environments.ensure(cell, envs, locks_dir=locks).reused
    (locks / "tiny.txt").write_text("# python: x\nsix==1.15.0\n")
    second = environments.ensure(cell, envs, locks_dir=locks)
    assert not second.reused and second.packages == ["six==1.15.0"]
    # an environment built before locks were recorded, holding exactly the lock's pins, stays
    marker = environments.env_path(cell, envs) / environments.MARKER
    saved = json.loads(marker.read_text())
    del saved["lock"]
    marker.write_text(json.dumps(saved))
    assert environments.current(cell, envs, locks) is not None
    (locks / "tiny.txt").write_text("# python: x\nsix==1.16.0\n")
    assert environments.current(cell, envs, locks) is None


@pytest.mark.e2e
def test_harness_lock_refresh_resolves_with_uv_pip_compile(project):
    done = harness("lock", "--refresh", env={"HARNESS_ROOT": str(project)})
    assert done.returncode == 0, done.stdout + done.stderr
    lock = lockfiles.read(project / "locks" / "tiny.txt")
    assert [p.text for p in lock.pins.values()] == ["six==1.16.0"]
    assert lock.header["source"].startswith("uv pip compile --python-version 3.11")


@pytest.mark.e2e
@pytest.mark.oldpython
def test_the_pip_path_of_an_old_python_installs_the_lock_without_resolving(tmp_path):
    if not list((paths.Path.home() / ".pyenv" / "versions").glob("3.6.*")):
        pytest.skip("no Python 3.6 here")
    cell, locks = _tiny(python="3.6"), tmp_path / "locks"
    locks.mkdir()
    (locks / "tiny.txt").write_text("# python: 3.6\nsix==1.15.0\n")
    built = environments.ensure(cell, tmp_path / "envs", locks_dir=locks)
    assert built.status == "ok" and built.installer == "pip", built.error
    assert "six==1.15.0" in built.packages and isinstance(built.lock, dict)
    log = environments.install_log(environments.env_path(cell, tmp_path / "envs")).read_text()
    assert "pip install --no-deps -r " + str(locks / "tiny.txt") in log


@pytest.mark.e2e
@pytest.mark.oldpython
def test_harness_lock_refresh_of_an_old_python_freezes_a_throwaway_build(tmp_path):
    if not list((paths.Path.home() / ".pyenv" / "versions").glob("3.6.*")):
        pytest.skip("no Python 3.6 here")
    (tmp_path / "matrix.toml").write_text(SMALL.replace('"3.11"', '"3.6"'))
    done = harness("lock", "--refresh", env={"HARNESS_ROOT": str(tmp_path)})
    assert done.returncode == 0, done.stdout + done.stderr
    lock = lockfiles.read(tmp_path / "locks" / "tiny.txt")
    assert lock.versions()["six"] == "1.16.0" and lock.versions()["pip"] == "21.3.1"  # the bootstrap pin
    assert lock.header["source"].startswith("a throwaway pip build on Python 3.6")
    assert not list(tmp_path.glob("**/harness-env.json"))     # nothing of the build is left
