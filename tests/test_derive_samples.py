"""How value lists are taken from a result set (per machine), with the records behind them."""
from harness.derive import samples
from support import load, write_environment, write_record


def test_seeded_samples_take_the_first_ok_replay_and_list_failures(tmp_path):
    write_record(tmp_path, "b", "full", [[9.0], [1.0], [2.0]], statuses=["crashed", "ok", "ok"])
    write_record(tmp_path, "a", "full", [[3.0]])
    write_record(tmp_path, "c", "full", [[4.0]], statuses=["timed-out"])
    write_environment(tmp_path, "d", status="install-failed")
    write_record(tmp_path, "d", "full", [[5.0]])      # older record of a cell that no longer installs
    _, found = load(tmp_path)
    seeded, failures = samples.seeded_samples(found, ["full"])
    assert [(s.cell, s.values) for s in seeded] == [("a", (3.0,)), ("b", (1.0,))]
    assert seeded[1].record == "records/m/b/canonical_mlp/full.json"
    assert [(f.cell, f.status) for f in failures] == [("c", "timed-out"), ("d", "install-failed")]
    assert failures[1].record == "records/m/d/environment.json"


def test_samples_are_per_machine(tmp_path):
    write_record(tmp_path, "a", "full", [[3.0]], machine="m1")
    write_record(tmp_path, "a", "full", [[4.0]], machine="m2")
    _, found = load(tmp_path)
    seeded, _ = samples.seeded_samples(found, ["full"])
    assert [(s.machine, s.values) for s in seeded] == [("m1", (3.0,)), ("m2", (4.0,))]


def test_unseeded_pools_add_repeats_made_with_the_same_scenario_only(tmp_path):
    write_record(tmp_path, "a", "none", [[1.0, 2.0], [3.0, 4.0]])
    write_record(tmp_path, "a", "none", [[5.0, 6.0]], kind="repeats")
    write_record(tmp_path, "b", "none", [[1.0]])
    write_record(tmp_path, "b", "none", [[7.0]], kind="repeats", sha="t" * 64)
    rs, found = load(tmp_path)
    pools, failures = samples.unseeded_pools(rs, found)
    assert [(p.cell, sorted(p.values)) for p in pools] == [("a", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
                                                          ("b", [1.0])]
    assert pools[0].records == ("records/m/a/canonical_mlp/none.json",
                                "records/m/a/canonical_mlp/repeats.json")
    assert failures == []


def test_no_results_directory_means_no_samples(tmp_path):
    rs, found = load(tmp_path / "absent")
    assert samples.seeded_samples(found) == ([], [])
    assert samples.unseeded_pools(rs, found) == ([], [])
