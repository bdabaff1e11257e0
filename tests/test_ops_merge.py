"""`harness merge`: real records from two machines, idempotence, conflicts, bad input, a kill."""
import json
import subprocess
import sys

import pytest

from harness import cli
from harness.store.resultset import ResultSet
from support import write_record

INTEL = "tests/data/results"
AMD = "tests/data/second-machine/results"


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def merge(results, *sources, capsys=None):
    status = cli.main(["--results", str(results), "merge", *map(str, sources)])
    return status, (capsys.readouterr() if capsys else None)


def test_two_machines_merge_side_by_side_and_merging_twice_changes_nothing(root, tmp_path, capsys):
    results = tmp_path / "results"
    status, out = merge(results, root / INTEL, root / AMD, capsys=capsys)
    assert status == 0 and out.out.startswith("added ")
    rs = ResultSet.load(results)
    assert set(rs.machines) == {"b84f6cf6f9", "dc84521ea4"} and rs.problems == []
    theano = "keras2.0.3-theano0.9.0-python3.6"
    assert ("b84f6cf6f9", theano, "canonical_mlp", "full") in rs.recipes
    assert ("dc84521ea4", theano, "canonical_mlp", "full") in rs.recipes
    before = snapshot(results)
    status, out = merge(results, root / AMD, root / INTEL, capsys=capsys)
    assert status == 0 and "added 0, replaced 0, kept 0" in out.out
    assert snapshot(results) == before
    assert all(json.loads(data)["schema"] == 2 for name, data in before.items())


def test_newest_complete_record_wins_and_the_loser_is_kept_and_reported(tmp_path, capsys):
    old, new, results = tmp_path / "old", tmp_path / "new", tmp_path / "results"
    write_record(old, "c", "full", [[0.5], [0.5]], started="2026-01-01T00:00:00Z")
    write_record(new, "c", "full", [[0.7], [0.7]], started="2026-02-01T00:00:00Z")
    write_record(new, "c", "strict", [[0.9]], started="2026-03-01T00:00:00Z", complete=False)
    write_record(old, "c", "strict", [[0.8], [0.8]], started="2026-01-01T00:00:00Z")
    assert merge(results, old)[0] == 0
    status, out = merge(results, new, capsys=capsys)
    assert status == 0
    assert "replaced 1, kept 1" in out.out
    assert "c/canonical_mlp/full.json" in out.out and "started 2026-01-01T00:00:00Z" in out.out
    rs = ResultSet.load(results)
    assert rs.recipes[("m", "c", "canonical_mlp", "full")].replays[0]["values"] == [0.7]
    assert rs.recipes[("m", "c", "canonical_mlp", "strict")].complete   # partial never wins
    kept = sorted(p.name for p in (results / "superseded").rglob("*.json"))
    assert kept == ["full.2026-01-01T000000Z.json", "strict.2026-03-01T000000Z.json"]
    again = snapshot(results)
    assert merge(results, old, new)[0] == 0 and snapshot(results) == again   # idempotent


@pytest.mark.parametrize("content,message", [
    ("{broken", "not valid JSON"),
    ('{"format": "keras-repro-record", "schema": 99, "kind": "replays"}', "newer than this harness reads"),
    ('{"format": "keras-repro-record", "schema": 2, "kind": "replays", "machine": "m", '
     '"cell": {"name": "../../x"}}', "not a safe name"),
])
def test_corrupt_or_newer_input_is_refused_naming_the_file_and_nothing_is_written(
        root, tmp_path, capsys, content, message):
    source = tmp_path / "source"
    write_record(source, "c", "full", [[0.5]])
    bad = source / "records" / "m" / "c" / "canonical_mlp" / "strict.json"
    bad.write_text(content)
    results = tmp_path / "results"
    assert merge(results, root / AMD)[0] == 0
    before = snapshot(results)
    status, out = merge(results, source, capsys=capsys)
    assert status == 2 and str(bad) in out.err and message in out.err and "nothing written" in out.err
    assert snapshot(results) == before


def test_missing_or_empty_source_is_an_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert merge(tmp_path / "r", tmp_path / "nope", capsys=capsys)[0] == 2
    assert merge(tmp_path / "r", tmp_path / "empty", capsys=capsys)[0] == 2
    assert not (tmp_path / "r").exists()


def test_a_merge_killed_halfway_leaves_whole_files_and_a_rerun_completes_it(root, tmp_path):
    """SIGKILL after the fifth file is renamed into place: every file present is complete, no
    temporary file is read as a record, and merging again gives the same tree as one merge."""
    results, reference = tmp_path / "results", tmp_path / "reference"
    assert merge(reference, root / AMD)[0] == 0
    script = (
        "import os, signal, sys; sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[1] + '/tests');"
        "real = os.replace; count = [0]\n"
        "def replace(a, b):\n"
        "    real(a, b); count[0] += 1\n"
        "    if count[0] == 5: os.kill(os.getpid(), signal.SIGKILL)\n"
        "os.replace = replace\n"
        "from harness import cli; cli.main(['--results', sys.argv[2], 'merge', sys.argv[3]])\n")
    done = subprocess.run([sys.executable, "-c", script, str(root), str(results), str(root / AMD)])
    assert done.returncode == -9
    partial = snapshot(results)
    assert 0 < len([n for n in partial if n.endswith(".json")]) < len(snapshot(reference))
    for name, data in partial.items():
        if name.endswith(".json"):
            assert json.loads(data) == json.loads(snapshot(reference)[name])
    assert merge(results, root / AMD)[0] == 0
    assert {n: d for n, d in snapshot(results).items() if not n.endswith(".tmp")} == snapshot(reference)
