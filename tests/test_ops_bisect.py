"""Bisecting a ladder: the search over outcomes, probing with reuse, and one real run."""
import math
import sys
import textwrap

import pytest

from harness import cli, inputs, matrix
from harness.derive import bisect as search_module
from harness.derive import verdicts
from harness.ops import bisect
from harness.report import bisect as bisect_report
from harness.store import machines, records
from support import write_record

M = machines.this_machine()


def searched(outcomes):
    calls = []

    def probe(index):
        calls.append(index)
        return outcomes[index]

    return search_module.search(len(outcomes), probe), calls


@pytest.mark.parametrize("change_at", range(1, 9))
def test_finds_the_first_change_with_few_probes(change_at):
    outcomes = ["old"] * change_at + ["new"] * (9 - change_at)
    result, calls = searched(outcomes)
    assert result.first_change == change_at
    assert len(calls) == len(set(calls)) <= 2 + math.ceil(math.log2(9))
    assert dict(result.probes)[change_at] == "new" and dict(result.probes)[change_at - 1] == "old"


def test_no_change_probes_only_the_ends():
    result, calls = searched(["x"] * 6)
    assert result.first_change is None and calls == [0, 5]


def test_trivial_ladders():
    assert bisect.search(0, None).first_change is None
    assert searched(["x"])[0].first_change is None


def test_non_monotone_ladder_is_a_documented_blind_spot():
    # a change that reverts before the end is invisible: the ends agree
    result, _ = searched(["a", "a", "b", "a"])
    assert result.first_change is None
    assert "monotone" in search_module.ASSUMPTION


LADDER = """
schema = 1
[defaults]
replays = 1
recipes = ["none"]
scenarios = ["level"]
[[ladder]]
name_template = "lvl{version}"
api = "none"
backend = "none"
python = "%s"
requirements = ["numpy"]
versions = ["1", "2", "3", "4", "5"]
env = { LEVEL = "{version}" }
tags = ["lad"]
""" % "%d.%d" % sys.version_info[:2]

SCENARIO = textwrap.dedent('''
    import os
    NAME = "level"
    REPEATS = 2
    def run_once(keras, np):
        return 1.0 if int(os.environ["LEVEL"]) < 4 else 2.0
''')


@pytest.fixture
def ladder(tmp_path):
    (tmp_path / "matrix.toml").write_text(LADDER)
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "level.py").write_text(SCENARIO)
    return tmp_path, matrix.load(tmp_path / "matrix.toml").select(tags=["lad"])


def test_prober_reuses_current_records_and_runs_the_rest(ladder):
    root, cells = ladder
    results = root / "results"
    path = root / "scenarios" / "level.py"
    sha = inputs.sha256(path)
    made = {cell.name: inputs.of(cell, path, "none", M) for cell in cells}
    write_record(results, "lvl1", "none", [[1.0, 1.0]], scenario="level", sha=sha,
                 env_hash=cells[0].env_hash(), machine=M, inputs=made["lvl1"])
    write_record(results, "lvl5", "none", [[9.0, 9.0]], scenario="level", sha="stale",
                 env_hash=cells[4].env_hash(), machine=M,
                 inputs=dict(made["lvl5"], scenario_sha256="stale"))
    # the weaker rule bisect once had (scenario and env hash alike) would reuse this one
    write_record(results, "lvl3", "none", [[9.0, 9.0]], scenario="level", sha=sha,
                 env_hash=cells[2].env_hash(), machine=M,
                 inputs=dict(made["lvl3"], recipe_code="older"))
    ran = []

    def fake_run(cell, results, envs, options, echo):
        ran.append(cell.name)
        recipes = options.recipes
        value = 1.0 if int(cell.env_dict["LEVEL"]) < 4 else 2.0
        write_record(results, cell.name, recipes[0], [[value, value]], scenario="level", sha=sha,
                     env_hash=cell.env_hash(), machine=M, inputs=made[cell.name])
        return {}

    result, prober = bisect.bisect_cells(cells, "none", "level", results, root / "envs",
                                         scenarios_dir=root / "scenarios", runner=fake_run, echo=None)
    assert result.first_change == 3
    # lvl1 reused; lvl5 re-run: its scenario changed; lvl3 re-run: the recipes' code changed
    assert ran == ["lvl5", "lvl3", "lvl4"]
    assert prober.log[0] == ("lvl1", "reused", "fingerprint " + verdicts.fingerprint([1.0, 1.0]))
    text = bisect_report.report(cells, result, prober, "lad")
    assert "first change at lvl4" in text and "after lvl3" in text and "monotone" in text
    assert "(not needed)" in text.splitlines()[2]     # lvl2 never probed


@pytest.mark.slow
def test_real_bisect_through_the_command_line(ladder, monkeypatch, capsys):
    """Real environments (the cells need nothing beyond the interpreter) and worker processes."""
    root, cells = ladder
    monkeypatch.setenv("HARNESS_SCENARIOS", str(root / "scenarios"))
    argv = ["--matrix", str(root / "matrix.toml"), "--results", str(root / "results"), "bisect",
            "--tag", "lad", "--recipe", "none", "--envs", str(root / "envs")]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "first change at lvl4" in out and "ran 4 cell(s)" in out
    record = records.read(records.recipe_path(root / "results", M, "lvl4", "level", "none"))
    assert record["replays"][0]["values"] == [2.0, 2.0]
    assert cli.main(argv) == 0                       # second time: everything reused
    assert "reused 4 record(s)" in capsys.readouterr().out
