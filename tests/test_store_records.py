"""Records: paths by machine, atomic strict-JSON writes, validation naming file and field, the
schema-1 -> 2 upgrade on real old records from two machines, machines, and the result set."""
import json
import stat

import pytest

from harness.store import machines, records
from harness.store.resultset import ResultSet
from support import write_record

FIXTURE = "tests/data/results"                       # schema 1, Intel machine, Python 3.6 stacks
SECOND = "tests/data/second-machine/results"         # schema 1, AMD machine, the default cells


def test_round_trip_and_deterministic_paths(tmp_path):
    path = records.recipe_path(tmp_path, "m1", "cell-a", "canonical_mlp", "full")
    assert path == tmp_path / "records" / "m1" / "cell-a" / "canonical_mlp" / "full.json"
    write_record(tmp_path, "cell-a", "full", [[0.1, 1e-300]], machine="m1")
    back = records.read(path)
    assert back["schema"] == records.RECORD_SCHEMA == 2 and back["kind"] == "replays"
    assert back["replays"][0]["values"] == [0.1, 1e-300]
    assert [p.name for p in path.parent.iterdir()] == ["full.json"]   # no temp file left behind
    assert stat.S_IMODE(path.stat().st_mode) == 0o644                 # readable by others
    write_record(tmp_path, "cell-a", "full", [[0.2]], machine="m1")   # a rerun replaces
    assert records.read(path)["replays"][0]["values"] == [0.2]


def test_records_are_strict_json(tmp_path):
    with pytest.raises(ValueError):
        records.encode("replays", {"x": float("nan")})
    path = tmp_path / "nan.json"
    path.write_text('{"format": "keras-repro-record", "schema": 2, "kind": "machine", '
                    '"machine_id": "m", "info": {"x": NaN}}')
    with pytest.raises(records.RecordError, match="not valid JSON.*NaN is not JSON"):
        records.read(path)


def test_unsafe_names_never_become_paths(tmp_path):
    for bad in ("../../../tmp/x", "/abs", "a/b", "..", "", "x\ny"):
        with pytest.raises(records.RecordError, match="not a safe name"):
            records.recipe_path(tmp_path, "m", "cell", bad, "full")
    assert not (tmp_path / "records").exists()


def test_newer_schema_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "future.json"
    path.write_text(json.dumps({"format": records.FORMAT, "schema": records.RECORD_SCHEMA + 1}))
    with pytest.raises(records.RecordError, match="future.json.*newer than this harness reads"):
        records.read(path)


def test_foreign_and_broken_files_are_refused(tmp_path):
    (tmp_path / "a.json").write_text('{"format": "something-else", "schema": 1}')
    (tmp_path / "b.json").write_text("{truncated")
    with pytest.raises(records.RecordError, match="not a keras-repro-record"):
        records.read(tmp_path / "a.json")
    with pytest.raises(records.RecordError, match="b.json: not valid JSON"):
        records.read(tmp_path / "b.json")


@pytest.mark.parametrize("change,field", [
    (lambda d: d.update(replays={"a": 1}), "replays"),
    (lambda d: d.update(replays=None), "replays"),
    (lambda d: d.pop("cell"), "cell"),
    (lambda d: d["cell"].pop("name"), "cell.name"),
    (lambda d: d["replays"][0].pop("status"), "replays[0].status"),
    (lambda d: d["replays"][0].update(values="abc"), "replays[0].values"),
    (lambda d: d.update(complete="yes"), "complete"),
    (lambda d: d.update(recipe="../x"), "recipe"),
])
def test_a_bad_record_names_its_file_and_field(tmp_path, change, field):
    path = write_record(tmp_path, "c", "full", [[0.5]])
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    with pytest.raises(records.RecordError) as caught:
        records.read(path)
    assert str(path) in str(caught.value) and f"[field {field}]" in str(caught.value)
    rs = ResultSet.load(tmp_path)          # one bad file is reported and skipped, not fatal
    assert rs.recipes == {} and len(rs.problems) == 1 and str(path) in rs.problems[0]


@pytest.mark.parametrize("folder,machine", [(FIXTURE, "b84f6cf6f9"), (SECOND, "dc84521ea4")])
def test_real_schema_1_records_from_two_machines_upgrade_on_read(root, folder, machine):
    tree = root / folder
    raw = [json.loads(p.read_text()) for p in records.iter_files(tree)]
    assert raw and {d["schema"] for d in raw} == {1}
    rs = ResultSet.load(tree)
    assert rs.problems == []
    assert {k[0] for k in rs.recipes} == {machine} and set(rs.machines) == {machine}
    label = rs.machine_label(machine)
    assert ("AVX-512" in label and "AMX" in label) if machine.startswith("b84f") else \
        ("AMD EPYC (25/1), AVX2 FMA, 2 cores" in label and "AVX-512" not in label)
    assert "glibc 2.36" in label
    pythons = {r["observed"]["python"][:3] for rec in rs.recipes.values() for r in rec.replays
               if r.get("observed")}
    assert "3.6" in pythons
    text = json.dumps([rec.replays for rec in rs.recipes.values()])
    assert "/work/" not in text and "<root>/" in text        # local paths redacted on upgrade


def test_redaction_of_local_paths():
    assert records.redact('File "/home/u/repo/.envs/c/lib/x.py"') == 'File "<root>/.envs/c/lib/x.py"'
    assert records.redact({"a": ["/srv/x/harness/worker.py"]}) == {"a": ["<root>/harness/worker.py"]}
    assert records.redact("/opt/venv/bin/python", [("/opt/venv", "<host-venv>")]) == "<host-venv>/bin/python"
    assert records.redact("no paths here, 1/2") == "no paths here, 1/2"


def test_machine_metadata_is_recorded_once_with_a_label(tmp_path):
    ident = machines.save_machine(tmp_path)
    saved = records.read(records.machine_path(tmp_path, ident))
    info = saved["info"]
    assert info["cores"] >= 1 and info["cpu_model"] and isinstance(info["cpu_flags"], list)
    assert set(info["isa"]) <= set(info["cpu_flags"]) and saved["label"].startswith(info["cpu_model"])
    before = records.machine_path(tmp_path, ident).read_bytes()
    assert machines.save_machine(tmp_path) == ident
    assert records.machine_path(tmp_path, ident).read_bytes() == before


def test_machine_id_is_stable_across_schemas(root):
    """The id of schema 1 is kept: recomputed from the recorded facts it gives the same id."""
    for folder in (FIXTURE, SECOND):
        for path in (root / folder / "machines").glob("*.json"):
            info = json.loads(path.read_text())["info"]
            assert machines.machine_id(info) == path.stem


def test_result_set_reads_each_record_file_once(root, tmp_path, monkeypatch):
    """publish over a two-machine result set opens every record file exactly once."""
    from harness import cli
    from harness.ops import merge
    merge.merge([root / FIXTURE, root / SECOND], tmp_path / "results")
    files = records.iter_files(tmp_path / "results")
    opened = {}
    original = records.Path.read_bytes

    def counting(self):
        if str(self).startswith(str(tmp_path / "results")):
            opened[str(self)] = opened.get(str(self), 0) + 1
        return original(self)

    real_open = open
    monkeypatch.setattr(records.Path, "read_bytes", counting)
    monkeypatch.setattr(records.Path, "read_text", lambda self, *a, **k: pytest.fail(f"read_text {self}")
                        if "records" in str(self) or "machines" in str(self) else records.Path.open(self).read())
    monkeypatch.setattr("builtins.open", lambda file, *a, **k: pytest.fail(f"open {file}")
                        if str(file).startswith(str(tmp_path / "results")) and str(file).endswith(".json")
                        else real_open(file, *a, **k))
    assert cli.main(["--results", str(tmp_path / "results"), "publish", "--no-readme",
                     "--out", str(tmp_path / "out")]) == 0
    assert {str(p) for p in files} == set(opened) and set(opened.values()) == {1}
