"""The README's findings are read off the committed records: every fingerprint and machine id the
findings section quotes exists in results/. This test is about the committed records on purpose
(it reads the live results/); records a user adds cannot make it fail, since it only asks that
the quoted ones exist."""
import re
from pathlib import Path

from harness.derive import verdicts
from harness.store.resultset import ResultSet

ROOT = Path(__file__).resolve().parent.parent


def findings() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("## What the matrix shows")
    return text[start:text.index("\n## ", start + 10)]


def test_every_quoted_fingerprint_and_machine_is_in_the_records():
    rs = ResultSet.load(ROOT / "results")
    prints = set()
    for record in list(rs.recipes.values()) + [r for r, _ in rs.ablations.values()]:
        prints |= {verdicts.fingerprint(r["values"]) for r in record.ok_replays()}
    machines = set(rs.machine_ids())
    text = findings()
    quoted = set(re.findall(r"`([0-9a-f]{8})`", text))
    assert quoted, "the findings quote no fingerprint: is the section's heading unchanged?"
    assert sorted(quoted - prints) == []
    quoted_machines = set(re.findall(r"`([0-9a-f]{10})`", text))
    assert sorted(quoted_machines - machines) == []
