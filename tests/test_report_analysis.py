"""Agreement and statistics documents, the agree/minimal/stats commands and topping up repeats."""
import contextlib

import pytest

from harness import cli, inputs
from harness.ops import repeats
from harness.report import publish
from harness.store import machines, records
from harness.store.resultset import ResultSet
from support import load, write_environment, write_record


def publish_analysis(results, out):
    """agreement.md/.png and stats.md/.png as `harness publish` writes them."""
    out.mkdir(parents=True, exist_ok=True)
    rs, found = load(results)
    agreement, comparisons = publish.agreement_markdown(found)
    stats, pools = publish.stats_markdown(rs, found)
    (out / "agreement.md").write_text(agreement)
    (out / "stats.md").write_text(stats)
    from harness.report import agreement as agreement_report, distribution
    return [out / "agreement.md",
            agreement_report.draw_heatmap([c for c in comparisons if c.recipe == "full"], out / "agreement.png"),
            out / "stats.md", distribution.draw_boxplot(pools, out / "stats.png")]

PNG = b"\x89PNG\r\n\x1a\n"


def populated(results):
    same = [[0.5, 0.25, 0.125]] * 3
    near = [[0.5, 0.25, 0.1250001]] * 3
    for cell, lists in (("a", same), ("b", same), ("c", near)):
        write_environment(results, cell)
        write_record(results, cell, "full", lists)
        write_record(results, cell, "numpy", lists)
    write_record(results, "d", "full", [[1.0, 2.0, 3.0]] * 3, backend="torch")
    write_environment(results, "d", backend="torch")
    write_record(results, "a", "none", [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    write_record(results, "b", "none", [[1.1, 1.2, 1.3], [1.4, 1.5, 1.6]])
    write_record(results, "c", "none", [[0.2, 0.2]], statuses=["crashed"])
    write_environment(results, "broken", status="install-failed", recipes=("none", "full"))
    return results


def test_documents_are_written_and_byte_identical_when_regenerated(tmp_path):
    results = populated(tmp_path / "results")
    first = publish_analysis(results, tmp_path / "one")
    second = publish_analysis(results, tmp_path / "two")
    assert [p.name for p in first] == ["agreement.md", "agreement.png", "stats.md", "stats.png"]
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert first[1].read_bytes().startswith(PNG) and first[3].read_bytes().startswith(PNG)
    agreement = first[0].read_text()
    assert "### canonical_mlp / full on `m`" in agreement and "### canonical_mlp / numpy on `m`" in agreement
    # a, b bitwise and c 6 digits away (1e-7 relative at the last repeat) form lineage 1
    assert "| 1 | lineage | 3 |" in agreement and "| 2 | alone | 1 |" in agreement
    assert "install-failed" in agreement and "`records/m/broken/environment.json`" in agreement
    stats = first[2].read_text()
    assert "| a | 6 | 0.35 |" in stats                   # mean of 0.1..0.6
    # complete separation of 6 and 6: exact two-sided p = 2 / C(12, 6) = 0.0022 (one pair: Holm = raw)
    row = next(line for line in stats.splitlines() if line.startswith("| a | b |"))
    assert row.startswith("| a | b | 6 | 6 | 0.0022 | -1.000 |") and row.endswith("| different |")
    assert "crashed" in stats and "`records/m/a/canonical_mlp/none.json`" in stats


def test_empty_results_still_give_documents(tmp_path):
    written = publish_analysis(tmp_path / "nothing", tmp_path / "out")
    assert "No seeded results yet." in written[0].read_text()
    assert "No unseeded results yet." in written[2].read_text()
    assert written[1].read_bytes().startswith(PNG)


def test_agree_minimal_and_stats_commands(tmp_path, capsys):
    results = populated(tmp_path / "results")
    base = ["--results", str(results)]
    assert cli.main(base + ["agree", "--recipe", "full"]) == 0
    out = capsys.readouterr().out
    assert "### canonical_mlp / full on `m`" in out and "numpy" not in out
    assert cli.main(base + ["minimal"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| `m` | c |"))
    assert row.startswith("| `m` | c | canonical_mlp | numpy (provisional) | numpy |")   # 2 processes: fewer than 5
    assert cli.main(base + ["stats", "--no-run"]) == 0
    assert "95% CI" in capsys.readouterr().out


@pytest.mark.parametrize("have, wanted, expected", [(30, 30, []), (0, 30, [10, 10, 10]),
                                                    (25, 30, [5]), (6, 30, [10, 10, 4])])
def test_repeat_plan(have, wanted, expected):
    assert repeats.plan(have, wanted, 10) == expected


def test_top_up_records_repeats_until_n(tmp_path, monkeypatch, cell_factory):
    cell = cell_factory("topped", scenarios=("numpy_draw",))
    results = tmp_path / "results"
    from conftest import TEST_SCENARIOS
    sha = inputs.sha256(TEST_SCENARIOS / "numpy_draw.py")
    machine = machines.this_machine()
    made = inputs.of(cell, TEST_SCENARIOS / "numpy_draw.py", "none", machine)
    write_record(results, "topped", "none", [[0.1, 0.2, 0.3]], scenario="numpy_draw", sha=sha,
                 machine=machine, inputs=made)
    monkeypatch.setattr(repeats.environments, "use", lambda c, envs: contextlib.nullcontext(_ok_outcome(tmp_path)))
    calls = []

    def fake_replay(python, cell, path, recipe, timeout, extra_env=None, repeats=None, tmp_prefix=None):
        calls.append((recipe, repeats))
        return {"status": "ok", "values": [0.5] * repeats, "values_hex": [(0.5).hex()] * repeats}

    monkeypatch.setattr(repeats.runner, "run_replay", fake_replay)
    added = repeats.top_up(cell, results, tmp_path / "envs", wanted=8, per_process=2,
                           scenarios_dir=TEST_SCENARIOS, echo=lambda _: None)
    assert added == {"numpy_draw": 5} and calls == [("none", 2), ("none", 2), ("none", 1)]  # 3 + 5 = 8
    record = records.read(records.repeats_path(results, machine, "topped", "numpy_draw"))
    assert record["kind"] == "repeats" and record["recipe"] == "none" and record["complete"]
    assert [r["index"] for r in record["replays"]] == [0, 1, 2]
    assert repeats.pooled_counts(ResultSet.load(results))[(machine, "topped", "numpy_draw")] == 8
    assert repeats.top_up(cell, results, tmp_path / "envs", wanted=8, scenarios_dir=TEST_SCENARIOS) == {}
    for older in (dict(made, scenario_sha256="other"), dict(made, support_sha256="other"), None):
        write_record(results, "topped", "none", [[0.1]], scenario="numpy_draw", sha=sha, machine=machine,
                     inputs=older)
        said = []
        assert repeats.top_up(cell, results, tmp_path / "envs", wanted=20, scenarios_dir=TEST_SCENARIOS,
                              echo=said.append) == {}
        assert "not current" in said[0] and len(calls) == 3


def test_a_stats_top_up_reads_each_record_once(tmp_path, monkeypatch, cell_factory):
    """`harness stats` tops up every chosen cell from one reading of the results (it once read the
    whole tree again for every cell and scenario)."""
    from collections import Counter
    from conftest import TEST_SCENARIOS
    results, machine = tmp_path / "results", machines.this_machine()
    cells = [cell_factory(name, scenarios=("numpy_draw", "slow_draw")) for name in ("c1", "c2", "c3")]
    for cell in cells:
        write_environment(results, cell.name, machine=machine)
        for scenario in cell.scenarios:
            made = inputs.of(cell, TEST_SCENARIOS / f"{scenario}.py", "none", machine)
            write_record(results, cell.name, "none", [[0.1, 0.2]], scenario=scenario,
                         sha=made["scenario_sha256"], machine=machine, inputs=made)
    monkeypatch.setattr(repeats.environments, "use", lambda c, envs: contextlib.nullcontext(_ok_outcome(tmp_path)))
    monkeypatch.setattr(repeats.runner, "run_replay", lambda *a, repeats=None, **k: {
        "status": "ok", "values": [0.5] * repeats, "values_hex": [(0.5).hex()] * repeats})
    reads, read = Counter(), records.read
    monkeypatch.setattr(records, "read", lambda path, *a, **k: reads.update([str(path)]) or read(path, *a, **k))
    added = repeats.top_up_cells(cells, results, tmp_path / "envs", wanted=4, per_process=2,
                                 scenarios_dir=TEST_SCENARIOS, echo=lambda _: None)
    assert added == {c.name: {"numpy_draw": 2, "slow_draw": 2} for c in cells}
    assert len(reads) == 3 * 3 and max(reads.values()) == 1      # 6 records and 3 environments, once


def _ok_outcome(tmp_path):
    from harness.provision.environments import EnvOutcome
    return EnvOutcome("ok", str(tmp_path), python="python", installer="host", env_hash="e")


def test_real_fixture_records(tmp_path, root):
    """Records of two real Python 3.6 stacks: 3 replays x 10 repeats of recipe none each."""
    results = root / "tests" / "data" / "results"
    first = publish_analysis(results, tmp_path / "one")
    second = publish_analysis(results, tmp_path / "two")
    assert [a.read_bytes() for a in first] == [b.read_bytes() for b in second]
    stats = first[2].read_text()
    for cell in ("keras2.0.3-tensorflow1.1.0-python3.6", "keras2.0.3-theano0.9.0-python3.6"):
        assert f"| {cell} | 30 |" in stats
    assert "1 pair(s) of cells whose values vary" in stats


def test_stats_restricted_to_chosen_cells(root):
    rs, found = load(root / "tests" / "data" / "results")
    both, _ = publish.stats_markdown(rs, found)
    assert "1 pair(s) of cells whose values vary" in both
    one, pools = publish.stats_markdown(rs, found, {"keras2.0.3-theano0.9.0-python3.6"})
    assert [p.cell for p in pools] == ["keras2.0.3-theano0.9.0-python3.6"]
    assert "tensorflow1.1.0" not in one


def test_stats_report_wording(tmp_path, capsys):
    """The three verdicts and the constant cells, as `harness stats` prints them."""
    import random
    rng = random.Random(5)
    results = tmp_path / "results"
    sha = "a" * 64            # the scenario file of the records compared; one record has another

    def draws(n, shift=0.0):
        return [[rng.gauss(shift, 1.0) for _ in range(10)] for _ in range(n // 10)]

    for cell, lists in (("big1", draws(300)), ("big2", draws(300)), ("far", draws(300, shift=3.0)),
                        ("flat", [[0.7] * 3] * 2)):
        write_environment(results, cell)
        write_record(results, cell, "none", lists, sha=sha)
    for cell in ("small1", "small2"):
        write_environment(results, cell)
        write_record(results, cell, "none", [[rng.gauss(0, 1) for _ in range(5)]], sha=sha)
    write_environment(results, "older")
    write_record(results, "older", "none", draws(300), sha="b" * 64)
    assert cli.main(["--results", str(results), "stats", "--no-run"]) == 0
    out = capsys.readouterr().out
    rows = {tuple(line.split(" | ")[:2]): line for line in out.splitlines() if line.startswith("| ")}
    assert rows[("| big1", "big2")].endswith("| equivalent within margin 0.5 sd (power 1.00) |")
    assert rows[("| big1", "far")].endswith("| different |")
    # 5 values each: 0.5 / sqrt(2/5) = 0.79 standard errors cannot clear t(0.95, 8) = 1.86
    assert rows[("| small1", "small2")].endswith("| inconclusive (power 0.00) |")
    assert "Constant (sd 0: every value the same), nothing to compare: flat (0.7, n=6)." in out
    cells = {"big1", "big2", "far", "flat", "small1", "small2", "older"}
    pairs = [key for key in rows if key[0][2:] in cells and key[1] in cells]
    assert len(pairs) == 10 and not any("flat" in key or "older" in key for key in pairs)
    assert "Not compared (another version of the scenario file (bbbbbbbb)): older." in out
    assert "In all: 10 pair(s) compared: " in out and "1 constant cell(s) (sd 0) not compared." in out
    assert cli.main(["--results", str(results), "stats", "--no-run", "--margin", "1"]) == 0
    assert "equivalent within margin 1 sd (power 1.00)" in capsys.readouterr().out
