"""Kills, signals and concurrent runs, with real orchestrator and worker processes: nothing lost,
nothing orphaned, nothing left in the temporary directory (issue: faults, cases 1, 4, 5)."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, TEST_SCENARIOS, plain_cell
from harness.provision import environments, processes
from harness.ops import plan
from harness.store import machines, records

pytestmark = pytest.mark.slow   # real orchestrator and worker processes, a real environment

PY = "%d.%d" % sys.version_info[:2]
MATRIX = f'''
[[cell]]
name = "slow"
api = "none"
backend = "none"
python = "{PY}"
requirements = ["numpy"]
scenarios = ["held_draw"]
recipes = ["numpy"]
replays = 4
'''


@pytest.fixture(scope="module")
def envs(tmp_path_factory):
    """The cell's environment, built once for the module."""
    folder = tmp_path_factory.mktemp("envs")
    root = tmp_path_factory.mktemp("root")
    (root / "matrix.toml").write_text(MATRIX)
    from harness import matrix
    environments.ensure(matrix.load(root / "matrix.toml").get("slow"), folder)
    return folder


@pytest.fixture
def project(tmp_path, envs):
    root = tmp_path / "root"
    root.mkdir()
    (root / "matrix.toml").write_text(MATRIX)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    (tmp_path / "gate").mkdir()
    env = dict(os.environ, HARNESS_ROOT=str(root), HARNESS_SCENARIOS=str(TEST_SCENARIOS),
               HARNESS_ENVS=str(envs), HARNESS_RESULTS=str(tmp_path / "results"), TMPDIR=str(tmp),
               HELD_DRAW_DIR=str(tmp_path / "gate"), PYTHONPATH=str(ROOT), CI="true",
               PYTHONUNBUFFERED="1")
    return tmp_path, env


class Lines:
    """A process's stdout read as it comes, so a test can wait for a line before going on."""

    def __init__(self, process):
        self.process, self.lines = process, []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    def saw(self, text) -> bool:
        return any(text in line for line in self.lines)

    def finish(self, timeout=240) -> tuple:
        """(stdout, stderr) once the process has ended."""
        self.process.wait(timeout=timeout)
        self.thread.join(timeout=10)
        return "".join(self.lines), self.process.stderr.read()


def held(tmp_path) -> list:
    """Replays of tests/scenarios/held_draw.py waiting for the gate to open."""
    return list((tmp_path / "gate").glob("held-*"))


def open_gate(tmp_path):
    (tmp_path / "gate" / "open").touch()


def _default_sigint():
    """A run started from a background job inherits SIGINT ignored (POSIX shells do that without
    job control), and Python then installs no KeyboardInterrupt handler: give the run the terminal
    default, as an interactive user's run has."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(env, *argv):
    return subprocess.Popen([sys.executable, "-m", "harness", "run", "slow", *argv], env=env,
                            cwd=env["HARNESS_ROOT"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=_default_sigint)


def target(tmp_path):
    return records.recipe_path(tmp_path / "results", machines.this_machine(), "slow", "held_draw", "numpy")


def wait_for(predicate, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def partial_replays(tmp_path) -> list:
    path = plan.partial_path(target(tmp_path))
    try:
        return json.loads(path.read_text())["replays"]
    except (OSError, ValueError):
        return []


def workers_of(tmp) -> list:
    """Worker processes whose temporary directory lies under `tmp` (so: started by this test)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().decode(errors="replace")
        except OSError:
            continue
        if str(tmp) in text and "worker.py" in text:
            found.append(int(cmdline.parent.name))
    return found


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_ends_the_workers_records_the_interruption_and_a_rerun_resumes(project, sig):
    tmp_path, env = project
    process = start(env, "-j", "2")
    # one replay drew and is recorded; a later one is held: the run cannot have finished
    wait_for(lambda: len(partial_replays(tmp_path)) >= 1 and held(tmp_path))
    kept = [r for r in partial_replays(tmp_path) if r["status"] == "ok"]
    process.send_signal(sig)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert err.strip().splitlines() == ["harness run: interrupted"]
    time.sleep(0.5)
    assert not workers_of(tmp_path / "tmp")                       # no orphan
    assert not list((tmp_path / "tmp").glob("harness-replay-*"))  # no temporary directory left
    replays = partial_replays(tmp_path)
    assert "interrupted" in {r["status"] for r in replays}
    assert not target(tmp_path).exists()                          # no record claims to be complete
    open_gate(tmp_path)
    again = start(env, "-j", "2")
    out, err = again.communicate(timeout=180)
    assert again.returncode == 0, err
    final = records.read(target(tmp_path))
    assert final["complete"] and len(final["replays"]) == 4
    assert all(r["status"] == "ok" for r in final["replays"])
    for replay in kept:                                          # not redone
        assert replay in final["replays"]
    assert f"resumed, {len([r for r in replays if r['status'] == 'ok'])} of 4 replays kept" in out


def test_kill_9_loses_at_most_the_running_replays_and_the_rerun_resumes(project):
    tmp_path, env = project
    env = dict(env, HELD_DRAW_FREE="2")
    process = start(env, "-j", "1")
    # two replays recorded, the third held in its worker: it outlives the orchestrator
    wait_for(lambda: len(partial_replays(tmp_path)) >= 2 and held(tmp_path))
    assert workers_of(tmp_path / "tmp")
    process.kill()                      # a SIGKILLed orchestrator cannot end its worker itself
    process.wait()
    kept = partial_replays(tmp_path)
    assert len(kept) >= 2 and not target(tmp_path).exists()
    assert workers_of(tmp_path / "tmp")                 # the orphan runs on for now (held)
    again = Lines(start(env, "-j", "1"))
    wait_for(lambda: again.saw("cleaned up after a killed run: 1 orphaned worker(s) ended"))
    open_gate(tmp_path)
    out, err = again.finish(timeout=180)
    assert again.process.returncode == 0, err
    final = records.read(target(tmp_path))["replays"]
    assert len(final) == 4 and all(r in final for r in kept)
    assert not workers_of(tmp_path / "tmp")
    assert not list((tmp_path / "tmp").glob("harness-replay-*"))


def test_two_runs_of_one_cell_at_once_take_turns_and_lose_nothing(project):
    tmp_path, env = project
    env = dict(env, HELD_DRAW_FREE="0")
    first = start(env, "-j", "2")
    wait_for(lambda: held(tmp_path))                 # the first run holds the cell's records
    second = Lines(start(env, "-j", "2"))
    wait_for(lambda: second.saw("waiting: another run is writing this cell's records"))
    open_gate(tmp_path)
    outs = [first.communicate(timeout=240), second.finish()]
    assert first.returncode == second.process.returncode == 0, outs
    final = records.read(target(tmp_path))
    assert final["complete"] and len(final["replays"]) == 4
    text = outs[1][0]
    assert "waiting: another run is writing this cell's records" in text
    assert "current (recorded by another run meanwhile)" in text


def test_a_rebuild_waits_for_the_run_using_the_environment(project):
    tmp_path, env = project
    env = dict(env, HELD_DRAW_FREE="0")
    user = start(env, "-j", "1", "--replays", "2")
    wait_for(lambda: held(tmp_path))                 # the run is using the environment
    code = ("import sys; from harness import matrix; from harness.provision import environments; "
            "cell = matrix.load().get('slow'); "
            "o = environments.ensure(cell, sys.argv[1], rebuild=True, echo=print); print(o.status)")
    rebuild = Lines(subprocess.Popen([sys.executable, "-c", code, env["HARNESS_ENVS"]], env=env,
                                     cwd=env["HARNESS_ROOT"], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True))
    wait_for(lambda: rebuild.saw("waiting: another run is using or building this environment"))
    assert user.poll() is None and rebuild.process.poll() is None
    open_gate(tmp_path)
    out, err = user.communicate(timeout=120)
    assert user.returncode == 0, err
    rebuilt, rebuild_err = rebuild.finish(timeout=300)
    assert rebuilt.strip().endswith("ok") and "Traceback" not in rebuild_err
    assert all(r["status"] == "ok" for r in records.read(target(tmp_path))["replays"])


def test_an_unfinished_build_is_removed_with_a_message_and_built_again(tmp_path, envs):
    cell = plain_cell("unfinished")
    path = environments.env_path(cell, tmp_path)
    (path / "lib").mkdir(parents=True)
    (path / "lib" / "half-written").write_text("x")
    said = []
    outcome = environments.ensure(cell, tmp_path, echo=said.append)
    assert outcome.status == "ok" and not outcome.reused
    assert any("removing an unfinished environment" in line for line in said)
    assert not (path / "lib" / "half-written").exists()
    assert not list((tmp_path / ".trash").iterdir())


def test_a_build_cut_short_leaves_no_marker(tmp_path):
    cell = plain_cell("cut-short", requirements=("numpy", "six"))
    processes.stopping.set()
    try:
        with pytest.raises(environments.InstallError, match="interrupted"):
            environments.build(cell, environments.env_path(cell, tmp_path))
    finally:
        processes.stopping.clear()
    assert not (environments.env_path(cell, tmp_path) / environments.MARKER).exists()
    assert environments.current(cell, tmp_path) is None


def test_only_temporary_directories_nobody_uses_for_a_while_are_removed(tmp_path):
    fresh = tmp_path / "harness-replay-fresh"
    old = tmp_path / "harness-replay-old"
    mine = tmp_path / "harness-replay-in-use"
    for folder in (fresh, old, mine):
        folder.mkdir()
    long_ago = time.time() - 3600
    os.utime(old, (long_ago, long_ago))
    os.utime(mine, (long_ago, long_ago))
    user = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], cwd=mine)
    try:
        wait_for(lambda: Path(os.readlink(f"/proc/{user.pid}/cwd")) == mine.resolve())
        assert processes.clean_leftovers(tmp_path) == (0, 1)   # its parent (this test) is alive
        assert fresh.exists() and mine.exists() and not old.exists()
    finally:
        user.kill()
        user.wait()


def test_a_workers_own_children_are_never_taken_for_orphans(tmp_path):
    """A worker (its group's leader, child of this Python process) runs `sh -c sleep`: the sleep's
    parent is sh, not Python, yet it belongs to a live worker and must be left alone."""
    folder = tmp_path / "harness-replay-live"
    folder.mkdir()
    worker = subprocess.Popen([sys.executable, "-c", "import subprocess; subprocess.run(['sh', '-c', 'sleep 30; true'])"],
                              cwd=folder, start_new_session=True)
    try:
        wait_for(lambda: len(processes.children(worker.pid)) == 1)
        shell = processes.children(worker.pid)[0]
        wait_for(lambda: processes.children(shell))
        assert processes.leftovers(tmp_path)[0] == []
        assert processes.clean_leftovers(tmp_path) == (0, 0)
        assert worker.poll() is None
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


# --- publish on a failing disk: every file as it was, one line saying why ---------------------------
INTEL = ROOT / "tests" / "data" / "results"
AMD = ROOT / "tests" / "data" / "second-machine" / "results"
README = ("# x\n<!-- matrix:start (generated by `harness publish`; do not edit) -->\nOLD\n"
          "<!-- matrix:end -->\nThe user's text after the block.\n" + "more text\n" * 2000)


def published_tree(folder: Path) -> Path:
    """A project root with a README and a matrix, and `folder`/out published from one machine."""
    root = folder / "root"
    root.mkdir()
    (root / "matrix.toml").write_text((ROOT / "matrix.toml").read_text())
    (root / "README.md").write_text(README)
    done = publish(root, INTEL, folder / "out")
    assert done.returncode == 0, done.stderr
    return root


def publish(root, results, out, preexec_fn=None):
    return subprocess.run([sys.executable, "-m", "harness", "--results", str(results), "publish", "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300, preexec_fn=preexec_fn,
                          env=dict(os.environ, HARNESS_ROOT=str(root), MPLBACKEND="Agg"))


def snapshot(*folders) -> dict:
    return {p: p.read_bytes() for f in folders for p in sorted(Path(f).rglob("*")) if p.is_file()}


def two_machines(tmp_path) -> Path:
    """Records of two machines: publishing them changes every table of the one-machine tree."""
    results = tmp_path / "both"
    from harness import cli
    assert cli.main(["--results", str(results), "merge", str(INTEL), str(AMD)]) == 0
    return results


def assert_failed_cleanly(done, before, root, out):
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "left as it was" in done.stderr
    assert snapshot(root, out) == before                      # README whole, tables whole, nothing added
    assert (root / "README.md").read_text().endswith("more text\n")


def test_a_publish_that_hits_the_file_size_limit_leaves_every_file_as_it_was(tmp_path):
    """RLIMIT_FSIZE (set in the child only) makes every write past 8 KB fail, as a full disk would."""
    import resource
    root = published_tree(tmp_path)
    results = two_machines(tmp_path)
    before = snapshot(root, tmp_path / "out")
    limit = lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))
    done = publish(root, results, tmp_path / "out", preexec_fn=limit)
    assert_failed_cleanly(done, before, root, tmp_path / "out")
    assert publish(root, results, tmp_path / "out").returncode == 0     # and without the limit it works
    assert snapshot(root, tmp_path / "out") != before


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 2 MB tmpfs (needs root; skipped where mounting is not allowed)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: " + done.stderr.decode(errors="replace").strip())
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_a_publish_on_a_full_disk_leaves_readme_and_tables_whole(tmp_path, small_tmpfs):
    root = published_tree(small_tmpfs)
    results = two_machines(tmp_path)
    filler = small_tmpfs / "filler"
    with open(filler, "wb", buffering=0) as handle:     # fill the disk, then free 16 KB
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError:
            pass
    os.truncate(filler, max(0, filler.stat().st_size - 16384))
    before = snapshot(root, small_tmpfs / "out")
    done = publish(root, results, small_tmpfs / "out")
    assert "No space left on device" in done.stderr
    assert_failed_cleanly(done, before, root, small_tmpfs / "out")


def test_a_publish_into_a_read_only_folder_says_so_in_one_line(tmp_path):
    root = published_tree(tmp_path)
    out = tmp_path / "out"
    done = subprocess.run(["mount", "--bind", "-o", "ro", str(out), str(out)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot bind-mount read-only here")
    try:
        before = snapshot(root, out)
        done = publish(root, two_machines(tmp_path), out)
        assert "Read-only file system" in done.stderr
        assert_failed_cleanly(done, before, root, out)
    finally:
        subprocess.run(["umount", str(out)], capture_output=True)


# --- the worker's error path and a scenario's own TIMEOUT ------------------------------------------
def test_a_long_error_message_is_recorded_in_seconds_and_cut_to_the_limit(tmp_path):
    """ValueError('A' * 300000) once hung the worker in a quadratic regex until the timeout."""
    from harness.execute import runner
    scenario = tmp_path / "long_error.py"
    scenario.write_text('NAME = "long_error"\nREPEATS = 1\n\n\ndef run_once(keras, np):\n'
                        '    raise ValueError("A" * 300000 + " the end")\n')
    started = time.time()
    replay = runner.run_replay(sys.executable, plain_cell(), scenario, "numpy", 120)
    assert time.time() - started < 30
    assert replay["status"] == "crashed", replay.get("error_summary")
    message = replay["error"]["message"]
    assert message.startswith("AAAA") and message.endswith(" the end") and "characters cut" in message
    assert len(message) < 5000 and replay["error_summary"].startswith("ValueError: AAAA")


def test_the_worker_searches_an_error_of_ten_million_characters_in_linear_time():
    from harness.execute import worker
    for text in ("A" * 10 ** 7, "{{node " * 10 ** 6, "[Op:" + "a" * 10 ** 6, "GPU " * 10 ** 6 + "deterministic",
                 "a" * 10 ** 7 + " does not have a deterministic", "deterministic GPU implementation of " * 10 ** 5):
        started = time.time()
        assert worker.determinism_refusal(text) is None
        assert time.time() - started < 5, text[:10]
    assert worker.determinism_refusal("x " * 1000 + "aten::foo does not have a deterministic implementation") \
        == "aten::foo"


def test_a_scenarios_own_timeout_bounds_a_longer_cell_timeout(tmp_path, monkeypatch):
    from harness.execute import runner
    monkeypatch.setenv("HANG_PID_FILE", str(tmp_path / "pids"))
    scenario = tmp_path / "hangs_briefly.py"
    scenario.write_text("TIMEOUT = 3\n" + (TEST_SCENARIOS / "hangs.py").read_text())
    started = time.time()
    replay = runner.run_replay(sys.executable, plain_cell(timeout=1200), scenario, "none", 1200)
    assert replay["status"] == "timed-out" and replay["error_summary"] == "killed after 3s"
    assert time.time() - started < 60
    worker, child = map(int, (tmp_path / "pids").read_text().split())
    from test_runner import alive
    assert wait_for(lambda: not alive(worker) and not alive(child), 30)
    assert runner.replay_timeout(scenario, 2) == 2            # a smaller caller's timeout still wins


# --- clean-up touches only this installation's leftovers ------------------------------------------
def test_clean_up_removes_only_what_this_installation_left(project):
    """Another checkout's stale replay directory in the shared temporary directory is not ours
    to remove; ours (same results and environments roots) is, with the message."""
    from harness import paths
    tmp_path, env = project
    open_gate(tmp_path)          # nothing here is to be interrupted: every draw goes through
    tmp = Path(env["TMPDIR"])
    ours = tmp / (paths.replay_prefix(env["HARNESS_RESULTS"], env["HARNESS_ENVS"]) + "left")
    theirs = tmp / (paths.replay_prefix(tmp_path / "other-clone" / "results", env["HARNESS_ENVS"]) + "left")
    untagged = tmp / "harness-replay-oldstyle"                 # an older harness's, of no known owner
    long_ago = time.time() - 3600
    for folder in (ours, theirs, untagged):
        folder.mkdir()
        os.utime(folder, (long_ago, long_ago))
    done = subprocess.run([sys.executable, "-m", "harness", "run", "slow", "--replays", "1"], env=env,
                          cwd=env["HARNESS_ROOT"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "cleaned up after a killed run: 0 orphaned worker(s) ended, 1 leftover temporary directory removed" \
        in done.stdout
    assert not ours.exists() and theirs.exists() and untagged.exists()
    assert sorted(p.name for p in tmp.iterdir()) == sorted([theirs.name, untagged.name])   # its own cleaned
    done = subprocess.run([sys.executable, "-m", "harness", "run", "slow", "--replays", "2"], env=env,
                          cwd=env["HARNESS_ROOT"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "cleaned up" not in done.stdout
