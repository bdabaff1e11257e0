"""The matrix definition: loaded, validated and expanded into cells here and nowhere else.

Format history (the top-level `schema` key of matrix.toml):
  1 - [defaults], [[cell]] tables and [[ladder]] tables (one cell per version).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import tomllib
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement


MATRIX_SCHEMA = 1
APIS = ("keras1", "keras2", "tf.keras", "tf-keras", "keras3", "none")
BACKENDS = ("tensorflow", "theano", "cntk", "jax", "torch", "mxnet", "plaidml", "numpy", "openvino",
            "none")
RECIPES = ("none", "numpy", "tutorial", "full", "strict", "portable")
UNSEEDED = RECIPES[0]      # the baseline: nothing seeded (expected to diverge)
SEEDED = RECIPES[1:]       # every recipe that seeds something, weakest first
DEVICES = ("cpu", "gpu")
INSTALLERS = ("auto", "uv", "pip", "existing")
CELL_KEYS = {"name", "api", "backend", "python", "requirements", "device", "env", "tags",
             "installer", "timeout", "notes", "recipes", "scenarios", "replays", "interpreter",
             "find_links"}
LADDER_KEYS = (CELL_KEYS - {"name"}) | {"name_template", "versions", "overrides"}
DEFAULT_KEYS = {"replays", "timeout", "recipes", "scenarios"}
MAX_COUNT = 10_000        # the most replays (and processes, values) a cell or an option may ask for
MAX_TIMEOUT = 7 * 86_400  # seconds: the longest timeout of one worker process
TOP_KEYS = {"schema", "defaults", "cell", "ladder"}
SAFE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")   # a name that becomes a path
TAG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TOX_PYTHON_FACTOR = re.compile(r"^(py|cp|pypy)\d")  # factors tox reads as interpreters
API_ERA = {"keras1": "keras1", "keras2": "keras2", "tf.keras": "tf2", "tf-keras": "tf2", "keras3": "keras3", "none": "none"}


class MatrixError(ValueError):
    """A problem in the matrix file, naming the file, the line, the cell and the key."""

    def __init__(self, path, problem, cell=None, line=None):
        where = str(path) + (f":{line}" if line else "") + (f" [cell {cell}]" if cell else "")
        super().__init__(f"{where}: {problem}")
        self.path, self.problem, self.cell, self.line = path, problem, cell, line


@dataclasses.dataclass(frozen=True)
class Cell:
    """One environment of the matrix (the requested facts; observed ones live in records)."""

    name: str
    api: str
    backend: str
    python: str
    requirements: tuple
    device: str = "cpu"
    env: tuple = ()
    tags: tuple = ()
    installer: str = "auto"
    timeout: int = 1200
    replays: int = 3
    recipes: tuple = RECIPES
    scenarios: tuple = ("canonical_mlp",)
    notes: str = ""
    interpreter: str = ""       # installer "existing": the interpreter that already holds the stack
    find_links: str = ""        # installer "existing": a local wheel folder for missing packages

    @property
    def env_dict(self) -> dict:
        return dict(self.env)

    def key(self) -> dict:
        """What defines the environment: a change here means a new environment."""
        key = {"api": self.api, "backend": self.backend, "python": self.python,
               "requirements": list(self.requirements), "device": self.device,
               "installer": self.installer}
        if self.installer == "existing":   # only then, so that other cells keep their hash
            key.update(interpreter=self.interpreter, find_links=self.find_links)
        return key

    def env_hash(self) -> str:
        blob = json.dumps(self.key(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]

    def as_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["env"] = self.env_dict
        for name in ("requirements", "tags", "recipes", "scenarios"):
            data[name] = list(data[name])
        return data


@dataclasses.dataclass
class Matrix:
    path: Path
    cells: list

    def names(self) -> list:
        return [c.name for c in self.cells]

    def get(self, name: str) -> Cell:
        for cell in self.cells:
            if cell.name == name:
                return cell
        raise KeyError(f"no cell named {name!r} in {self.path}; `harness list` shows them")

    def select(self, names=(), tags=()) -> list:
        """Cells matching any of the names or carrying all of the tags (all cells if neither)."""
        chosen = [self.get(n) for n in names]
        if tags:
            chosen += [c for c in self.cells if set(tags) <= set(c.tags) and c not in chosen]
        return chosen if (names or tags) else list(self.cells)


def recipe_rank(recipe: str) -> int:
    """Position of a recipe in the ladder, weakest first (unknown recipes last)."""
    return RECIPES.index(recipe) if recipe in RECIPES else len(RECIPES)


def natural_key(text: str) -> list:
    """Sort key that orders embedded numbers numerically: tensorflow2.9.3 < tensorflow2.10.1."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def version_order(cells: list) -> list:
    """Cells in the natural order of their names, which spell their versions (a ladder)."""
    return sorted(cells, key=lambda cell: natural_key(cell.name))


def default_path() -> Path:
    from . import paths
    return paths.root() / "matrix.toml"


def load(path=None) -> Matrix:
    """Read, validate and expand a matrix file."""
    path = Path(path or default_path())
    try:
        text = path.read_text()
    except OSError as exc:
        raise MatrixError(path, f"cannot read the matrix file: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MatrixError(path, f"not valid TOML: {exc}") from None
    return Matrix(path, expand(data, path, text))


def expand(data: dict, path, text: str = "") -> list:
    """The one place where the declarative matrix becomes a list of cells."""
    _check_keys(data, TOP_KEYS, path, None, text, "top level")
    schema = data.get("schema", MATRIX_SCHEMA)
    if not isinstance(schema, int) or schema > MATRIX_SCHEMA:
        raise MatrixError(path, f"matrix schema {schema!r} is newer than this harness reads "
                                f"({MATRIX_SCHEMA}); upgrade the harness")
    defaults = data.get("defaults", {})
    _check_keys(defaults, DEFAULT_KEYS, path, None, text, "[defaults]")
    raw = [dict(entry) for entry in data.get("cell", [])]
    for ladder in data.get("ladder", []):
        raw.extend(_expand_ladder(ladder, path, text))
    cells, seen = [], {}
    for entry in raw:
        cell = _make_cell(entry, defaults, path, text)
        if cell.name in seen:
            first = _line_of(text, cell.name)
            raise MatrixError(path, "duplicate cell name" + (f" (first defined at line {first})"
                                                             if first else " (also defined earlier)"),
                              cell.name, _line_of(text, cell.name, occurrence=2) or first)
        seen[cell.name] = cell
        cells.append(cell)
    return cells


def _expand_ladder(ladder: dict, path, text: str) -> list:
    """A ladder is one cell per version; {version} in strings is replaced, overrides win."""
    label = ladder.get("name_template", "<ladder>")
    _check_keys(ladder, LADDER_KEYS, path, label, text, "[[ladder]]")
    for key in ("name_template", "versions"):
        if key not in ladder:
            raise MatrixError(path, f"ladder needs {key!r}", label, _line_of(text, label))
    overrides = ladder.get("overrides", {})
    unknown = set(overrides) - {str(v) for v in ladder["versions"]}
    if unknown:
        raise MatrixError(path, f"overrides for versions not in the ladder: {sorted(unknown)}", label,
                          _line_of(text, label))
    entries = []
    for version in ladder["versions"]:
        version = str(version)
        entry = {k: _fill(v, version) for k, v in ladder.items()
                 if k not in ("name_template", "versions", "overrides")}
        if not isinstance(ladder["name_template"], str):
            raise MatrixError(path, "name_template must be a string", label, _line_of(text, label))
        try:
            entry["name"] = ladder["name_template"].format(version=version, **{
                k: v for k, v in {**entry, **overrides.get(version, {})}.items() if isinstance(v, str)})
        except (KeyError, IndexError, ValueError, AttributeError) as exc:
            known = sorted(["version"] + [k for k, v in entry.items() if isinstance(v, str)])
            raise MatrixError(path, f"name_template has a placeholder it cannot fill ({exc!r}); "
                                    f"known: {known}", label, _line_of(text, label)) from None
        entry.update({k: _fill(v, version) for k, v in overrides.get(version, {}).items()})
        entry["_template"] = label
        entries.append(entry)
    return entries


def _fill(value, version):
    if isinstance(value, str):
        return value.replace("{version}", version)
    if isinstance(value, list):
        return [_fill(v, version) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, version) for k, v in value.items()}
    return value


def _make_cell(entry: dict, defaults: dict, path, text: str) -> Cell:
    template = entry.pop("_template", None)
    name = entry.get("name")
    line = _line_of(text, template or name)
    if not isinstance(name, str) or not SAFE_NAME_RE.match(name) or ".." in name:
        raise MatrixError(path, f"cell name {name!r} must be a string of letters, digits and ._+- "
                                f"(no '..', at most 128 characters)",
                          name, line)
    _check_keys(entry, CELL_KEYS, path, name, text, "cell")
    tox_like = [f for f in name.split("-") if TOX_PYTHON_FACTOR.match(f)]
    if tox_like:
        raise MatrixError(path, f"name factor {tox_like[0]!r} would make tox run the cell's session "
                                f"on that interpreter; write it as 'python{tox_like[0][2:]}'", name, line)

    def fail(problem):
        raise MatrixError(path, problem, name, line)

    for key in ("api", "backend", "python", "requirements"):
        if key not in entry:
            fail(f"missing required key {key!r}")
    _check_choice(entry, "api", APIS, fail)
    _check_choice(entry, "backend", BACKENDS, fail)
    _check_choice(entry, "device", DEVICES, fail, "cpu")
    _check_choice(entry, "installer", INSTALLERS, fail, "auto")
    if not re.fullmatch(r"\d+\.\d+", str(entry["python"])):
        fail(f"python {entry['python']!r} must be MAJOR.MINOR, e.g. \"3.11\"")
    requirements = entry["requirements"]
    if not isinstance(requirements, list):
        fail("requirements must be a list of strings")
    for req in requirements:
        _check_requirement(req, fail)
    recipes = _string_list(entry, defaults, "recipes", list(RECIPES), fail)
    bad = [r for r in recipes if r not in RECIPES]
    if bad:
        fail(f"unknown recipe(s) {bad}; known: {list(RECIPES)}")
    scenarios = _string_list(entry, defaults, "scenarios", ["canonical_mlp"], fail)
    for scenario in scenarios:
        if not SAFE_NAME_RE.match(scenario) or ".." in scenario:
            fail(f"scenario {scenario!r} must be a file name in scenarios/ without .py "
                 f"(letters, digits and ._+-, no '..')")
    for tag in _string_list(entry, {}, "tags", [], fail):
        if not TAG_RE.match(tag):
            fail(f"tag {tag!r} must be letters, digits and ._+- (it becomes a nox tag and tox text)")
    replays = _positive(entry, defaults, "replays", 3, int, fail)
    timeout = _positive(entry, defaults, "timeout", 1200, (int, float), fail)
    raw_env = entry.get("env", {})
    if not isinstance(raw_env, dict):
        fail("env must be a table of NAME = \"value\"")
    for key, value in raw_env.items():
        if not ENV_NAME_RE.match(str(key)) or not isinstance(value, (str, int, float)) \
                or isinstance(value, bool) or "\n" in str(value) or "\0" in str(value):
            fail(f"env {key!r} = {value!r}: names are A-Z, 0-9 and _, values one line of text")
    if not isinstance(entry.get("notes", ""), str):
        fail("notes must be a string")
    for key in ("interpreter", "find_links"):
        value = entry.get(key, "")
        if not isinstance(value, str) or "\n" in value or "\0" in value:
            fail(f"{key} must be a path (one line of text)")
    if (entry.get("installer") == "existing") != bool(entry.get("interpreter")):
        fail("installer = \"existing\" and interpreter = \"/path/to/python\" go together")
    env = {str(k): str(v) for k, v in raw_env.items()}
    if entry["api"] in ("keras1", "keras2", "keras3"):
        env.setdefault("KERAS_BACKEND", entry["backend"])
    tags = _auto_tags(entry) + [t for t in entry.get("tags", []) if t not in _auto_tags(entry)]
    return Cell(
        name=name, api=entry["api"], backend=entry["backend"], python=str(entry["python"]),
        requirements=tuple(requirements), device=entry.get("device", "cpu"),
        env=tuple(sorted(env.items())), tags=tuple(tags), installer=entry.get("installer", "auto"),
        timeout=timeout,
        replays=replays,
        recipes=tuple(recipes),
        scenarios=tuple(scenarios),
        notes=entry.get("notes", ""),
        interpreter=entry.get("interpreter", ""),
        find_links=entry.get("find_links", ""),
    )


def existing_variant(cell: Cell, interpreter: str, python: str, find_links: str = "",
                     add=()) -> Cell:
    """The cell run in an interpreter that already holds its stack (`harness run --python`):
    nothing is built but a layered environment; `add` lists packages to install into it, from
    `find_links` without an index when given. Observed versions are recorded as always."""
    suffix = "-existing" + ("" if python == cell.python else f"-python{python}")
    return dataclasses.replace(
        cell, name=cell.name + suffix, python=python, requirements=tuple(add), installer="existing",
        interpreter=str(interpreter), find_links=str(find_links or ""),
        tags=tuple(t for t in cell.tags if t != "default") + ("existing",))


def _string_list(entry, defaults, key, default, fail) -> list:
    value = entry.get(key, defaults.get(key, default))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        fail(f"{key} must be a list of strings, e.g. {key} = [\"{(default or ['x'])[0]}\"], "
             f"not {value!r}")
    return value


def _positive(entry, defaults, key, default, kinds, fail):
    value = entry.get(key, defaults.get(key, default))
    if isinstance(value, bool) or not isinstance(value, kinds) or not value > 0 \
            or value == float("inf"):
        fail(f"{key} must be a positive {'integer' if kinds is int else 'number'}, not {value!r}")
    limit = MAX_COUNT if kinds is int else MAX_TIMEOUT
    if value > limit:
        fail(f"{key} must be at most {limit}, not {value!r}")
    return value


def _auto_tags(entry: dict) -> list:
    py = "py" + str(entry["python"]).replace(".", "")
    tags = [API_ERA[entry["api"]], entry["api"], entry["backend"], py, entry.get("device", "cpu"), "all"]
    return list(dict.fromkeys(tags))


def _check_choice(entry, key, choices, fail, default=None):
    value = entry.get(key, default)
    if value not in choices:
        fail(f"{key} {value!r} is not one of {list(choices)}")


def _check_requirement(req, fail):
    try:
        Requirement(req)
    except (InvalidRequirement, TypeError) as exc:
        fail(f"bad requirement {req!r}: {exc}")


def _check_keys(mapping, allowed, path, cell, text, where):
    if not isinstance(mapping, dict):
        raise MatrixError(path, f"{where} must be a table", cell, _line_of(text, cell))
    unknown = sorted(set(mapping) - allowed - {"_template"})
    if unknown:
        raise MatrixError(path, f"unknown key(s) {unknown} in {where}; allowed: {sorted(allowed)}",
                          cell, _line_of(text, unknown[0] if cell is None else cell))


def _line_of(text: str, needle, occurrence: int = 1) -> int | None:
    """The 1-based line where a cell's name (or a key) appears (its n-th time), for errors."""
    if not needle or not text or not isinstance(needle, str):
        return None
    for number, line in enumerate(text.splitlines(), 1):
        if f'"{needle}"' in line or line.strip().startswith(f"{needle} ") or line.strip().startswith(f"{needle}="):
            occurrence -= 1
            if occurrence == 0:
                return number
    return None
