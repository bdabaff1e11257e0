"""The layout's rules, checked on the source: arrows between layers go one way, no import cycle,
the recipe ladder is written down once (plus the worker's copy, which must stay equal)."""
import ast
import itertools
from pathlib import Path

from harness import matrix
from harness.execute import worker

PACKAGE = Path(__file__).resolve().parent.parent / "harness"
# What each layer may import from the harness (besides itself, the base modules and the package root).
ALLOWED = {
    "provision": set(),
    "execute": set(),
    "store": set(),
    "derive": set(),
    "report": {"derive"},
    "ops": {"provision", "execute", "store", "derive"},
}
BASE = {"matrix", "paths", "inputs", "pins", "__init__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set:
    """Harness modules imported by a file (relative and absolute imports, anywhere in it)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("harness"):
                for alias in node.names:
                    candidate = f"{target}.{alias.name}"
                    found.add(candidate if _exists(candidate) else target)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("harness")}
    return {f for f in found if f != name}


def _exists(dotted: str) -> bool:
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def graph() -> dict:
    return {module_name(p): imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_layers_import_only_downwards():
    problems = []
    for module, targets in graph().items():
        here = layer(module)
        if here not in ALLOWED:
            continue
        for target in targets:
            there = layer(target)
            if there != here and there not in BASE and there not in ALLOWED[here]:
                problems.append(f"{module} imports {target} ({here} -> {there})")
    assert problems == []


def test_the_base_modules_import_only_the_base():
    """matrix, paths and inputs (what a record is made from) sit under every layer."""
    found = graph()
    assert {f"harness.{name}" for name in BASE - {"__init__"}} <= set(found)
    for name in BASE - {"__init__"}:
        assert {layer(t) for t in found[f"harness.{name}"]} <= BASE, name


def test_no_import_cycle():
    edges = graph()
    seen, stack, cycles = set(), [], []

    def visit(node):
        if node in stack:
            cycles.append(stack[stack.index(node):] + [node])
            return
        if node in seen:
            return
        seen.add(node)
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            visit(target)
        stack.pop()

    for node in sorted(edges):
        visit(node)
    assert cycles == []


def test_the_checker_sees_a_forbidden_arrow(tmp_path):
    """The rules are not vacuous: a derive module importing ops is reported."""
    sample = PACKAGE / "derive" / "_arrow_probe.py"
    sample.write_text("from ..ops import run\n")
    try:
        assert "harness.ops.run" in imports(sample)
        bad = [m for m, t in graph().items() if m.endswith("_arrow_probe")]
        assert bad and layer(next(iter(graph()[bad[0]]))) == "ops"
    finally:
        sample.unlink()


def test_recipe_ladder_is_defined_once_and_the_worker_copy_agrees():
    assert worker.RECIPES == matrix.RECIPES
    defined = [p for p in PACKAGE.rglob("*.py")
               if '("none", "numpy", "tutorial", "full", "strict", "portable")' in p.read_text()]
    assert sorted(p.relative_to(PACKAGE).as_posix() for p in defined) == ["execute/worker.py", "matrix.py"]


def test_derive_runs_no_process_and_formats_no_output():
    for path in (PACKAGE / "derive").glob("*.py"):
        names = {n.id for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Name)}
        modules = set(itertools.chain.from_iterable(
            [a.name for a in n.names] if isinstance(n, ast.Import) else [n.module or ""]
            for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, (ast.Import, ast.ImportFrom))))
        assert not modules & {"subprocess", "matplotlib", "pandas", "os"}, path
        assert "print" not in names and "open" not in names, path
