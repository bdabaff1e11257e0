"""Synthetic records for the analysis tests, and tests of how values are read from records."""
from harness import records
from harness.analysis import samples

SCENARIO = "canonical_mlp"


def cell_dict(name, api="keras3", backend="jax", recipes=("none", "numpy", "tutorial", "full", "strict")):
    return {"name": name, "api": api, "backend": backend, "python": "3.11", "device": "cpu",
            "env": {}, "installer": "auto", "notes": "", "replays": 3, "requirements": [],
            "recipes": list(recipes), "scenarios": [SCENARIO], "tags": [], "timeout": 60}


def replay(values, index=0, status="ok"):
    if status != "ok":
        return {"status": status, "index": index, "error_summary": "boom", "wall_seconds": 1.0}
    return {"status": "ok", "index": index, "values": [float(v) for v in values],
            "values_hex": [float(v).hex() for v in values], "fit_seconds": [0.1] * len(values),
            "wall_seconds": 1.0}


def write_record(results, cell, recipe, lists, scenario=SCENARIO, sha="s" * 64, kind="replays",
                 statuses=None, env_hash="e", **cell_keys):
    """A record whose replays have the given value lists (statuses default to ok)."""
    statuses = statuses or ["ok"] * len(lists)
    body = {"cell": cell_dict(cell, **cell_keys), "scenario": {"name": scenario, "sha256": sha},
            "recipe": recipe, "machine": "m", "harness": "0",
            "environment": {"env_hash": env_hash, "install_seconds": 1.0, "installer": "uv"},
            "replays": [replay(v, i, s) for i, (v, s) in enumerate(zip(lists, statuses))],
            "complete": True}
    path = records.recipe_path(results, cell, scenario, recipe)
    if kind == samples.REPEATS_KIND:
        path = samples.repeats_path(results, cell, scenario)
    return records.write(path, kind, body)


def write_environment(results, cell, status="ok", **cell_keys):
    outcome = {"status": status, "error": None if status == "ok" else "no such package\nmore",
               "install_seconds": 2.0}
    return records.write(records.environment_path(results, cell), "environment",
                         {"cell": cell_dict(cell, **cell_keys), "machine": "m", "outcome": outcome})


def test_seeded_samples_take_the_first_ok_replay_and_list_failures(tmp_path):
    write_record(tmp_path, "b", "full", [[9.0], [1.0], [2.0]], statuses=["crashed", "ok", "ok"])
    write_record(tmp_path, "a", "full", [[3.0]])
    write_record(tmp_path, "c", "full", [[4.0]], statuses=["timed-out"])
    write_environment(tmp_path, "d", status="install-failed")
    write_record(tmp_path, "d", "full", [[5.0]])      # older record of a cell that no longer installs
    found, failures = samples.seeded_samples(tmp_path, ["full"])
    assert [(s.cell, s.values) for s in found] == [("a", (3.0,)), ("b", (1.0,))]
    assert found[1].record == "records/b/canonical_mlp/full.json"
    assert [(f.cell, f.status) for f in failures] == [("c", "timed-out"), ("d", "install-failed")]
    assert failures[1].record == "records/d/environment.json"


def test_unseeded_pools_add_repeats_made_with_the_same_scenario_only(tmp_path):
    write_record(tmp_path, "a", "none", [[1.0, 2.0], [3.0, 4.0]])
    write_record(tmp_path, "a", "none", [[5.0, 6.0]], kind=samples.REPEATS_KIND)
    write_record(tmp_path, "b", "none", [[1.0]])
    write_record(tmp_path, "b", "none", [[7.0]], kind=samples.REPEATS_KIND, sha="t" * 64)
    pools, failures = samples.unseeded_pools(tmp_path)
    assert [(p.cell, sorted(p.values)) for p in pools] == [("a", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
                                                          ("b", [1.0])]
    assert pools[0].records == ("records/a/canonical_mlp/none.json", "records/a/canonical_mlp/repeats.json")
    assert failures == []


def test_no_results_directory_means_no_samples(tmp_path):
    assert samples.seeded_samples(tmp_path / "absent") == ([], [])
    assert samples.unseeded_pools(tmp_path / "absent") == ([], [])
