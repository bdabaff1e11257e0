"""Property-based tests (hypothesis): matrix files, records and worker result files, fuzzed.

Each property: a clear error or a recorded outcome, never a traceback; never a path outside its
root; never a complete record replaced by one with fewer replays of the same inputs."""
import json
import math
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import plain_cell
from harness import generated, inputs, matrix
from harness.derive import outcomes, verdicts
from harness.execute import runner
from harness.ops import plan
from harness.store import records
from harness.store.resultset import ResultSet

# database=None: no .hypothesis/ folder in the checkout; failures print their example instead
FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
FILES = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

hostile_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["../../../../tmp/x/evil", "/etc/passwd", "a/b", "..", ".", "x\ncommands = touch /tmp/PWNED",
                     "ok-name", "canonical_mlp", "numpy", "full", "3.11", "x" * 300, "a b", "\x00", "é"]))
scalars = st.one_of(hostile_text, st.integers(-5, 5), st.booleans(), st.floats(allow_nan=False, allow_infinity=False))
values = st.one_of(scalars, st.lists(scalars, max_size=4), st.dictionaries(hostile_text, scalars, max_size=3))
KEYS = sorted(matrix.CELL_KEYS) + ["bogus"]


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {toml_value(v)}" for k, v in value.items()) + "}"


def cell_entry(draw_changes: dict) -> dict:
    entry = {"name": "c", "api": "none", "backend": "none", "python": "3.11", "requirements": ["numpy"]}
    entry.update(draw_changes)
    return entry


@st.composite
def matrix_texts(draw):
    cells = draw(st.lists(st.dictionaries(st.sampled_from(KEYS), values, max_size=4), min_size=1, max_size=3))
    text = ""
    for changes in cells:
        text += "[[cell]]\n" + "".join(f"{json.dumps(k)} = {toml_value(v)}\n"
                                       for k, v in cell_entry(changes).items()) + "\n"
    if draw(st.booleans()):
        text += ("[[ladder]]\nname_template = " + toml_value(draw(hostile_text)) + "\nversions = "
                 + toml_value(draw(st.lists(scalars, max_size=3))) + '\napi = "none"\nbackend = "none"\n'
                 'python = "3.11"\nrequirements = ["numpy"]\n')
    return text


def check_loaded(m: matrix.Matrix, root: Path):
    tox = generated.tox_ini(m)
    assert sum(1 for line in tox.splitlines() if line.startswith("commands")) == 1
    for cell in m.cells:
        for name in (cell.name, *cell.scenarios, *cell.recipes):
            assert records.safe_name("name", name) == name
        for tag in cell.tags:
            assert "\n" not in tag and "=" not in tag
        for scenario in cell.scenarios:
            for recipe in cell.recipes:
                path = records.recipe_path(root, "m1", cell.name, scenario, recipe).resolve()
                assert root.resolve() in path.parents


@FUZZ
@given(matrix_texts())
def test_a_fuzzed_matrix_loads_or_gives_a_matrix_error(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "matrix.toml"
        path.write_text(text)
        try:
            loaded = matrix.load(path)
        except matrix.MatrixError as exc:
            assert str(path) in str(exc)
            return
        check_loaded(loaded, Path(tmp) / "results")


@FUZZ
@given(st.text(max_size=200))
def test_any_text_as_a_matrix_file_is_a_matrix_error_or_a_matrix(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "matrix.toml"
        path.write_text(text)
        try:
            matrix.load(path)
        except matrix.MatrixError:
            pass


@FUZZ
@given(st.lists(hostile_text, min_size=4, max_size=4))
def test_record_paths_never_leave_the_results_directory(names):
    root = Path("/nonexistent/results")
    try:
        path = records.recipe_path(root, *names)
    except records.RecordError:
        return
    assert root in path.parents and ".." not in path.parts


# --- records ------------------------------------------------------------------------------------
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
              st.text(max_size=10)),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12)


def good_body(index=0) -> dict:
    return {"cell": plain_cell("c1").as_dict(), "machine": "m1", "recipe": "numpy",
            "scenario": {"name": "numpy_draw", "sha256": None}, "complete": True,
            "replays": [{"status": "ok", "values": [0.5, 0.25], "index": index}]}


@st.composite
def mutated_records(draw):
    data = json.loads(records.encode("replays", good_body()))
    for _ in range(draw(st.integers(1, 3))):
        where = data
        path = draw(st.sampled_from([["replays"], ["cell"], ["cell", "name"], ["scenario"], ["scenario", "name"],
                                     ["machine"], ["recipe"], ["complete"], ["schema"], ["kind"], ["format"],
                                     ["replays", 0], ["replays", 0, "values"], ["replays", 0, "status"]]))
        for key in path[:-1]:
            where = where[key] if isinstance(where, (dict, list)) and (
                isinstance(where, dict) and key in where
                or isinstance(where, list) and isinstance(key, int) and len(where) > key) else None
            if where is None:
                break
        if where is None:
            continue
        if isinstance(where, dict) and draw(st.booleans()):
            where.pop(path[-1], None)
        elif isinstance(where, dict) or (isinstance(where, list) and isinstance(path[-1], int)
                                         and len(where) > path[-1]):
            where[path[-1]] = draw(json_values)
    return data


@FILES
@given(st.lists(st.one_of(mutated_records().map(json.dumps), st.binary(max_size=60).map(
    lambda b: b.decode("latin-1")), st.just('{"format": "keras-repro-record", "schema": 2, "kind": "replays", "x": NaN}')),
    min_size=1, max_size=4))
def test_a_results_tree_with_fuzzed_records_loads_the_good_one_and_reports_the_rest(texts):
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp)
        good = records.write(records.recipe_path(results, "m1", "good", "numpy_draw", "numpy"), "replays",
                             dict(good_body(), cell=plain_cell("good").as_dict()))
        for number, text in enumerate(texts):
            (records.records_dir(results) / "m1" / f"fuzz{number}.json").write_text(text)
        rs = ResultSet.load(results)
        assert ("m1", "good", "numpy_draw", "numpy") in rs.recipes
        for problem in rs.problems:
            assert "fuzz" in problem                       # the file is named
        bad = 0
        for number, text in enumerate(texts):
            try:
                records.parse(text.encode("utf-8"), "x")
            except records.RecordError:
                bad += 1
        assert len(rs.problems) == bad                     # every bad file reported, no good one
        for outcome in outcomes.outcomes(rs):
            verdicts.label(outcome.verdict) if hasattr(outcome, "verdict") else None
        assert good.read_text().startswith("{")


# --- worker result files ---------------------------------------------------------------------------
@st.composite
def result_files(draw):
    result = {"schema": draw(st.one_of(st.just(2), st.just(1), json_values)),
              "status": draw(st.one_of(st.sampled_from(runner.WORKER_STATUSES), json_values))}
    if draw(st.booleans()):
        numbers = draw(st.lists(st.floats(), min_size=0, max_size=4))
        result["values"] = [n if math.isfinite(n) else None for n in numbers]
        result["values_hex"] = [n.hex() for n in numbers] if draw(st.booleans()) else draw(json_values)
        result["fit_seconds"] = draw(st.one_of(st.just([0.1] * len(numbers)), json_values))
    for key in draw(st.lists(st.sampled_from(["error", "reason", "observed", "seed_calls"]), max_size=2)):
        result[key] = draw(json_values)
    return result



def test_values_hex_beside_a_failure_status(tmp_path):
    out = tmp_path / "result.json"
    out.write_text('{"schema": 2, "status": "crashed", "values_hex": null}')
    assert runner._interpret(out, 1, False, 60, "")["status"] in runner.REPLAY_STATUSES


@FILES
@given(st.one_of(result_files().map(lambda r: json.dumps(r)), st.text(max_size=80)))
def test_any_worker_result_file_becomes_a_recordable_replay(text):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        out.write_text(text)
        replay = runner._interpret(out, 0, False, 60, "")
        assert replay["status"] in runner.REPLAY_STATUSES
        replay["index"] = 0
        body = dict(good_body(), replays=[replay])
        path = records.write(records.recipe_path(Path(tmp), "m1", "c1", "numpy_draw", "numpy"), "replays", body)
        back = records.read(path)                          # strict JSON, valid shape
        assert back["replays"][0]["status"] == replay["status"]
        verdicts.verdict("numpy", back["replays"])


# --- never a lost record ---------------------------------------------------------------------------
@FILES
@given(complete=st.integers(0, 4), partial=st.integers(0, 4), asked=st.integers(1, 5),
       same_complete=st.booleans(), same_partial=st.booleans(), force=st.booleans())
def test_the_plan_never_leaves_fewer_replays_than_a_complete_record_of_the_same_inputs(
        complete, partial, asked, same_complete, same_partial, force):
    cell = plain_cell("c1", scenarios=("numpy_draw",), recipes=("numpy",))
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp)
        from conftest import TEST_SCENARIOS
        wanted = inputs.of(cell, TEST_SCENARIOS / "numpy_draw.py", "numpy", "m1")
        target = records.recipe_path(results, "m1", "c1", "numpy_draw", "numpy")
        for path, count, same, done in ((target, complete, same_complete, True),
                                        (plan.partial_path(target), partial, same_partial, False)):
            if count:
                body = dict(good_body(), complete=done, inputs=wanted if same else dict(wanted, recipe_code="x"),
                            replays=[{"status": "ok", "values": [0.5], "index": i} for i in range(count)])
                records.write(path, "replays", body)
        [task] = plan.plan_cell(cell, results, "m1", replays=asked, scenarios_dir=TEST_SCENARIOS, force=force)
        final = len(task.kept) + len(task.missing)
        if complete and same_complete:
            assert final >= complete
            assert force or task.current == (complete >= asked) or final >= asked
        assert final >= asked
        assert len({r["index"] for r in task.kept} | set(task.missing)) == final


# --- merge and publish of fuzzed records ------------------------------------------------------------
hostile_json = st.one_of(
    json_values,
    st.sampled_from([None, 5, "x", [], {}, 10 ** 400, -(10 ** 30), 2 ** 63 + 1, "0/../../../../tmp/ESCAPED",
                     "../x", "2026-11-29T00:00:00Z", "2026-11-29T00:00:00Z/../../x", ["A=1"], {"A": 1},
                     [[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]))
RECORD_PLACES = [["started"], ["environment"], ["harness"], ["inputs"], ["cell", "env"], ["cell", "tags"],
                 ["cell", "timeout"], ["cell", "replays"], ["replays", 0, "observed"],
                 ["replays", 0, "seed_calls"], ["replays", 0, "seed_unavailable"], ["replays", 0, "error"],
                 ["replays", 0, "fit_seconds"], ["replays", 0, "index"], ["replays", 0, "values"],
                 ["replays", 0, "values", 0], ["replays", 0, "error_summary"], ["cell", "name"], ["machine"],
                 ["scenario", "name"], ["recipe"], ["complete"], ["replays"]]


@st.composite
def hostile_records(draw):
    data = json.loads(records.encode("replays", dict(good_body(), machine="m2",
                                                     started="2026-11-29T00:00:00Z")))
    for _ in range(draw(st.integers(1, 3))):
        *keys, last = draw(st.sampled_from(RECORD_PLACES))
        where = data
        for key in keys:
            try:
                where = where[key]
            except (KeyError, IndexError, TypeError):
                where = None
                break
        if isinstance(where, dict) or isinstance(where, list) and isinstance(last, int) and len(where) > last:
            where[last] = draw(hostile_json)
    text = json.dumps(data)
    if draw(st.integers(0, 9)) == 0:             # now and then nested far too deep for any reader
        text = text[:-1] + ', "deep": ' + "[" * 50000 + "]" * 50000 + "}"
    return text


def tree(folder: Path) -> dict:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


MERGES = settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@MERGES
@given(hostile_records())
def test_merge_takes_a_fuzzed_record_whole_or_refuses_the_source_and_writes_nothing(text):
    from harness.ops import merge
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        results, source = tmp / "inside" / "results", tmp / "source"
        records.write(records.recipe_path(results, "m2", "c1", "numpy_draw", "numpy"), "replays",
                      dict(good_body(), machine="m2", started="2026-11-30T00:00:00Z"))
        records.write(records.recipe_path(source, "m1", "c1", "numpy_draw", "numpy"), "replays", good_body())
        (records.records_dir(source) / "m2" / "fuzzed.json").parent.mkdir(parents=True)
        (records.records_dir(source) / "m2" / "fuzzed.json").write_text(text)
        before = tree(results)
        try:
            merge.merge([source], results)
        except merge.MergeError as exc:
            assert "fuzzed.json" in str(exc) and "nothing written" in str(exc)
            assert tree(results) == before                     # never half-merged
        else:
            rs = ResultSet.load(results)
            assert rs.problems == [] and ("m1", "c1", "numpy_draw", "numpy") in rs.recipes
        outside = [p for p in tmp.rglob("*") if p.is_file() and results not in p.parents
                   and source not in p.parents]
        assert outside == []                                   # nothing written beside the results


PUBLISHES = settings(max_examples=12, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@PUBLISHES
@given(st.lists(hostile_records(), min_size=1, max_size=3))
def test_publish_of_a_tree_with_fuzzed_records_publishes_the_good_and_names_the_bad(texts):
    from harness.report import publish
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results"
        records.write(records.recipe_path(results, "m1", "c1", "numpy_draw", "numpy"), "replays", good_body())
        for number, text in enumerate(texts):
            path = records.records_dir(results) / "m2" / f"fuzz{number}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        rs = ResultSet.load(results)
        assert all("fuzz" in problem for problem in rs.problems)
        written = publish.publish(rs, outcomes.outcomes(rs), Path(tmp) / "out")
        assert (Path(tmp) / "out" / "matrix.md").read_text().count("`c1`") >= 1
        assert all(Path(tmp) in Path(p).parents for p in written)
        assert not list(Path(tmp).rglob("*.tmp"))


def test_the_runner_checks_every_optional_replay_field_the_record_schema_types():
    """A worker result that the runner accepts must read back as a record: both sides type the
    same fields (values and values_hex the runner checks on their own)."""
    from harness.store import schema
    assert set(schema.REPLAY_FIELDS) - {"values", "values_hex"} <= set(runner.RESULT_FIELDS)
    assert runner.RESULT_DEPTH == schema.MAX_DEPTH and runner.RESULT_MAX_INT == schema.MAX_INT


def test_a_record_of_a_recipe_outside_the_ladder_is_published_not_a_crash():
    """The example the fuzz above once drew: a valid record whose recipe ("x") the ladder lacks."""
    from harness.report import publish
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results"
        records.write(records.recipe_path(results, "m1", "c1", "numpy_draw", "numpy"), "replays", good_body())
        body = dict(good_body(), recipe="x", machine="m2")
        records.write(records.recipe_path(results, "m2", "c1", "numpy_draw", "x"), "replays", body)
        rs = ResultSet.load(results)
        publish.publish(rs, outcomes.outcomes(rs), Path(tmp) / "out")
        assert (Path(tmp) / "out" / "matrix.md").read_text().count("`c1`") >= 1
