"""The notebook entry point: every replay of real committed records (the first machine's schema-1
files kept under tests/data/results) as one row, checked against the raw JSON files."""
import hashlib
import json
from pathlib import Path

import pandas

from harness.ops.frame import COLUMNS, load_frame, load_rows

DATA = Path(__file__).parent / "data" / "results"


def raw_replays():
    found = []
    for path in sorted((DATA / "records").rglob("*.json")):
        data = json.loads(path.read_text())
        if "replays" in data:
            found += [(data, r) for r in data["replays"]]
    return found


def test_one_row_per_replay_with_its_own_fingerprint():
    rows = load_rows(DATA)
    raw = raw_replays()
    assert len(rows) == len(raw) > 0
    ok = [r for _, r in raw if r["status"] == "ok"]
    expected = {hashlib.sha256(",".join(r["values_hex"]).encode()).hexdigest()[:8] for r in ok}
    assert {row["fingerprint"] for row in rows if row["status"] == "ok"} == expected
    assert {row["machine"] for row in rows} == {"b84f6cf6f9"}
    strict = [row for row in rows if row["cell"] == "keras2.0.3-tensorflow1.1.0-python3.6" and row["recipe"] == "strict"]
    assert {row["verdict"] for row in strict} == {"bitwise"} and {row["machine_class"] for row in strict} == {"Eigen on Intel"}


def test_a_dataframe_with_the_documented_columns():
    frame = load_frame(DATA)
    assert isinstance(frame, pandas.DataFrame) and list(frame.columns) == list(COLUMNS)
    bitwise = frame[(frame.recipe == "numpy") & (frame.verdict == "bitwise")]
    assert set(bitwise.cell) == {"keras2.0.3-theano0.9.0-python3.6"}
