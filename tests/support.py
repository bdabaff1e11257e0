"""Synthetic records for tests of the store, derive and report layers."""
from harness.derive import outcomes as derive_outcomes
from harness.store import records
from harness.store.resultset import ResultSet

SCENARIO = "canonical_mlp"
MACHINE = "m"


def cell_dict(name, api="keras3", backend="jax", recipes=("none", "numpy", "tutorial", "full", "strict"),
              tags=()):
    return {"name": name, "api": api, "backend": backend, "python": "3.11", "device": "cpu",
            "env": {}, "installer": "auto", "notes": "", "replays": 3, "requirements": [],
            "recipes": list(recipes), "scenarios": [SCENARIO], "tags": list(tags), "timeout": 60}


def replay(values, index=0, status="ok"):
    if status != "ok":
        return {"status": status, "index": index, "error_summary": "boom", "wall_seconds": 1.0}
    return {"status": "ok", "index": index, "values": [float(v) for v in values],
            "values_hex": [float(v).hex() for v in values], "fit_seconds": [0.1] * len(values),
            "wall_seconds": 1.0, "seed_calls": ["numpy.random.seed(1)"]}


def write_record(results, cell, recipe, lists, scenario=SCENARIO, sha="s" * 64, kind="replays",
                 statuses=None, env_hash="e", machine=MACHINE, started="2026-01-01T00:00:00Z",
                 complete=True, inputs=None, **cell_keys):
    """A record whose replays have the given value lists (statuses default to ok), with `inputs`
    (harness/inputs.py) when given."""
    statuses = statuses or ["ok"] * len(lists)
    body = {"cell": cell_dict(cell, **cell_keys), "scenario": {"name": scenario, "sha256": sha},
            "recipe": recipe, "machine": machine, "harness": "0", "started": started,
            "environment": {"env_hash": env_hash, "install_seconds": 1.0, "installer": "uv"},
            "replays": [replay(v, i, s) for i, (v, s) in enumerate(zip(lists, statuses))],
            "complete": complete}
    if inputs is not None:
        body["inputs"] = inputs
    if kind == "repeats":
        path = records.repeats_path(results, machine, cell, scenario)
    else:
        path = records.recipe_path(results, machine, cell, scenario, recipe)
    return records.write(path, kind, body)


def write_environment(results, cell, status="ok", machine=MACHINE, packages=(), **cell_keys):
    outcome = {"status": status, "error": None if status == "ok" else "no such package\nmore",
               "install_seconds": 2.0, "packages": list(packages)}
    return records.write(records.environment_path(results, machine, cell), "environment",
                         {"cell": cell_dict(cell, **cell_keys), "machine": machine, "outcome": outcome})


def load(results):
    """(ResultSet, outcomes) of a results directory."""
    rs = ResultSet.load(results)
    return rs, derive_outcomes.outcomes(rs)


# Two real numpy-only cells that run in seconds: the matrix of the shard and workflow simulations.
TWO_CELL_MATRIX = """schema = 1
[defaults]
replays = 2
timeout = 120
recipes = ["numpy", "full"]
scenarios = ["numpy_draw"]

[[cell]]
name = "alpha"
api = "none"
backend = "none"
python = "{python}"
requirements = ["numpy"]

[[cell]]
name = "beta"
api = "none"
backend = "none"
python = "{python}"
requirements = ["numpy"]
"""
