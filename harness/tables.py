"""Records -> pandas frames. The only place that turns raw records into rows; analysis and
publishing both start here. pandas is imported lazily by callers of this module only."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import records, verdicts
from .matrix import natural_key, recipe_rank

API_ORDER = {"keras2": 0, "tf.keras": 1, "tf-keras": 2, "keras3": 3, "none": 4}
COLUMNS = ["cell", "api", "backend", "python", "device", "scenario", "recipe", "verdict", "digits",
           "fingerprints", "notable", "replays", "ok_replays", "seconds_per_run", "seconds_per_fit",
           "import_seconds", "install_seconds", "observed_python", "observed_keras",
           "observed_backend", "observed_numpy", "keras_reports", "machine", "scenario_sha256",
           "complete", "error", "record"]


def cell_sort_key(cell: dict):
    return (API_ORDER.get(cell["api"], 9), cell["backend"], natural_key(cell["name"]))


def recipe_row(record: dict) -> dict:
    cell, replays = record["cell"], record["replays"]
    result = verdicts.verdict(record["recipe"], replays)
    ok = [r for r in replays if r.get("status") == "ok"]
    observed = next((r["observed"] for r in replays if r.get("observed")), {})
    backend_lib = observed.get("backend_library") or {}
    fits = [s for r in ok for s in r.get("fit_seconds", [])]
    return {
        "cell": cell["name"], "api": cell["api"], "backend": cell["backend"], "python": cell["python"],
        "device": cell["device"], "scenario": record["scenario"]["name"], "recipe": record["recipe"],
        "verdict": result["verdict"], "digits": result["digits"],
        "fingerprints": ";".join(result["fingerprints"]), "notable": bool(result["notable"]),
        "replays": len(replays), "ok_replays": len(ok),
        "seconds_per_run": _mean([r.get("wall_seconds") for r in replays]),
        "seconds_per_fit": _mean(fits),
        "import_seconds": _mean([r.get("import_seconds") for r in ok]),
        "install_seconds": record.get("environment", {}).get("install_seconds"),
        "observed_python": observed.get("python"), "observed_keras": observed.get("keras"),
        "observed_backend": " ".join(f"{k} {v}" for k, v in sorted(backend_lib.items())),
        "observed_numpy": observed.get("numpy"), "keras_reports": observed.get("backend_reported"),
        "machine": record.get("machine"), "scenario_sha256": record["scenario"]["sha256"],
        "complete": bool(record.get("complete")), "error": result.get("error", ""),
        "record": record.get("_path", ""),
    }


def install_failure_rows(env_record: dict) -> list:
    cell, outcome = env_record["cell"], env_record["outcome"]
    error = (outcome.get("error") or "").strip().splitlines()
    rows = []
    for scenario in cell["scenarios"]:
        for recipe in cell["recipes"]:
            row = {key: None for key in COLUMNS}
            row.update({"cell": cell["name"], "api": cell["api"], "backend": cell["backend"],
                        "python": cell["python"], "device": cell["device"], "scenario": scenario,
                        "recipe": recipe, "verdict": "install-failed", "notable": False,
                        "replays": 0, "ok_replays": 0, "fingerprints": "", "complete": True,
                        "install_seconds": outcome.get("install_seconds"),
                        "machine": env_record.get("machine"),
                        "error": error[0][:300] if error else "", "record": env_record.get("_path", "")})
            rows.append(row)
    return rows


def failed_environments(results: Path) -> dict:
    """{cell name: environment record} for cells whose latest install failed."""
    return {r["cell"]["name"]: r for r in records.load_all(results, "environment")
            if r["outcome"]["status"] != "ok"}


def recipe_frame(results: Path) -> pd.DataFrame:
    """One row per (cell, scenario, recipe): the verdict and what was observed.

    A cell whose latest environment record is an install failure shows that failure in every
    recipe (older replay records stay on disk, untouched)."""
    failed = failed_environments(results)
    rows, cells = [], {}
    for record in records.load_all(results, "replays"):
        cells[record["cell"]["name"]] = record["cell"]
        if record["cell"]["name"] not in failed:
            rows.append(recipe_row(record))
    for name, env_record in failed.items():
        cells[name] = env_record["cell"]
        rows.extend(install_failure_rows(env_record))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    order = {name: i for i, name in enumerate(sorted(cells, key=lambda n: cell_sort_key(cells[n])))}
    if frame.empty:
        return frame
    frame["_c"] = frame["cell"].map(order)
    frame["_r"] = frame["recipe"].map(recipe_rank)
    return frame.sort_values(["_c", "scenario", "_r"]).drop(columns=["_c", "_r"]).reset_index(drop=True)


def _mean(values):
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 3) if values else None
