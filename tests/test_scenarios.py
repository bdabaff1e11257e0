"""Built-in scenarios (declarations, applies()), `harness run --scenario` selection, and the
scenario pages of the published matrix on synthetic records."""
import ast
import hashlib
import sys
from pathlib import Path

import pytest

import support
from harness.derive import scenario_summary
from harness.execute import scenario_support, worker
from harness.ops import run
from harness.report import publish, scenarios as scenario_pages
from harness.store import records
from support import cell_dict, replay

ROOT = Path(__file__).resolve().parent.parent
BUILTIN = sorted(p for p in (ROOT / "scenarios").glob("*.py") if p.stem != "canonical_mlp")
EXAMPLE = ROOT / "docs" / "examples" / "my_model.py"


# ------------------------------------------------------------------ the scenario files
def declarations(path):
    found = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            try:
                found[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return found


@pytest.mark.parametrize("path", BUILTIN + [EXAMPLE], ids=lambda p: p.stem)
def test_scenarios_declare_contract_2_and_stay_small(path):
    declared = declarations(path)
    assert declared["CONTRACT"] == 2 and declared["NAME"] == path.stem
    assert isinstance(declared["METRIC"], str) and declared["METRIC"]
    assert 1 <= declared["REPEATS"] <= 5                       # a few seconds per process
    assert isinstance(declared.get("DATA_SEED"), int) or path.stem == "initial_weights"
    namespace = {"run_once": None}
    namespace.update(declared)
    namespace["run_once"] = lambda keras, np, ctx: 0.0
    plan = worker.scenario_plan(namespace, str(path))          # the worker accepts the declarations
    assert plan["metric"] == declared["METRIC"] and plan["repeats"] == declared["REPEATS"]


@pytest.mark.parametrize("path", BUILTIN, ids=lambda p: p.stem)
def test_builtin_scenarios_import_nothing_but_the_standard_library_at_the_top(path):
    tree = ast.parse(path.read_text())
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    modules = {a.name.split(".")[0] for n in top for a in getattr(n, "names", [])
               if isinstance(n, ast.Import)} | {n.module for n in top if isinstance(n, ast.ImportFrom)}
    assert modules <= {"__future__", "os", "sys"}


def load(name):
    """A scenario's namespace as the worker builds it (no keras needed to define it)."""
    path = ROOT / "scenarios" / f"{name}.py"
    namespace = {"__file__": str(path), "__name__": "scenario"}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace


def facts(**changes):
    base = dict(api="keras3", backend="jax", device="cpu", keras="3.15.1", keras_major=3,
                backend_version="0.10.2", python="3.11.7", numpy="2.4.6")
    base.update(changes)
    return worker.Facts(base)


def test_tf_data_map_applies_to_tensorflow_2_only():
    applies = load("tf_data_map")["applies"]
    assert applies(facts(backend="jax")) == "tf.data needs the TensorFlow backend (this cell runs jax)"
    assert "need TensorFlow 2" in applies(facts(api="keras2", backend="tensorflow", backend_version="1.1.0"))
    assert applies(facts(backend="tensorflow", backend_version="2.21.0")) is True


def test_thread_scenarios_decline_where_the_count_cannot_be_set(monkeypatch):
    monkeypatch.setitem(sys.modules, "scenario_support", scenario_support)   # as the worker does
    one, every = load("threads_one"), load("threads_all")
    assert "XLA's CPU thread pool" in one["applies"](facts(backend="jax"))
    assert every["applies"](facts(backend="jax")) is True          # JAX runs at every core anyway
    for name in scenario_support.THREAD_VARIABLES:
        monkeypatch.setenv(name, "1")                              # as the strict recipe starts it
    theano = facts(api="keras2", backend="theano", backend_version="0.9.0", keras_major=2)
    assert one["applies"](theano) is True
    reason = every["applies"](theano)
    assert "fixed at import" in reason and "1 thread(s)" in reason
    if scenario_support.cores() > 1:
        for name in scenario_support.THREAD_VARIABLES:
            monkeypatch.delenv(name)
        assert every["applies"](theano) is True
        assert "the defaults" in one["applies"](theano)
    assert one["applies"](facts(backend="cntk")) == "no thread setting for backend cntk"


def test_the_thread_pair_differs_in_the_thread_count_alone():
    one = (ROOT / "scenarios" / "threads_one.py").read_text().splitlines()
    every = (ROOT / "scenarios" / "threads_all.py").read_text().splitlines()
    changed = [(a, b) for a, b in zip(one, every) if a != b]
    assert len(one) == len(every)
    assert all(a.startswith(('"""The same', "(DATA_SEED)", "NAME", "METRIC", "THREADS"))
               for a, _ in changed), changed


class FakeModel:
    def __init__(self, arrays):
        self.arrays = arrays

    def get_weights(self):
        return self.arrays

    def set_weights(self, arrays):
        self.arrays = arrays


def test_fixed_weights_replace_random_arrays_and_keep_constant_ones():
    import numpy
    fix = scenario_support.fix_weights
    arrays = [numpy.random.rand(3, 4).astype("float32"), numpy.zeros(4, "float32"), numpy.ones(4, "float32"),
              numpy.random.rand(3, 3, 1, 2)]
    model = FakeModel(arrays)
    fix(model, numpy.random.RandomState(5), numpy)
    again = FakeModel([numpy.random.rand(3, 4).astype("float32")] + arrays[1:3] + [numpy.random.rand(3, 3, 1, 2)])
    fix(again, numpy.random.RandomState(5), numpy)
    for a, b in zip(model.arrays, again.arrays):                   # the draws depend on the seed alone
        assert a.dtype == b.dtype and (a == b).all()
    assert (model.arrays[1] == 0).all() and (model.arrays[2] == 1).all()
    assert abs(model.arrays[0]).max() <= (6.0 / 7) ** 0.5          # Glorot limit of a 3x4 kernel


# ------------------------------------------------------------------ harness run --scenario
def test_scenario_selection_by_name_all_and_file(tmp_path):
    builtin = tmp_path / "builtin"
    builtin.mkdir()
    for name in ("canonical_mlp", "shuffle"):
        (builtin / f"{name}.py").write_text("NAME = %r\n" % name)
    mine = tmp_path / "mine" / "my_model.py"
    mine.parent.mkdir()
    mine.write_text("NAME = 'my_model'\n")
    assert run.scenario_groups(["shuffle"], builtin) == [(builtin, ("shuffle",))]
    assert run.scenario_groups(["all", "shuffle"], builtin) == [(builtin, ("canonical_mlp", "shuffle"))]
    assert run.scenario_groups([str(mine), "shuffle"], builtin) == [(mine.parent, ("my_model",)),
                                                                   (builtin, ("shuffle",))]
    with pytest.raises(FileNotFoundError):
        run.scenario_groups(["nothing_here"], builtin)
    twin = tmp_path / "mine" / "shuffle.py"
    twin.write_text("NAME = 'shuffle'\n")
    with pytest.raises(ValueError, match="is a built-in scenario's; rename the file"):
        run.scenario_groups([str(twin)], builtin)
    odd = tmp_path / "mine" / "my model.py"
    odd.write_text("")
    with pytest.raises(records.RecordError, match="not a safe name"):
        run.scenario_groups([str(odd)], builtin)
    with pytest.raises(ValueError, match="no such .py file"):
        run.scenario_groups([str(tmp_path / "mine" / "absent.py")], builtin)


def test_the_cli_runs_a_users_file_under_its_stem(tmp_path, monkeypatch):
    """`harness run CELL --scenario FILE.py` hands the runner the matrix's cells and the scenarios to
    run instead of theirs (the records keep describing the cell as the matrix defines it)."""
    from harness import cli
    seen = []

    def fake_run_cells(cells, results, envs, options, display):
        seen.append(([c.scenarios for c in cells], options.scenarios, options.scenarios_dir))
        return run.Summary()

    monkeypatch.setattr(run, "run_cells", fake_run_cells)
    mine = tmp_path / "my_model.py"
    mine.write_text("")
    status = cli.main(["--results", str(tmp_path / "results"), "run", "keras3.15.1-jax0.10.2-python3.11",
                       "--scenario", str(mine), "--scenario", "shuffle", "--progress", "plain"])
    assert status == 0
    assert seen == [([("canonical_mlp",)], ("my_model",), tmp_path),
                    ([("canonical_mlp",)], ("shuffle",), ROOT / "scenarios")]
    assert cli.main(["--results", str(tmp_path / "results"), "run", "keras3.15.1-jax0.10.2-python3.11",
                     "--scenario", str(tmp_path / "none.py")]) == 2           # refused before any build


# ------------------------------------------------------------------ the published pages
def write(results, cell, scenario, recipe, lists, metric="weights digest", repeats=3, status="ok",
          reason="", machine=support.MACHINE, sha="a" * 64, **cell_keys):
    replays = []
    for index, values in enumerate(lists):
        item = replay(values, index, status if status != "not-applicable" else "ok")
        if status == "not-applicable":
            item = {"status": "not-applicable", "index": index, "reason": reason, "error_summary": reason,
                    "wall_seconds": 1.0}
        item.update(metric=metric, repeats=repeats, contract=2)
        replays.append(item)
    body = {"cell": cell_dict(cell, **cell_keys), "scenario": {"name": scenario, "sha256": sha},
            "recipe": recipe, "machine": machine, "harness": "0", "started": "2026-01-01T00:00:00Z",
            "environment": {"env_hash": "e", "install_seconds": 1.0, "installer": "uv"},
            "replays": replays, "complete": True}
    records.write(records.recipe_path(results, machine, cell, scenario, recipe), "replays", body)


LADDER = ("none", "numpy", "tutorial", "full", "strict", "portable")


def ladder(results, cell, scenario, bitwise_from, **keys):
    """Replays that differ below `bitwise_from` and are identical from it on (None: never)."""
    for rank, recipe in enumerate(LADDER):
        same = bitwise_from is not None and rank >= LADDER.index(bitwise_from)
        write(results, cell, scenario, recipe, [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0 if same else 3.5]], **keys)


@pytest.fixture
def results(tmp_path):
    results = tmp_path / "results"
    ladder(results, "jaxcell", "canonical_mlp", "full")
    ladder(results, "jaxcell", "dropout_unseeded", "full", metric="digest after dropout", repeats=3)
    ladder(results, "oldcell", "dropout_unseeded", "numpy", api="keras2", backend="theano",
           metric="digest after dropout", repeats=3)
    ladder(results, "oldcell", "conv2d", "none", api="keras2", backend="theano", metric="conv digest", repeats=4)
    ladder(results, "jaxcell", "conv2d", None, metric="conv digest", repeats=4)
    for recipe in LADDER:
        write(results, "jaxcell", "tf_data_map", recipe, [[], []], status="not-applicable",
              reason="tf.data needs the TensorFlow backend (this cell runs jax)")
        write(results, "jaxcell", "threads_one", recipe, [[5.0, 5.0], [5.0, 5.0]], metric="at 1 thread")
        write(results, "jaxcell", "threads_all", recipe, [[5.0, 5.25], [5.0, 5.25]], metric="at every core")
    return results


def test_summary_gives_the_weakest_bitwise_recipe_per_cell_and_scenario(results):
    rs, found = support.load(results)
    entries = {(e.cell, e.scenario): e for e in scenario_summary.entries(found)}
    assert entries["jaxcell", "dropout_unseeded"].text == "full"
    assert entries["oldcell", "dropout_unseeded"].text == "numpy"
    assert entries["oldcell", "conv2d"].text == "none"
    assert entries["jaxcell", "conv2d"].text == "never"
    short = scenario_summary.Entry("m", "c", "s", "never", None, ("none", "numpy"))
    assert short.text == "none of 2 run"                       # a ladder not run to its end says so
    na = entries["jaxcell", "tf_data_map"]
    assert na.text == "n/a" and na.reason == "tf.data needs the TensorFlow backend (this cell runs jax)"
    text = scenario_pages.pages(rs, found)["scenarios.md"]
    row = next(line for line in text.splitlines() if line.startswith("| `jaxcell`"))
    header = next(line for line in text.splitlines() if line.startswith("| cell |"))
    assert header.split(" | ")[1].startswith("[canonical_mlp]")          # the canonical scenario first
    cells = [c.strip() for c in row.strip("|").split("|")]
    names = [h.strip().lstrip("[").split("]")[0] for h in header.strip("|").split("|")[1:]]
    assert dict(zip(names, cells[1:])) == {"canonical_mlp": "full", "conv2d": "never", "dropout_unseeded": "full",
                                           "tf_data_map": "n/a", "threads_all": "none", "threads_one": "none"}


def test_metric_and_repeats_come_from_the_records(results):
    rs, found = support.load(results)
    pages = scenario_pages.pages(rs, found)
    conv = pages["scenarios/conv2d.md"]
    assert "- metric (as recorded): conv digest" in conv and "- repeats per process (as recorded): 4" in conv
    # change what the records say: the page follows
    ladder(results, "jaxcell", "conv2d", None, metric="another metric", repeats=2)
    ladder(results, "oldcell", "conv2d", "none", api="keras2", backend="theano", metric="another metric", repeats=2)
    rs, found = support.load(results)
    conv = scenario_pages.pages(rs, found)["scenarios/conv2d.md"]
    assert "- metric (as recorded): another metric" in conv and "(as recorded): 2" in conv
    assert "conv digest" not in conv
    summary_text = scenario_pages.pages(rs, found)["scenarios.md"]
    assert "| another metric | 2 |" in summary_text
    assert "not recorded (records of scenario contract 1)" not in summary_text.split("conv2d")[1].split("\n")[0]


def test_the_thread_pair_is_compared(results):
    rs, found = support.load(results)
    (item,) = [i for i in scenario_summary.compare_pair(found) if i.recipe == "full"]
    assert (item.kind, item.digits) == ("differ", 1)
    page = scenario_pages.pages(rs, found)["scenarios/threads_one.md"]
    assert "## Against the other thread count" in page and "| `jaxcell` | full | differ, 1 digits |" in page


def test_publish_keeps_the_main_matrix_canonical_and_links_the_scenarios(results, tmp_path):
    rs, found = support.load(results)
    out = tmp_path / "published"
    written = publish.publish(rs, found, out)
    matrix = (out / "matrix.md").read_text()
    assert "dropout_unseeded" not in matrix.split("\n\n")[1]                 # the table: canonical rows only
    assert "[scenarios.md](scenarios.md)" in matrix
    for name in ("canonical_mlp", "conv2d", "dropout_unseeded", "tf_data_map", "threads_all", "threads_one"):
        assert out / "scenarios" / f"{name}.md" in written
    assert "| `jaxcell` | n/a |" not in (out / "scenarios" / "tf_data_map.md").read_text()
    assert "## Not applicable" in (out / "scenarios" / "tf_data_map.md").read_text()
    again = tmp_path / "again"
    publish.publish(rs, found, again)
    for path in (out / "scenarios").iterdir():                                # same records, same bytes
        assert path.read_bytes() == (again / "scenarios" / path.name).read_bytes()


def test_a_users_scenario_has_a_page_without_a_builtin_description(results):
    ladder(results, "jaxcell", "my_model", "full", metric="held-out loss", repeats=3)
    rs, found = support.load(results)
    page = scenario_pages.pages(rs, found)["scenarios/my_model.md"]
    assert "A scenario without a built-in file" in page and "held-out loss" in page


def test_a_description_is_shown_only_for_the_file_that_made_the_records(tmp_path):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "x.py").write_text('"""Does X: why.\n\nMore."""\n')
    item = scenario_summary.Declared("x", ("m",), (3,), (2,), ("0" * 64,), 1)
    assert "another version" in scenario_pages._description("x", item, folder)
    current = hashlib.sha256((folder / "x.py").read_bytes()).hexdigest()
    item = scenario_summary.Declared("x", ("m",), (3,), (2,), (current,), 1)
    assert scenario_pages._description("x", item, folder) == "Does X: why."
    assert scenario_pages._description("x", item, folder, first_line=True) == "Does X"


def delegates(function) -> bool:
    """A function whose body is one return of a call (with an import before it at most)."""
    body = [n for n in function.body if not isinstance(n, (ast.Import, ast.ImportFrom))]
    return len(body) == 1 and isinstance(body[0], ast.Return) and isinstance(body[0].value, ast.Call)


def test_no_function_is_copied_between_scenarios_or_from_the_support_module():
    """A helper two scenarios need lives in scenario_support.py (hashed into every record's inputs),
    not in copies; a pair that differs in one constant hands it to one body there (a one-line
    delegation is not a copy). noise_layers.py keeps its copies until it is split in two."""
    seen = {}
    for node in ast.parse((ROOT / "harness" / "execute" / "scenario_support.py").read_text()).body:
        if isinstance(node, ast.FunctionDef):
            seen[ast.dump(node)] = "scenario_support.py"
    copies = []
    for path in BUILTIN:
        if path.stem == "noise_layers":
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and not delegates(node):
                where = seen.setdefault(ast.dump(node), path.name)
                if where != path.name:
                    copies.append(f"{path.name}: {node.name} (also in {where})")
    assert copies == []


def test_the_cell_page_shows_the_cells_own_scenarios_and_every_scenario_with_records(tmp_path):
    """A record of an older `harness run --scenario` run carries that scenario as the cell's own;
    the page shows the matrix's scenarios for the cell and lists every scenario with records."""
    from harness.report import site, site_cells
    from support import load, write_record
    name = "keras3.15.1-jax0.10.2-python3.11"
    write_record(tmp_path, name, "numpy", [[0.5], [0.5]], scenario="canonical_mlp")
    path = write_record(tmp_path, name, "numpy", [[0.25], [0.25]], scenario="aaa_inference")
    body = records.read(path)
    body["cell"]["scenarios"] = ["aaa_inference"]          # as such a run wrote it
    records.write(path, "replays", body)
    rs, found = load(tmp_path)
    members = [o for o in found if o.cell_name == name]
    assert members[0].scenario == "aaa_inference"          # the first member is that record
    page = site_cells.cell_body(rs, name, members, next(c.scenarios for c in site.matrix_cells() if c.name == name))
    assert "<dt>scenarios</dt><dd>canonical_mlp</dd>" in page
    assert "<dt>scenarios with records</dt><dd>aaa_inference, canonical_mlp</dd>" in page
