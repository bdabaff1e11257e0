"""Releases the matrix lacks: the index's answer compared with the matrix, and the matrix text
that adds them. Pure: the answer (PEP 691 file lists) and the matrix text come in, nothing is
fetched, read, written or printed here.

What a release adds (one cell each, on the Python the matrix uses for that stack when the release
offers it, else the Python nearest to it that every pinned package offers, one the matrix uses if it can):
* keras3:   the newest Keras 3 on the newest TensorFlow, JAX and torch, for each backend the
            matrix has Keras 3 cells of;
* tf-keras: the newest tf-keras with the newest TensorFlow of its minor (tf-keras X.Y follows
            TensorFlow X.Y);
* tf.keras: a newer patch of a TensorFlow minor the matrix covers with tf.keras cells, up to 2.15
            (from 2.16 on tf.keras is Keras 3 and Keras 2 is the tf-keras package).
Pre-releases, development releases and yanked files are ignored; a release's Pythons are those of
its Linux x86_64 and pure wheels (cp311, py3, abi3) and sdists, limited by requires-python.
"""
from __future__ import annotations

import dataclasses
import json
import re

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import (InvalidSdistFilename, InvalidVersion, InvalidWheelFilename,
                             canonicalize_name, parse_sdist_filename, parse_wheel_filename)
from packaging.version import Version

from ..pins import exact_pins

PROJECTS = ("keras", "tensorflow", "tf-keras", "jax", "jaxlib", "torch")
PYTHONS = ("2.7",) + tuple(f"3.{minor}" for minor in range(5, 16))
KERAS3_BACKENDS = {"jax": "jax", "torch": "torch", "tensorflow": "tensorflow"}
TF_KERAS_END = Version("2.16")      # tf.keras is Keras 2 below this TensorFlow
LINE_WIDTH = 100                    # a versions list longer than this continues on a new line


@dataclasses.dataclass(frozen=True)
class Release:
    version: Version
    pythons: frozenset


@dataclasses.dataclass(frozen=True)
class Proposal:
    """A cell that a release would add, and where it goes in matrix.toml."""

    name: str
    api: str
    backend: str
    python: str
    requirements: tuple
    reason: str
    env: tuple = ()
    tags: tuple = ()
    ladder: str = ""       # the name_template of the ladder it extends ("" = a new [[cell]])
    version: str = ""      # the version appended to that ladder
    override: bool = False  # the ladder's template alone does not give its name and requirements
    after: str = ""        # the cell it was derived from: a new [[cell]] goes after that one

    def as_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data.update(requirements=list(self.requirements), env=dict(self.env), tags=list(self.tags),
                    where=f"ladder {self.ladder}" if self.ladder else "new [[cell]]")
        return data


# ---------------------------------------------------------------------------------------------
# The index's answer
# ---------------------------------------------------------------------------------------------
def _file_version(filename: str):
    """(version, interpreters or None for an sdist) of a file, or None when it is not for us."""
    try:
        if filename.endswith(".whl"):
            _, version, _, tags = parse_wheel_filename(filename)
            if not any(t.platform == "any" or (t.platform.startswith(("manylinux", "linux"))
                                                and t.platform.endswith("x86_64")) for t in tags):
                return None
            return version, {t.interpreter for t in tags}
        return parse_sdist_filename(filename)[1], None
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None


def _interpreter_pythons(interpreters) -> set:
    if interpreters is None:
        return set(PYTHONS)
    found = set()
    for tag in interpreters:
        exact = re.fullmatch(r"cp(\d)(\d+)", tag)
        if exact:
            found.add(f"{exact.group(1)}.{exact.group(2)}")
        elif re.fullmatch(r"py\d", tag):
            found |= {p for p in PYTHONS if p.startswith(tag[2] + ".")}
        elif re.fullmatch(r"py\d(\d+)", tag):
            found.add(f"{tag[2]}.{tag[3:]}")
    return found


def releases(files: list) -> dict:
    """Final, unyanked releases of one project: {version text: Release}, Pythons from its files."""
    found = {}
    for entry in files:
        if entry.get("yanked"):
            continue
        parsed = _file_version(str(entry.get("filename", "")))
        if parsed is None:
            continue
        version, interpreters = parsed
        if version.is_prerelease or version.is_devrelease:
            continue
        pythons = _interpreter_pythons(interpreters)
        spec = entry.get("requires-python")
        if spec:
            try:
                allowed = SpecifierSet(spec)
                pythons = {p for p in pythons if allowed.contains(p, prereleases=True)}
            except InvalidSpecifier:
                pass
        found.setdefault(version, set()).update(pythons)
    return {str(v): Release(v, frozenset(p)) for v, p in sorted(found.items()) if p}


def index_releases(answers: dict) -> dict:
    """{project: {version: Release}}; jax's Pythons are those its own jaxlib release offers."""
    known = {canonicalize_name(name): releases(files) for name, files in answers.items()}
    if "jax" in known and "jaxlib" in known:
        for text, release in list(known["jax"].items()):
            lib = known["jaxlib"].get(text)
            if lib is not None:
                known["jax"][text] = Release(release.version, release.pythons & lib.pythons)
    return known


def _newest(known: dict, project: str, where=lambda version: True):
    candidates = [r for r in known.get(project, {}).values() if r.pythons and where(r.version)]
    return max(candidates, key=lambda r: r.version) if candidates else None


# ---------------------------------------------------------------------------------------------
# The matrix
# ---------------------------------------------------------------------------------------------
def pins(requirements) -> dict:
    """{project: Version} of the requirements pinned with a single `==` (extras dropped)."""
    found = {}
    for name, version in exact_pins(requirements).items():
        try:
            found[name] = Version(version)
        except InvalidVersion:
            pass
    return found


def _repin(requirements, new: dict) -> tuple:
    """The requirements with the pinned versions of `new`'s projects replaced."""
    out = []
    for text in requirements:
        try:
            name = canonicalize_name(Requirement(text).name)
        except InvalidRequirement:
            name = None
        if name in new and name in pins([text]):
            text = re.sub(r"==\s*[^\s;,]+", f"=={new[name]}", text, count=1)
        out.append(text)
    return tuple(out)


def _explicit_env(cell) -> tuple:
    keras_backend = cell.api in ("keras2", "keras3")
    return tuple((k, v) for k, v in cell.env if not (keras_backend and k == "KERAS_BACKEND"))


def _python(preferred: str, offered: set, matrix_pythons: set):
    if preferred in offered:
        return preferred

    def number(version):
        major, minor = version.split(".")
        return int(major) * 100 + int(minor)

    usable = sorted(offered & matrix_pythons or offered,
                    key=lambda p: (abs(number(p) - number(preferred)), -number(p)))
    return usable[0] if usable else None


def _template(cells, projects):
    """The newest cell of a stack (plain before code-path variants, default before others)."""
    return max(cells, key=lambda c: ([pins(c.requirements)[p] for p in projects],
                                     not _explicit_env(c) or c.api == "tf-keras",
                                     "default" in c.tags, c.name))


def _propose(template, new: dict, known: dict, name: str, matrix_pythons: set, reason_of):
    offered = set(PYTHONS)
    for project, version in new.items():
        offered &= known[project][str(version)].pythons
    python = _python(template.python, offered, matrix_pythons)
    if python is None:
        return None
    have = pins(template.requirements)
    reason = "; ".join(f"{p} {v} is newer than the matrix's {have[p]}" for p, v in new.items()
                       if v != have[p])
    return Proposal(name=name.format(python=python), api=template.api, backend=template.backend,
                    python=python, requirements=_repin(template.requirements, new),
                    reason=reason_of(reason), env=_explicit_env(template),
                    tags=tuple(t for t in template.tags if t.startswith("ladder-")), after=template.name)


def find_new(cells, ladders: list, answers: dict) -> list:
    """Cells the index's releases would add to a matrix (its cells and its raw [[ladder]] tables)."""
    known = index_releases(answers)
    cpu = [c for c in cells if c.device == "cpu" and c.installer != "existing"]
    matrix_pythons = {c.python for c in cpu}
    proposals = []

    def has(api, backend, wanted):
        return any(c.api == api and c.backend == backend
                   and all(pins(c.requirements).get(p) == v for p, v in wanted.items()) for c in cpu)

    def consider(template, new, name, what):
        have = pins(template.requirements)
        if any(v < have[p] for p, v in new.items()) or all(v == have[p] for p, v in new.items()):
            return      # the index is behind the matrix, or this is the matrix's own stack
        if has(template.api, template.backend, new):
            return
        proposal = _propose(template, new, known, name, matrix_pythons, what)
        if proposal is not None:
            proposals.append(place(proposal, ladders, set(p for p, v in new.items() if v != have[p])))

    # Keras 3 on each backend the matrix has Keras 3 cells of
    keras = _newest(known, "keras", lambda v: v.major == 3)
    for backend, project in KERAS3_BACKENDS.items():
        stack = [c for c in cpu if c.api == "keras3" and c.backend == backend
                 and {"keras", project} <= set(pins(c.requirements))]
        engine = _newest(known, project)
        if not stack or keras is None or engine is None:
            continue
        consider(_template(stack, ("keras", project)), {"keras": keras.version, project: engine.version},
                 f"keras{keras.version}-{backend}{engine.version}-python{{python}}",
                 lambda why: f"newest Keras 3 on the newest {backend}: {why}")
    # tf-keras with the newest TensorFlow of its minor
    stack = [c for c in cpu if c.api == "tf-keras" and {"tf-keras", "tensorflow"} <= set(pins(c.requirements))]
    tf_keras = _newest(known, "tf-keras")
    if stack and tf_keras is not None:
        minor = tf_keras.version.release[:2]
        tf = _newest(known, "tensorflow", lambda v: v.release[:2] == minor)
        if tf is not None:
            consider(_template(stack, ("tf-keras", "tensorflow")),
                     {"tf-keras": tf_keras.version, "tensorflow": tf.version},
                     f"tf-keras{tf_keras.version}-tensorflow{tf.version}-python{{python}}",
                     lambda why: f"newest tf-keras with its TensorFlow: {why}")
    # tf.keras: a newer patch of a covered TensorFlow minor (Keras 2 era), per Python
    stack = [c for c in cpu if c.api == "tf.keras" and "tensorflow" in pins(c.requirements)
             and pins(c.requirements)["tensorflow"] < TF_KERAS_END]
    groups = {}
    for cell in stack:
        groups.setdefault((pins(cell.requirements)["tensorflow"].release[:2], cell.python), []).append(cell)
    for (minor, python), group in sorted(groups.items()):
        tf = _newest(known, "tensorflow", lambda v: v.release[:2] == minor and python in
                     known["tensorflow"][str(v)].pythons)
        if tf is not None:
            consider(_template(group, ("tensorflow",)), {"tensorflow": tf.version},
                     f"tf.keras-tensorflow{tf.version}-python{{python}}",
                     lambda why: f"newest patch of TensorFlow {'.'.join(map(str, minor))} "
                                 f"under tf.keras: {why}")
    return proposals


def _ladder_varies(ladder: dict):
    """The project whose version a ladder's {version} is (None when it is not a requirement)."""
    for text in ladder.get("requirements", []):
        if isinstance(text, str) and "{version}" in text:
            try:
                return canonicalize_name(Requirement(text.replace("{version}", "0")).name)
            except InvalidRequirement:
                return None
    return None


def place(proposal: Proposal, ladders: list, changed: set) -> Proposal:
    """The proposal on the first ladder that varies a changed project and fits it, else as a cell."""
    wanted = pins(proposal.requirements)
    for ladder in ladders:
        template = ladder.get("name_template")
        varies = _ladder_varies(ladder)
        if not isinstance(template, str) or varies not in changed:
            continue
        if (ladder.get("api"), ladder.get("backend"), str(ladder.get("python")), ladder.get("device", "cpu")) \
                != (proposal.api, proposal.backend, proposal.python, "cpu"):
            continue
        if {str(k): str(v) for k, v in ladder.get("env", {}).items()} != dict(proposal.env):
            continue
        version = str(wanted[varies])
        if version in [str(v) for v in ladder.get("versions", [])]:
            continue
        expanded = [r.replace("{version}", version) for r in ladder.get("requirements", [])]
        fixed = {p: v for p, v in pins(expanded).items() if p != varies}
        if any(wanted.get(p) != v for p, v in fixed.items()):
            continue
        try:
            name = template.format(version=version, **{k: v for k, v in ladder.items() if isinstance(v, str)})
        except (KeyError, IndexError, ValueError):
            continue
        if tuple(expanded) == proposal.requirements:
            return dataclasses.replace(proposal, name=name, ladder=template, version=version,
                                       tags=tuple(ladder.get("tags", [])))
        return dataclasses.replace(proposal, ladder=template, version=version, override=True,
                                   tags=tuple(ladder.get("tags", [])))
    return proposal


# ---------------------------------------------------------------------------------------------
# The matrix text with the proposals added (comments and layout kept)
# ---------------------------------------------------------------------------------------------
class EditError(ValueError):
    """The matrix text is laid out in a way the editor cannot extend safely."""


def _toml(value) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def _scan(text: str, start: int, closing: str):
    """Index of the bracket closing the one opened just before `start` (strings and comments
    skipped), and the end of the last value token before it."""
    depth, i, last = 0, start, start
    while i < len(text):
        ch = text[i]
        if ch == "#":
            i = text.find("\n", i)
            if i < 0:
                break
            continue
        if ch in "\"'":
            quote = ch * 3 if text.startswith(ch * 3, i) else ch
            end = i + len(quote)
            while True:
                end = text.find(quote, end)
                if end < 0:
                    raise EditError("an unterminated string")
                if quote[0] == '"' and text[end - 1] == "\\" and not text[end - 2:end] == "\\\\":
                    end += 1
                    continue
                break
            i = last = end + len(quote)
            continue
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            if depth == 0:
                if ch != closing:
                    raise EditError(f"unbalanced {ch!r}")
                return i, last
            depth -= 1
            last = i + 1
        elif not ch.isspace() and ch != ",":
            last = i + 1
        i += 1
    raise EditError(f"no closing {closing!r}")


def _ladder_span(lines: list, template: str):
    pattern = re.compile(r"^\s*name_template\s*=\s*" + re.escape(json.dumps(template)) + r"\s*(#.*)?$")
    at = [i for i, line in enumerate(lines) if pattern.match(line)]
    if len(at) != 1:
        raise EditError(f"the ladder {template!r} is not found once as name_template = \"...\"")
    start = max(i for i in range(at[0] + 1) if lines[i].strip().startswith("[[")) \
        if any(lines[i].strip().startswith("[[") for i in range(at[0] + 1)) else 0
    end = next((i for i in range(at[0] + 1, len(lines)) if lines[i].strip().startswith("[[")), len(lines))
    return start, end


def _offset(lines: list, index: int) -> int:
    return sum(len(line) for line in lines[:index])


def _add_to_ladder(text: str, proposal: Proposal) -> str:
    lines = text.splitlines(keepends=True)
    start, end = _ladder_span(lines, proposal.ladder)
    block_start, block_end = _offset(lines, start), _offset(lines, end)
    block = text[block_start:block_end]
    match = re.search(r"(?m)^[ \t]*versions[ \t]*=[ \t]*\[", block)
    if not match:
        raise EditError(f"the ladder {proposal.ladder!r} has no versions = [...] list")
    close, last = _scan(block, match.end(), "]")
    item = json.dumps(proposal.version)
    line_start = block.rfind("\n", 0, last) + 1
    empty = last == match.end()
    if empty:
        insert = item
    elif last - line_start + len(item) + 3 > LINE_WIDTH:
        first = re.match(r"\s*", block[match.end():]).end() + match.end()
        column = first - (block.rfind("\n", 0, first) + 1)
        insert = ",\n" + " " * column + item
    else:
        insert = ", " + item
    block = block[:last] + insert + block[last:]
    close += len(insert)
    if proposal.override:
        fields = {"name": proposal.name, "requirements": list(proposal.requirements)}
        entry = f"{json.dumps(proposal.version)} = {_toml(fields)}"
        sub = re.search(r"(?m)^[ \t]*\[ladder\.overrides\][ \t]*(#.*)?$", block)
        inline = re.search(r"(?m)^[ \t]*overrides[ \t]*=[ \t]*\{", block)
        if sub:
            body = block[sub.end():].splitlines(keepends=True)
            keep = max((i for i, line in enumerate(body) if line.strip() and not line.strip().startswith("#")),
                       default=-1)
            cut = sub.end() + sum(len(line) for line in body[:keep + 1])
            if not block[:cut].endswith("\n"):
                entry = "\n" + entry
            block = block[:cut] + entry + "\n" + block[cut:]
        elif inline:
            brace, last = _scan(block, inline.end(), "}")
            block = block[:last] + ", " + entry + block[last:]
        else:
            eol = block.find("\n", close)
            eol = len(block) if eol < 0 else eol + 1
            block = block[:eol] + f"overrides = {{ {entry} }}\n" + block[eol:]
    return text[:block_start] + block + text[block_end:]


def _cell_block(proposal: Proposal) -> str:
    lines = ["[[cell]]", f"name = {_toml(proposal.name)}", f"api = {_toml(proposal.api)}",
             f"backend = {_toml(proposal.backend)}", f"python = {_toml(proposal.python)}",
             f"requirements = {_toml(list(proposal.requirements))}"]
    if proposal.env:
        lines.append(f"env = {_toml(dict(proposal.env))}")
    if proposal.tags:
        lines.append(f"tags = {_toml(list(proposal.tags))}")
    lines.append(f"notes = {_toml('Added by `harness releases`: ' + proposal.reason + '.')}")
    return "\n".join(lines) + "\n"


def _add_cell(text: str, proposal: Proposal) -> str:
    lines = text.splitlines(keepends=True)
    headers = [i for i, line in enumerate(lines) if line.strip().startswith("[")]
    after = template = None

    def key(body, name, value):
        return re.search(r"(?m)^\s*" + name + r"\s*=\s*" + re.escape(json.dumps(value)) + r"\s*(#.*)?$", body)

    for n, i in enumerate(headers):
        if lines[i].strip() != "[[cell]]":
            continue
        end = headers[n + 1] if n + 1 < len(headers) else len(lines)
        body = "".join(lines[i:end])
        last = max(k for k in range(i, end) if lines[k].strip() and not lines[k].lstrip().startswith("#"))
        if proposal.after and key(body, "name", proposal.after):
            template = last + 1
        if key(body, "api", proposal.api) and key(body, "backend", proposal.backend) \
                and not key(body, "device", "gpu") and not re.search(r"(?m)^\s*env\s*=", body):
            after = last + 1
    after = template or after
    block = _cell_block(proposal)
    if after is None:
        prefix = text if text.endswith("\n") or not text else text + "\n"
        return prefix + "\n" + block
    head = "".join(lines[:after])
    if not head.endswith("\n"):
        head += "\n"
    return head + "\n" + block + "".join(lines[after:])


def edit(text: str, proposals: list) -> str:
    """The matrix text with every proposal added: a ladder version (and its override), or a cell."""
    for proposal in proposals:
        text = _add_to_ladder(text, proposal) if proposal.ladder else _add_cell(text, proposal)
    return text
