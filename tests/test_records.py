"""Record round trip, atomic writes, refusal of newer schemas, machine metadata."""
import json

import pytest

from harness import records


def test_round_trip_and_deterministic_paths(tmp_path):
    path = records.recipe_path(tmp_path, "cell-a", "canonical_mlp", "full")
    assert path == tmp_path / "records" / "cell-a" / "canonical_mlp" / "full.json"
    body = {"replays": [{"status": "ok", "values": [0.1, 1e-300]}], "recipe": "full"}
    records.write(path, "replays", body)
    back = records.read(path)
    assert back["schema"] == records.RECORD_SCHEMA and back["kind"] == "replays"
    assert back["replays"][0]["values"] == [0.1, 1e-300]
    assert [p.name for p in path.parent.iterdir()] == ["full.json"]   # no temp file left behind
    records.write(path, "replays", dict(body, recipe="strict"))      # a rerun replaces
    assert records.read(path)["recipe"] == "strict"
    assert [r["recipe"] for r in records.load_all(tmp_path, "replays")] == ["strict"]


def test_newer_schema_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "future.json"
    path.write_text(json.dumps({"format": records.FORMAT, "schema": records.RECORD_SCHEMA + 1}))
    with pytest.raises(records.RecordError, match="newer than this harness reads"):
        records.read(path)


def test_foreign_and_broken_files_are_refused(tmp_path):
    (tmp_path / "a.json").write_text('{"format": "something-else", "schema": 1}')
    (tmp_path / "b.json").write_text("{truncated")
    with pytest.raises(records.RecordError, match="not a keras-repro-record"):
        records.read(tmp_path / "a.json")
    with pytest.raises(records.RecordError, match="b.json: not valid JSON"):
        records.read(tmp_path / "b.json")


def test_machine_metadata_is_recorded_once(tmp_path):
    ident = records.save_machine(tmp_path)
    saved = records.read(records.machine_path(tmp_path, ident))
    info = saved["info"]
    assert info["cores"] >= 1 and info["cpu_model"] and isinstance(info["cpu_flags"], list)
    assert records.save_machine(tmp_path) == ident
    assert list(records.load_machines(tmp_path)) == [ident]


def test_committed_records_from_old_interpreters_still_read(root):
    """Records written by the worker under Python 3.6 (TF 1.1) stay readable."""
    folder = root / "tests" / "data" / "results"
    found = records.load_all(folder, "replays")
    assert found, "fixture records missing"
    pythons = {r["observed"]["python"][:3] for rec in found for r in rec["replays"] if r.get("observed")}
    assert "3.6" in pythons
