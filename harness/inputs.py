"""What a record is made from, and the one rule that says whether a record is still current.

A record of a (machine, cell, scenario, recipe) stores the inputs it was made from (`inputs`):

    env_hash        the environment definition (Cell.key: API, backend, Python, requirements,
                    device, installer)
    env             the cell's extra environment variables (they reach the worker, not the build)
    scenario_sha256 the scenario file's SHA-256
    support_sha256  the SHA-256 of harness/execute/scenario_support.py, which every scenario may
                    call (weights_digest, dense_input, ...)
    worker_schema   the worker's result schema (RESULT_SCHEMA in harness/execute/worker.py)
    recipe          the recipe's name
    recipe_code     a hash of the worker code a recipe runs: the functions reachable by calls from
                    the recipe entry points (RECIPE_ENTRY_POINTS), and the module-level constants
                    they read, found on the source (AST), docstrings and comments left out; per
                    backend: a branch that only a backend of OWN_BRANCH_BACKENDS takes
                    (`if backend == "mxnet"`, `elif backend in TABLE`) counts only for that
                    backend's records
    machine         the machine's id

A record is current when every one of these equals what would be recorded now (`changed`); a
record without `inputs` (made before they were recorded) is never current. `run`, `bisect`,
`stats` top-ups and the published staleness mark all ask `changed`. The published mark compares
the inputs that are the same on every machine (`code_inputs`: scenario, support module, worker
schema, recipe code): the machine, environment and recipe of a record are its own.
"""
from __future__ import annotations

import ast
import copy
import functools
import hashlib
import json
from pathlib import Path

from . import paths
from .matrix import Cell

SUPPORT = paths.WORKER.with_name("scenario_support.py")
# The worker's functions that a recipe starts from; what they call (transitively) is found.
RECIPE_ENTRY_POINTS = ("recipe_environment", "device_environment", "reexec_if_needed",
                       "apply_before_keras", "apply_after_keras")
# Backends added after the first records: their branches in the recipe code (`backend == "mxnet"`,
# `backend in TABLE` where every key of TABLE is one of them) count only for their own records, so
# adding such a backend leaves every other record current. A branch of any other backend counts
# for every record (the conservative rule the first records were made under). A backend added
# later joins this tuple in the same change that adds its branches.
OWN_BRANCH_BACKENDS = ("mxnet", "plaidml", "numpy", "openvino")
FIELDS = ("env_hash", "env", "scenario_sha256", "support_sha256", "worker_schema", "recipe",
          "recipe_code", "machine")


@functools.lru_cache(maxsize=None)
def _file_sha256(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def sha256(path) -> str:
    """The SHA-256 of a file's bytes (cached while the file is unchanged)."""
    stat = Path(path).stat()
    return _file_sha256(str(path), stat.st_mtime_ns, stat.st_size)


def worker_facts(worker=paths.WORKER, backend=None) -> tuple:
    """(RESULT_SCHEMA, recipe code hash for `backend`'s records) read from the worker's source, not
    imported. `backend` None: the code every backend's records share (no own branch counted)."""
    return _worker_facts(Path(worker).read_text(), str(worker), backend)


@functools.lru_cache(maxsize=64)
def _worker_facts(source: str, where: str, backend=None) -> tuple:
    tree = ast.parse(source)
    definitions = _definitions(tree)
    schema = next((node.value.value for node in definitions.get("RESULT_SCHEMA", [])
                   if isinstance(getattr(node, "value", None), ast.Constant)), None)
    pruned = {name: [_without_own_branches(node, backend, definitions) for node in nodes]
              for name, nodes in definitions.items()}
    parts = {name: [ast.unparse(_without_docstrings(node)) for node in pruned[name]]
             for name in sorted(recipe_names(pruned, where))}
    blob = json.dumps(sorted(parts.items())).encode()
    return schema, hashlib.sha256(blob).hexdigest()[:16]


def _own_backends(test, definitions) -> set | None:
    """The backends an `if` test selects when it is `backend == "x"` or `backend in NAME` (NAME a
    module-level dict, tuple, list or set literal of strings); None for any other test."""
    if not (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "backend"
            and len(test.ops) == 1 and len(test.comparators) == 1):
        return None
    op, right = test.ops[0], test.comparators[0]
    if isinstance(op, ast.Eq) and isinstance(right, ast.Constant) and isinstance(right.value, str):
        return {right.value}
    if isinstance(op, ast.In):
        if isinstance(right, ast.Name) and len(definitions.get(right.id, [])) == 1:
            right = getattr(definitions[right.id][0], "value", None)
        try:
            keys = ast.literal_eval(right)
        except (ValueError, TypeError, SyntaxError):
            return None
        if isinstance(keys, (dict, tuple, list, set, frozenset)) and keys \
                and all(isinstance(k, str) for k in keys):
            return set(keys)
    return None


class _Pruner(ast.NodeTransformer):
    def __init__(self, backend, definitions):
        self.backend, self.definitions = backend, definitions

    def visit_If(self, node):
        selected = _own_backends(node.test, self.definitions)
        if selected and selected <= set(OWN_BRANCH_BACKENDS) and self.backend not in selected:
            kept = [self.visit(child) for child in node.orelse]
            return [n for n in kept if n is not None] or None
        return self.generic_visit(node)


def _without_own_branches(node, backend, definitions):
    """A definition without the branches only other OWN_BRANCH_BACKENDS take (the code as a
    record of `backend` runs it)."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return node
    pruned = _Pruner(backend, definitions).visit(copy.deepcopy(node))
    return ast.fix_missing_locations(pruned)


def _definitions(tree) -> dict:
    """{top-level name: [its defining statements]} (functions, classes, assignments)."""
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [node.name]
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        else:
            continue
        for name in names:
            found.setdefault(name, []).append(node)
    return found


def recipe_names(definitions: dict, where: str = "worker") -> set:
    """The top-level names reachable from the recipe entry points by the names their code uses."""
    missing = [name for name in RECIPE_ENTRY_POINTS if name not in definitions]
    if missing:
        raise ValueError(f"{where}: no recipe entry point {', '.join(missing)} (RECIPE_ENTRY_POINTS)")
    reached, todo = set(), list(RECIPE_ENTRY_POINTS)
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        for node in definitions[name]:
            todo += [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in definitions]
    return reached


def _without_docstrings(node):
    """The code of a definition without docstrings: rewording one changes no recipe."""
    node = copy.deepcopy(node)
    for inner in ast.walk(node):
        body = getattr(inner, "body", None)
        if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body \
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            inner.body = body[1:] or [ast.Pass()]
    return node


def code_inputs(scenario_path, worker=paths.WORKER, support=SUPPORT, backend=None) -> dict:
    """The inputs that are the same on every machine: scenario, support module, worker (the recipe
    code as `backend`'s records run it). A scenario that cannot reach the support module (contract
    1, no `import scenario_support`) does not depend on it: its `support_sha256` is None."""
    schema, recipe_code = worker_facts(worker, backend)
    uses = uses_support(Path(scenario_path).read_text(errors="replace"))
    return {"scenario_sha256": sha256(scenario_path), "support_sha256": sha256(support) if uses else None,
            "worker_schema": schema, "recipe_code": recipe_code}


@functools.lru_cache(maxsize=64)
def uses_support(source: str) -> bool:
    """Whether a scenario's code can reach scenario_support: it declares CONTRACT >= 2 (its
    run_once gets a Context built on the module) or imports the module itself. A file that does
    not parse is taken to use it."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return True
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "scenario_support" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "scenario_support":
            return True
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "CONTRACT" for t in node.targets):
            value = node.value.value if isinstance(node.value, ast.Constant) else None
            if not isinstance(value, int) or value >= 2:
                return True
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__":
            return True
    return False


def of(cell: Cell, scenario_path, recipe: str, machine: str, worker=paths.WORKER,
       support=SUPPORT) -> dict:
    """Every input of a record of `recipe` of `cell` on `machine`, as it would be recorded now."""
    found = {"env_hash": cell.env_hash(), "env": cell.env_dict, "recipe": recipe, "machine": machine}
    found.update(code_inputs(scenario_path, worker, support, cell.backend))
    return {name: found[name] for name in FIELDS}


def changed(recorded, wanted: dict) -> list:
    """The fields of `wanted` that a record's inputs do not match (all of them when the record has
    none): an empty list means the record is current."""
    if not isinstance(recorded, dict):
        return list(wanted)
    return [name for name in wanted if recorded.get(name) != wanted[name]]


def current(recorded, wanted: dict) -> bool:
    return not changed(recorded, wanted)


def scenario_inputs(names, scenarios_dir=None) -> dict:
    """{scenario name: its code inputs now, or None when its file is gone} (for the published
    staleness mark). Its `recipe_code` is {backend: hash} for the OWN_BRANCH_BACKENDS and "" for
    every other backend: `for_backend` gives the inputs a record of one backend is made from."""
    folder = Path(scenarios_dir or paths.scenarios_dir())
    found = {}
    for name in names:
        path = folder / f"{name}.py"
        if not path.is_file():
            found[name] = None
            continue
        shared = code_inputs(path)
        codes = {"": shared["recipe_code"]}
        codes.update({b: worker_facts(paths.WORKER, b)[1] for b in OWN_BRANCH_BACKENDS})
        found[name] = dict(shared, recipe_code=codes)
    return found


def for_backend(found, backend) -> dict | None:
    """The inputs of scenario_inputs() as a record of `backend` is made from them."""
    if not found or not isinstance(found.get("recipe_code"), dict):
        return found
    codes = found["recipe_code"]
    return dict(found, recipe_code=codes.get(backend, codes[""]))
