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


def test_the_cell_counts_the_readme_states_are_the_matrixs():
    from harness import matrix
    cells = matrix.load(ROOT / "matrix.toml").cells
    text = (ROOT / "README.md").read_text()
    found = re.search(r"The matrix defines (\d+) cells\s+\(`harness list`\): (\d+) default cells, (\d+) CPU cells"
                      r" \((\d+) of them code-path experiments, tag `codepath`\)\s+and (\d+) GPU cells", text)
    assert found, "the README's count sentence changed shape"
    total, default, cpu, codepath, gpu = map(int, found.groups())
    assert total == len(cells) and gpu == sum(c.device == "gpu" for c in cells)
    assert cpu == sum(c.device == "cpu" for c in cells) and default == sum("default" in c.tags for c in cells)
    assert codepath == sum("codepath" in c.tags for c in cells)


def test_the_statistics_the_readme_states_are_results_stats_md():
    """The README's pair counts are the ones `harness publish` wrote into results/stats.md."""
    stats = (ROOT / "results" / "stats.md").read_text()
    line = re.search(r"In all: (\d+) pair\(s\) compared: (\d+) different, (\d+) equivalent within "
                     r"[0-9.]+ pooled sd, (\d+) inconclusive; (\d+) constant cell", stats)
    assert line, "results/stats.md's summary line changed shape"
    pairs, different, equivalent, inconclusive, constant = (int(n) for n in line.groups())
    text = " ".join(findings().split())
    said = re.search(r"of ([\d,]+) pairs of cells compared on one machine and scenario, (\d+|none) (?:are|is) "
                     r"different .*? (\d+) pairs are equivalent within .*? and ([\d,]+) inconclusive; .*?"
                     r"constant \((\d+),", text)
    assert said, "the README's statistics sentence changed shape"
    numbers = [0 if g == "none" else int(g.replace(",", "")) for g in said.groups()]
    assert numbers == [pairs, different, equivalent, inconclusive, constant]
