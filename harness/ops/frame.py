"""Every record as a table, for notebooks: one row per replay.

    from harness.ops.frame import load_frame
    df = load_frame("results")            # a pandas DataFrame (pip install pandas)
    df[(df.recipe == "full") & (df.verdict == "bitwise")].groupby(["cell", "machine_class"]).fingerprint.unique()

`load_rows` gives the same rows as plain dicts without pandas. Columns: cell, api, backend,
python, keras, backend_version, device, machine, machine_class (derive/classes.py, for this
stack), scenario, recipe, verdict (of the whole record), digits, processes, provisional, stale,
replay (index), status, fingerprint (of this replay's values), values (a list of floats),
wall_seconds, onednn_on (TensorFlow's own report, where recorded), record (its file).
"""
from __future__ import annotations

from pathlib import Path

from ..derive import classes, verdicts
from ..derive.outcomes import outcomes
from ..store.resultset import ResultSet
from .. import inputs

COLUMNS = ("cell", "api", "backend", "python", "keras", "backend_version", "device", "machine",
           "machine_class", "scenario", "recipe", "verdict", "digits", "processes", "provisional",
           "stale", "replay", "status", "fingerprint", "values", "wall_seconds", "onednn_on", "record")


def load_rows(results="results") -> list:
    """One dict per replay of every replays record under `results`, in matrix order."""
    rs = ResultSet.load(Path(results))
    found = outcomes(rs, inputs.scenario_inputs({o.scenario for o in outcomes(rs)}))
    infos = rs.machine_infos()
    rows = []
    for outcome in found:
        record = rs.recipes.get((outcome.machine, outcome.cell_name, outcome.scenario, outcome.recipe))
        if record is None:
            continue
        info = infos.get(outcome.machine)
        for replay in record.replays:
            onednn = classes.onednn_of(replay.get("codepath"))
            values = replay.get("values") if replay.get("status") == "ok" else None
            rows.append({
                "cell": outcome.cell_name, "api": outcome.cell.get("api"), "backend": outcome.cell.get("backend"),
                "python": outcome.observed.get("python"), "keras": outcome.observed.get("keras"),
                "backend_version": outcome.observed.get("backend"), "device": outcome.cell.get("device"),
                "machine": outcome.machine,
                "machine_class": classes.cell_class(info, outcome.cell, onednn) if info else None,
                "scenario": outcome.scenario, "recipe": outcome.recipe, "verdict": outcome.verdict.name,
                "digits": outcome.verdict.digits, "processes": outcome.verdict.processes,
                "provisional": outcome.verdict.provisional, "stale": outcome.stale,
                "replay": replay.get("index"), "status": replay.get("status"),
                "fingerprint": verdicts.fingerprint(values) if values else None,
                "values": list(values) if values else None, "wall_seconds": replay.get("wall_seconds"),
                "onednn_on": onednn, "record": record.path})
    return rows


def load_frame(results="results"):
    """`load_rows` as a pandas DataFrame with COLUMNS (pandas is imported only here)."""
    try:
        import pandas
    except ImportError:
        raise ImportError("load_frame needs pandas (pip install pandas); load_rows gives the same "
                          "rows as dicts") from None
    return pandas.DataFrame(load_rows(results), columns=list(COLUMNS))
