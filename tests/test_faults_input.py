"""Bad input gets a clear message naming the file, line and cell; never a traceback or a write
outside the roots (issue: faults and bad input, cases 2, 3, 6, 8, 10, 11, 12)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, plain_cell
from harness import cli, matrix
from harness.store import records

CELL = '''
[[cell]]
name = "c1"
api = "none"
backend = "none"
python = "3.11"
requirements = ["numpy"]
'''


def load(tmp_path, text):
    path = tmp_path / "matrix.toml"
    path.write_text(text)
    return matrix.load(path)


def error_of(tmp_path, text) -> str:
    with pytest.raises(matrix.MatrixError) as info:
        load(tmp_path, text)
    return str(info.value)


@pytest.mark.parametrize("name", ["../../../../tmp/x/evil", "/tmp/evil", "a/b", "..", "x..y", ""])
def test_a_scenario_name_that_is_not_a_safe_file_name_is_refused(tmp_path, name):
    message = error_of(tmp_path, CELL + f"scenarios = [{json.dumps(name)}]\n")
    assert "scenario" in message and "[cell c1]" in message and "matrix.toml:" in message


def test_a_tag_with_a_newline_cannot_reach_tox_ini(tmp_path):
    message = error_of(tmp_path, CELL + 'tags = ["x\\ncommands = touch /tmp/PWNED"]\n')
    assert "tag" in message and "[cell c1]" in message


@pytest.mark.parametrize("line, words", [
    ('replays = "abc"', "replays must be a positive integer"),
    ("replays = 0", "replays must be a positive integer"),
    ("replays = -1", "replays must be a positive integer"),
    ("timeout = -5", "timeout must be a positive number"),
    ("timeout = true", "timeout must be a positive number"),
    ('recipes = "full"', "recipes must be a list of strings"),
    ('scenarios = "canonical_mlp"', "scenarios must be a list of strings"),
    ('env = {"A B" = "1"}', "env"),
    ('env = {X = "a\\nb"}', "env"),
])
def test_cell_values_are_checked_with_file_line_and_cell(tmp_path, line, words):
    message = error_of(tmp_path, CELL + line + "\n")
    assert words in message and "matrix.toml:3 [cell c1]" in message


def test_replays_in_defaults_are_checked_too(tmp_path):
    message = error_of(tmp_path, '[defaults]\nreplays = "abc"\n' + CELL)
    assert "replays must be a positive integer" in message and "c1" in message


def test_an_unknown_ladder_placeholder_names_the_ladder(tmp_path):
    text = ('[[ladder]]\nname_template = "k{version}-{nope}"\nversions = ["1"]\napi = "none"\n'
            'backend = "none"\npython = "3.11"\nrequirements = ["numpy=={version}"]\n')
    message = error_of(tmp_path, text)
    assert "placeholder" in message and "nope" in message and "k{version}-{nope}" in message


def test_a_duplicate_cell_points_at_the_duplicate(tmp_path):
    message = error_of(tmp_path, CELL + "\n" + CELL)
    assert ":11 [cell c1]" in message and "first defined at line 3" in message


def test_the_project_matrix_still_loads():
    assert matrix.load(ROOT / "matrix.toml").cells


# --- the CLI ------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv", [
    ["run", "--replays", "0"], ["run", "--replays", "-1"], ["run", "--replays", "abc"],
    ["run", "--timeout", "0"], ["run", "--timeout", "-1"], ["run", "--timeout", "inf"],
    ["run", "--timeout", "nan"], ["run", "-j", "0"], ["stats", "--n", "0"],
    ["run", "--replays", "99999999999"], ["run", "--timeout", "1e12"], ["run", "-j", "100000"],
    ["stats", "--n", "99999999999"], ["stats", "--per-process", "10001"], ["identify", "1", "--top", "10001"],
    ["run", "--replays", "9" * 5000],
])
def test_cli_values_are_validated_by_argparse(argv, capsys):
    with pytest.raises(SystemExit) as info:
        cli.build_parser().parse_args(argv)
    assert info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_a_huge_replay_count_is_one_clear_line_without_a_traceback():
    done = harness("run", "--replays", "99999999999")
    assert done.returncode == 2 and "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == \
        "harness run: error: argument --replays: 99999999999 is more than the 10000 allowed"


@pytest.mark.parametrize("line", ["replays = 99999999999", "timeout = 1e12"])
def test_matrix_values_have_upper_bounds(tmp_path, line):
    message = error_of(tmp_path, CELL + line + "\n")
    assert "must be at most" in message and "matrix.toml:3 [cell c1]" in message


def harness(*argv, env=None, cwd=None, **kw):
    return subprocess.run([sys.executable, "-m", "harness", *argv], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd or ROOT, timeout=120, **kw)


def fake_root(tmp_path):
    """A project root of its own (README, matrix) so nothing of the checkout is touched."""
    root = tmp_path / "root"
    root.mkdir()
    (root / "matrix.toml").write_text(CELL)
    readme = "# x\n<!-- matrix:start -->\nTABLE\n<!-- matrix:end -->\n"
    (root / "README.md").write_text(readme)
    return root, readme


@pytest.mark.parametrize("results", ["missing", "empty"])
def test_publish_refuses_a_missing_or_empty_results_directory_and_leaves_the_readme(tmp_path, results):
    root, readme = fake_root(tmp_path)
    folder = tmp_path / results
    if results == "empty":
        folder.mkdir()
    done = harness("--results", str(folder), "publish", env={"HARNESS_ROOT": str(root)})
    assert done.returncode == 2, done.stderr
    assert "error" in done.stderr and "Traceback" not in done.stderr
    assert (root / "README.md").read_text() == readme
    assert results == "empty" or not folder.exists()


def test_run_refuses_an_unwritable_results_directory_before_building(tmp_path):
    root, _ = fake_root(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    done = harness("--results", str(blocker / "results"), "run", "c1", "--envs", str(tmp_path / "envs"),
                   env={"HARNESS_ROOT": str(root)})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert str(blocker) in done.stderr
    assert not (tmp_path / "envs").exists()        # refused before any environment was built


def test_show_piped_into_head_prints_no_traceback(tmp_path):
    data = ROOT / "tests" / "data" / "results"
    cells = sorted(p.name for p in data.rglob("environment.json") for p in [p.parent])
    if not cells:
        pytest.skip("no recorded cell in tests/data/results")
    script = (f"{sys.executable} -m harness --results {data} show {cells[0]} | head -n 1")
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
    assert done.stdout.strip()


# --- records with a bad shape: reported with file and field, skipped, never a traceback ------------
def bad_records(results: Path, machine="m1"):
    good = {"cell": plain_cell("c1", scenarios=("s",), recipes=("numpy",)).as_dict(),
            "machine": machine, "scenario": {"name": "s", "sha256": None}, "recipe": "numpy",
            "replays": [{"status": "ok", "values": [1.0], "index": 0},
                        {"status": "ok", "values": [1.0], "index": 1}],
            "complete": True}
    records.write(records.recipe_path(results, machine, "c1", "s", "numpy"), "replays", good)
    for recipe, replays in (("full", {"0": {}}), ("strict", None)):
        path = records.recipe_path(results, machine, "c1", "s", recipe)
        records.write(path, "replays", dict(good, recipe=recipe))
        data = json.loads(path.read_text())
        data["replays"] = replays
        path.write_text(json.dumps(data))
    broken = records.recipe_path(results, machine, "c1", "s", "tutorial")
    broken.write_text('{"format": "keras-repro-record", "schema": 2, "kind": "replays"}')


@pytest.mark.parametrize("argv", [["show", "c1"], ["publish", "--no-readme", "--out", "OUT"],
                                  ["agree"], ["minimal"], ["stats", "--no-run"],
                                  ["diff", "RESULTS", "RESULTS"]])
def test_every_reader_reports_and_skips_a_record_of_the_wrong_shape(tmp_path, argv):
    results = tmp_path / "results"
    bad_records(results)
    root, readme = fake_root(tmp_path)
    argv = [str(results) if a == "RESULTS" else str(tmp_path / "out") if a == "OUT" else a for a in argv]
    done = harness("--results", str(results), *argv, env={"HARNESS_ROOT": str(root), "MPLBACKEND": "Agg"})
    assert "Traceback" not in done.stderr, done.stderr
    assert "full.json [field replays]" in done.stderr and "strict.json [field replays]" in done.stderr
    assert "tutorial.json [field" in done.stderr          # the missing key is named, with its file
    assert done.returncode in (0, 1)
    assert (root / "README.md").read_text() == readme


# --- merge: records from outside are checked against the schema before anything is written ---------
def recipe_body(started="2026-11-29T00:00:00Z", machine="m1") -> dict:
    return {"cell": plain_cell("c1", scenarios=("s",), recipes=("numpy",)).as_dict(), "machine": machine,
            "scenario": {"name": "s", "sha256": None}, "recipe": "numpy", "started": started,
            "replays": [{"status": "ok", "values": [1.0], "index": 0}], "complete": True}


def source_with(tmp_path, name, change) -> Path:
    """A results tree of one good record of m1 and one record of m2 whose text `change` edits."""
    source = tmp_path / f"src-{name}"
    records.write(records.recipe_path(source, "m1", "c1", "s", "numpy"), "replays", recipe_body())
    path = records.recipe_path(source, "m2", "c1", "s", "numpy")
    records.write(path, "replays", recipe_body(machine="m2"))
    path.write_text(change(path.read_text()))
    return source


def edit(update):
    def change(text):
        data = json.loads(text)
        update(data)
        return json.dumps(data)
    return change


def compact(text):
    return json.dumps(json.loads(text))


def setitem(*keys_and_value):
    *keys, last, value = keys_and_value

    def update(data):
        for key in keys:
            data = data[key]
        data[last] = value
    return update


HOSTILE = {   # the probe's records: (the change, the field the refusal must name)
    "started-escapes": (edit(setitem("started", "0/../../../../../../../../tmp/ESCAPED")), "[field started]"),
    "started-number": (edit(setitem("started", 5)), "[field started]"),
    "environment-text": (edit(setitem("environment", "x")), "[field environment]"),
    "observed-null": (edit(setitem("replays", 0, "observed", None)), "[field replays[0].observed]"),
    "seed-calls-number": (edit(setitem("replays", 0, "seed_calls", 5)), "[field replays[0].seed_calls]"),
    "cell-env-list": (edit(setitem("cell", "env", ["A=1"])), "[field cell.env]"),
    "value-10-to-400": (lambda t: compact(t).replace('"values": [1.0]', '"values": [1' + "0" * 400 + "]"),
                        "[field replays[0].values[0]]"),
    "value-1e400": (lambda t: compact(t).replace('"values": [1.0]', '"values": [1e400]'),
                    "[field replays[0].values[0]]"),
    "nested-100000-deep": (lambda t: compact(t)[:-1] + ', "x": ' + "[" * 100000 + "]" * 100000 + "}",
                           "nested deeper than"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_merge_refuses_a_hostile_record_with_file_and_field_and_writes_nothing(tmp_path, case):
    change, field = HOSTILE[case]
    results = tmp_path / "results"
    records.write(records.recipe_path(results, "m2", "c1", "s", "numpy"), "replays",
                  recipe_body("2026-11-30T00:00:00Z", "m2"))      # a later start: the incoming one loses
    before = {p: p.read_bytes() for p in results.rglob("*") if p.is_file()}
    source = source_with(tmp_path, case, change)
    done = harness("--results", str(results), "merge", str(source))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "nothing written" in done.stderr and f"m2/c1/s/numpy.json" in done.stderr and field in done.stderr
    after = {p: p.read_bytes() for p in results.rglob("*") if p.is_file()}
    assert after == before                                    # m1's good record was not merged either
    assert not (tmp_path / "ESCAPED.json").exists() and not Path("/tmp/ESCAPED.json").exists()


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_readers_report_and_skip_a_hostile_record(tmp_path, case):
    change, field = HOSTILE[case]
    results = source_with(tmp_path, case, change)
    root, readme = fake_root(tmp_path)
    for argv in (["show", "c1"], ["publish", "--no-readme", "--out", str(tmp_path / "out")]):
        done = harness("--results", str(results), *argv, env={"HARNESS_ROOT": str(root), "MPLBACKEND": "Agg"})
        assert "Traceback" not in done.stderr, done.stderr
        assert "m2/c1/s/numpy.json" in done.stderr and field in done.stderr
        assert done.returncode == (1 if argv[0] == "publish" else 0)   # m1's record shown or published
    assert (tmp_path / "out" / "matrix.md").is_file()


def test_a_superseded_record_is_filed_under_the_results_root_by_its_validated_start(tmp_path):
    results = tmp_path / "results"
    records.write(records.recipe_path(results, "m1", "c1", "s", "numpy"), "replays",
                  recipe_body("2026-11-30T00:00:00Z"))
    source = tmp_path / "source"
    records.write(records.recipe_path(source, "m1", "c1", "s", "numpy"), "replays", recipe_body())
    done = harness("--results", str(results), "merge", str(source))
    assert done.returncode == 0, done.stderr
    kept = results / "superseded" / "records" / "m1" / "c1" / "s" / "numpy.2026-11-29T000000Z.json"
    assert json.loads(kept.read_text())["started"] == "2026-11-29T00:00:00Z"


def test_merge_refuses_a_symlinked_record_without_reading_it(tmp_path):
    source = tmp_path / "source"
    records.write(records.recipe_path(source, "m1", "c1", "s", "numpy"), "replays", recipe_body())
    secret = tmp_path / "secret.json"           # a file outside the source that must not be read
    secret.write_text(records.encode("replays", recipe_body(machine="m9")))
    os.chmod(secret, 0)                          # root reads it anyway; the atime shows a read
    link = records.records_dir(source) / "m9" / "c1" / "s" / "numpy.json"
    link.parent.mkdir(parents=True)
    link.symlink_to(secret)
    os.utime(secret, (0, 0))
    results = tmp_path / "results"
    done = harness("--results", str(results), "merge", str(source))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "symbolic link" in done.stderr and str(link) in done.stderr
    assert secret.stat().st_atime == 0           # never opened
    assert not results.exists() or not list(results.rglob("*.json"))


def test_a_temporary_file_left_by_a_killed_merge_is_removed_by_the_next(tmp_path):
    results = tmp_path / "results"
    folder = records.recipe_path(results, "m1", "c1", "s", "numpy").parent
    folder.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()                                  # a writer that is gone, as after kill -9
    left = folder / f".numpy.json.{dead.pid}.abcd1234.tmp"
    left.write_text('{"half": ')
    live = folder / f".numpy.json.{os.getpid()}.abcd1234.tmp"   # a writer still at work: kept
    live.write_text('{"half": ')
    source = tmp_path / "source"
    records.write(records.recipe_path(source, "m1", "c1", "s", "numpy"), "replays", recipe_body())
    done = harness("--results", str(results), "merge", str(source))
    assert done.returncode == 0, done.stderr
    assert not left.exists() and live.exists()
    assert records.read(folder / "numpy.json")["started"] == "2026-11-29T00:00:00Z"


def test_a_killed_merge_leaves_no_half_file_and_the_rerun_completes(tmp_path):
    """kill -9 at a random moment of a merge of many records, then merge again: every record is
    whole and no temporary file is left."""
    source = tmp_path / "source"
    for number in range(300):
        records.write(records.recipe_path(source, "m1", f"c{number}", "s", "numpy"), "replays",
                      dict(recipe_body(), cell=plain_cell(f"c{number}", scenarios=("s",)).as_dict()))
    results = tmp_path / "results"
    process = subprocess.Popen([sys.executable, "-m", "harness", "--results", str(results), "merge", str(source)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(2000):                         # kill it once it has begun writing
        if results.is_dir() and any(results.rglob("*.json")) or process.poll() is not None:
            break
        __import__("time").sleep(0.005)
    process.kill()
    process.wait()
    done = harness("--results", str(results), "merge", str(source))
    assert done.returncode == 0, done.stderr
    assert not list(results.rglob("*.tmp"))
    assert len([records.read(p) for p in records.iter_files(results)]) == 300


# --- the remaining one-liners ----------------------------------------------------------------------
def test_python_that_is_no_python_is_one_line_and_builds_nothing(tmp_path):
    root, _ = fake_root(tmp_path)
    envs = tmp_path / "envs"
    done = harness("--results", str(tmp_path / "results"), "run", "c1", "--python", "/bin/true",
                   "--envs", str(envs), env={"HARNESS_ROOT": str(root)})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == ("harness run: error: --python /bin/true: not an interpreter that runs (run with -c, "
                                   "it printed no Python version); nothing was built")
    assert not envs.exists()


def test_show_with_an_unknown_machine_names_the_machine_not_the_cell(tmp_path):
    results = tmp_path / "results"
    records.write(records.recipe_path(results, "m1", "c1", "s", "numpy"), "replays", recipe_body())
    records.write(records.recipe_path(results, "m2", "c2", "s", "numpy"), "replays",
                  dict(recipe_body(machine="m2"), cell=plain_cell("c2", scenarios=("s",)).as_dict()))
    done = harness("--results", str(results), "show", "c1", "--machine", "zzz")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("harness show: error: unknown machine 'zzz'") and "m1, m2" in done.stderr
    done = harness("--results", str(results), "show", "c1", "--machine", "m2")
    assert done.returncode == 2
    assert "machine m2 has no records of cell 'c1' (the cell has records of: m1)" in done.stderr
    assert harness("--results", str(results), "show", "c1", "--machine", "m1").returncode == 0


@pytest.mark.parametrize("info", [{"cpu_flags": 5}, {"gpus": [1]}, {"os": 5}])
def test_an_old_record_that_cannot_be_upgraded_is_reported_with_its_file(tmp_path, info):
    results = tmp_path / "results"
    records.write(records.recipe_path(results, "m1", "c1", "s", "numpy"), "replays", recipe_body())
    old = records.machines_dir(results) / "m9.json"
    old.parent.mkdir()
    old.write_text(json.dumps({"format": records.FORMAT, "schema": 1, "kind": "machine", "machine_id": "m9",
                               "info": info}))
    done = harness("--results", str(results), "show", "c1")
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert "m9.json [field schema]: schema 1 record that cannot be upgraded" in done.stderr
