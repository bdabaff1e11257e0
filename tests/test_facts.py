"""Each fact of the house written once, or its copies kept equal here: the ladder's parts, the API
and backend lists (the worker's Python 2.7 copies), the status lists, the nox verb sessions."""
import ast
import json
import subprocess
import sys
from pathlib import Path

from harness import cli, matrix
from harness.derive import verdicts
from harness.execute import runner, worker

PACKAGE = Path(__file__).resolve().parent.parent / "harness"


def test_the_ladder_splits_into_the_unseeded_baseline_and_the_seeded_recipes():
    assert (matrix.UNSEEDED,) + matrix.SEEDED == matrix.RECIPES
    assert matrix.UNSEEDED == "none" and "numpy" in matrix.SEEDED


def test_no_module_writes_down_part_of_the_ladder():
    """A tuple or list of two or more recipe names, outside matrix.py and the worker's copy, is a
    second ladder no test would keep in step (publish and the CLI each had one)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name in ("matrix.py", "worker.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and len(node.elts) >= 2 and all(
                    isinstance(e, ast.Constant) and e.value in matrix.RECIPES for e in node.elts):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert found == []


def test_the_workers_copies_of_the_api_and_backend_lists_agree():
    assert worker.APIS == matrix.APIS and worker.BACKENDS == matrix.BACKENDS
    assert worker.RECIPES == matrix.RECIPES


def test_the_status_lists_agree():
    """Every replay status is a value (ok), not-applicable, or a failure verdict; a worker writes a
    subset of them; install-failed is a cell's, never a replay's."""
    assert set(runner.REPLAY_STATUSES) == ({"ok", verdicts.NOT_APPLICABLE}
                                           | set(verdicts.FAILURE_STATUSES)) - {"install-failed"}
    assert set(runner.WORKER_STATUSES) <= set(runner.REPLAY_STATUSES)
    assert set(worker.RAN_TO_AN_OUTCOME) <= set(runner.WORKER_STATUSES)
    assert set(verdicts.DROPPED) <= set(verdicts.FAILURE_STATUSES)


def test_one_agreement_threshold():
    from harness.derive import agreement
    assert agreement.LINEAGE_MIN_DIGITS is verdicts.AGREE_MIN_DIGITS


def test_nox_has_a_session_for_every_verb_of_the_cli(root):
    done = subprocess.run([sys.executable, "-m", "nox", "-l"], cwd=root, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    sessions = {line[2:].split()[0] for line in done.stdout.splitlines() if line[:2] in ("* ", "- ")}
    assert set(cli.COMMANDS) <= sessions and "identify" in sessions


def test_the_stats_plot_labels_each_panel_with_its_scenarios_recorded_metric(tmp_path):
    from harness.derive import scenario_summary
    from harness.report import distribution
    from support import load, write_record
    for scenario, metric in (("batchnorm", "weights digest after 4 epochs"), ("canonical_mlp", "MSE")):
        path = write_record(tmp_path, "c", "none", [[0.1], [0.2]], scenario=scenario)
        data = json.loads(path.read_text())
        for replay in data["replays"]:
            replay["metric"] = metric
        path.write_text(json.dumps(data))
    rs, _ = load(tmp_path)
    metrics = {name: d.metrics for name, d in scenario_summary.declared(rs.recipes.values()).items()}
    assert distribution.axis_label("batchnorm", metrics) == "unseeded value (weights digest after 4 epochs)"
    assert distribution.axis_label("canonical_mlp", metrics) == "unseeded value (MSE)"
    assert distribution.axis_label("unrecorded", metrics) == "unseeded value"
