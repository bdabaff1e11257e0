"""What a record is made from (harness/inputs.py), and the one "current" rule: a change to any code
a recipe runs, or to the scenario support module, makes the records stale for `run` and for the
published mark alike; a reworded docstring or a change to code no recipe reaches does not."""
import ast

import pytest

from conftest import TEST_SCENARIOS, plain_cell
from harness import inputs, paths
from harness.derive import outcomes
from harness.ops import plan
from harness.store.resultset import ResultSet
from support import write_record

SCENARIO = TEST_SCENARIOS / "numpy_draw.py"
MACHINE = "m1"
# Read off the worker by hand: what the recipes call, directly or through another function.
REACHED_BY_A_RECIPE = ("recipe_environment", "_joined_flags", "device_environment", "reexec_if_needed",
                       "apply_before_keras", "seed_backend", "strict_before_keras", "tf_major",
                       "strict_on_gpu", "theano_knows", "apply_after_keras", "keras_label",
                       "strict_after_keras")
CONSTANTS_READ_BY_A_RECIPE = ("NUMPY_SEED", "BACKEND_SEED", "SINGLE_THREAD_VARS", "REEXEC_FLAG")
NOT_REACHED = ("observe", "write_result", "bounded", "describe_error", "load_support")


def changed_function(source: str, name: str) -> str:
    """The source with one more statement at the end of function `name`."""
    node = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == name)
    lines = source.splitlines(keepends=True)
    lines.insert(node.end_lineno, " " * node.body[0].col_offset + "_changed = 1\n")
    return "".join(lines)


def worker_copy(tmp_path, text: str):
    path = tmp_path / "worker.py"
    path.write_text(text)
    return path


def results_with(tmp_path, made: dict):
    """A results tree with one complete numpy record of the plain cell made from `made`."""
    results = tmp_path / "results"
    write_record(results, "c1", "numpy", [[0.5]], scenario="numpy_draw", sha=made["scenario_sha256"],
                 env_hash=made["env_hash"], machine=MACHINE, inputs=made)
    return results


def verdicts_now(results) -> tuple:
    """(current for `run`, stale in the published mark) of the record, judged by today's code."""
    cell = plain_cell("c1", recipes=("numpy",), replays=1)
    [task] = plan.plan_cell(cell, results, MACHINE, scenarios_dir=TEST_SCENARIOS)
    rs = ResultSet.load(results)
    [outcome] = [o for o in outcomes.outcomes(rs, inputs.scenario_inputs(["numpy_draw"], TEST_SCENARIOS))
                 if o.recipe == "numpy"]
    return task.current, outcome.stale, task.note


def assert_stale_by(tmp_path, field, **older):
    """A record made with an older worker or support module differs from today's in `field` alone,
    and `run` and the published mark both find it stale (the run's note names the field)."""
    cell = plain_cell("c1", recipes=("numpy",), replays=1)
    made = inputs.of(cell, SCENARIO, "numpy", MACHINE, **older)
    assert inputs.changed(made, inputs.of(cell, SCENARIO, "numpy", MACHINE)) == [field]
    current, stale, note = verdicts_now(results_with(tmp_path, made))
    assert (current, stale) == (False, True) and field in note


def test_the_recipe_code_is_found_by_following_calls():
    reached = inputs.recipe_names(inputs._definitions(ast.parse(paths.WORKER.read_text())))
    assert set(REACHED_BY_A_RECIPE + CONSTANTS_READ_BY_A_RECIPE) <= reached
    assert not reached & set(NOT_REACHED)


def test_a_record_made_now_is_current_and_not_stale(tmp_path):
    cell = plain_cell("c1", recipes=("numpy",), replays=1)
    results = results_with(tmp_path, inputs.of(cell, SCENARIO, "numpy", MACHINE))
    assert verdicts_now(results)[:2] == (True, False)


@pytest.mark.parametrize("name", REACHED_BY_A_RECIPE)
def test_a_change_to_a_function_a_recipe_reaches_makes_the_records_stale(tmp_path, name):
    """The record was made by a worker that differed in one function: today it is not current."""
    older = worker_copy(tmp_path, changed_function(paths.WORKER.read_text(), name))
    assert_stale_by(tmp_path, "recipe_code", worker=older)


@pytest.mark.parametrize("constant", CONSTANTS_READ_BY_A_RECIPE)
def test_a_change_to_a_constant_a_recipe_reads_changes_the_recipe_code(tmp_path, constant):
    older = worker_copy(tmp_path, paths.WORKER.read_text() + f"\n{constant} = None\n")
    assert inputs.worker_facts(older)[1] != inputs.worker_facts(paths.WORKER)[1]


def test_a_changed_support_module_makes_the_records_of_scenarios_that_use_it_stale(tmp_path):
    older = tmp_path / "scenario_support.py"
    older.write_text(inputs.SUPPORT.read_text().replace("DIGEST_SCALE = 1024.0", "DIGEST_SCALE = 512.0"))
    cell = plain_cell("c1", recipes=("numpy",), replays=1)
    user = TEST_SCENARIOS / "contract2.py"          # CONTRACT = 2: its run_once gets the module
    made = inputs.of(cell, user, "numpy", MACHINE, support=older)
    assert inputs.changed(made, inputs.of(cell, user, "numpy", MACHINE)) == ["support_sha256"]
    # a contract-1 scenario that does not import the module cannot reach it: still current
    plain = inputs.of(cell, SCENARIO, "numpy", MACHINE, support=older)
    assert plain["support_sha256"] is None
    assert inputs.changed(plain, inputs.of(cell, SCENARIO, "numpy", MACHINE)) == []


@pytest.mark.parametrize("source, uses", [
    ("NAME = 'x'\nREPEATS = 1\ndef run_once(keras, np):\n    return 1.0\n", False),
    ("CONTRACT = 2\n", True),
    ("import scenario_support\n", True),
    ("from scenario_support import train\n", True),
    ("def f(:\n", True),                                  # does not parse: assume it does
])
def test_which_scenarios_can_reach_the_support_module(source, uses):
    assert inputs.uses_support(source) is uses


@pytest.mark.parametrize("name", NOT_REACHED)
def test_a_change_no_recipe_reaches_keeps_the_records_current(tmp_path, name):
    older = worker_copy(tmp_path, changed_function(paths.WORKER.read_text(), name))
    assert inputs.worker_facts(older) == inputs.worker_facts(paths.WORKER)


def test_a_reworded_docstring_or_comment_keeps_the_records_current(tmp_path):
    text = paths.WORKER.read_text()
    docstring = '"""Everything the recipe does before `import keras`."""'
    assert docstring in text
    older = worker_copy(tmp_path, text.replace(docstring, '"""Reworded."""').replace(
        "def tf_major(lib):", "def tf_major(lib):  # a comment\n    \"\"\"A new docstring.\"\"\""))
    assert inputs.worker_facts(older) == inputs.worker_facts(paths.WORKER)
    cell = plain_cell("c1", recipes=("numpy",), replays=1)
    made = inputs.of(cell, SCENARIO, "numpy", MACHINE, worker=older)
    assert verdicts_now(results_with(tmp_path, made))[:2] == (True, False)


def test_a_record_without_inputs_is_never_current(tmp_path):
    results = tmp_path / "results"
    write_record(results, "c1", "numpy", [[0.5]], scenario="numpy_draw", sha=inputs.sha256(SCENARIO),
                 machine=MACHINE)
    current, stale, note = verdicts_now(results)
    assert (current, stale) == (False, True) and "predates" in note


def test_a_worker_without_a_recipe_entry_point_is_refused_by_name(tmp_path):
    older = worker_copy(tmp_path, paths.WORKER.read_text().replace("def apply_after_keras(", "def renamed("))
    with pytest.raises(ValueError, match="apply_after_keras"):
        inputs.worker_facts(older)


def test_the_worker_schema_is_read_from_the_source():
    from harness.execute import worker
    assert inputs.worker_facts()[0] == worker.RESULT_SCHEMA


def _branch_body_changed(text: str, test: str) -> str:
    """The source with one more statement at the start of the first `if`/`elif <test>:` body."""
    marker = f"{test}:\n"
    at = text.index(marker) + len(marker)
    indent = len(text[at:]) - len(text[at:].lstrip(" "))
    return text[:at] + " " * indent + "_changed = 1\n" + text[at:]


@pytest.mark.parametrize("test", ['elif backend == "mxnet"', 'elif backend in BACKEND_WITHOUT_SEED'])
def test_a_branch_only_an_added_backend_takes_stales_only_that_backends_records(tmp_path, test):
    older = worker_copy(tmp_path, _branch_body_changed(paths.WORKER.read_text(), test))
    # the records of every other backend keep their recipe code ...
    for backend in ("tensorflow", "theano", "cntk", "jax", "torch", None):
        assert inputs.worker_facts(older, backend) == inputs.worker_facts(paths.WORKER, backend)
    # ... and those of the backends the branch is for do not
    takers = ["mxnet"] if "mxnet" in test else ["plaidml", "numpy", "openvino"]
    for backend in takers:
        assert inputs.worker_facts(older, backend) != inputs.worker_facts(paths.WORKER, backend)
    mx = plain_cell("c1", recipes=("numpy",), replays=1, backend=takers[0])
    assert inputs.changed(inputs.of(mx, SCENARIO, "numpy", MACHINE, worker=older),
                          inputs.of(mx, SCENARIO, "numpy", MACHINE)) == ["recipe_code"]


def test_a_branch_of_a_first_backend_stales_every_backends_records(tmp_path):
    older = worker_copy(tmp_path, _branch_body_changed(paths.WORKER.read_text(), 'elif backend == "theano"'))
    for backend in ("tensorflow", "theano", "jax", "mxnet", "openvino"):
        assert inputs.worker_facts(older, backend) != inputs.worker_facts(paths.WORKER, backend)


def test_the_published_mark_judges_a_record_by_its_own_backends_recipe_code():
    found = inputs.scenario_inputs(["canonical_mlp"])["canonical_mlp"]
    assert inputs.for_backend(found, "mxnet")["recipe_code"] == inputs.worker_facts(backend="mxnet")[1]
    assert inputs.for_backend(found, "tensorflow")["recipe_code"] == inputs.worker_facts()[1]
    assert inputs.worker_facts(backend="mxnet")[1] != inputs.worker_facts()[1]
