"""nox front end: one session per matrix cell, derived from matrix.toml at load time.

    nox -l                 list sessions (nox -l --json for a CI matrix)
    nox -t default         run the default cells, then publish (the README's main command)
    nox -t jax             every cell tagged jax (tags: api, backend, era, pythonXY, device, ...)
    nox -s <cell>          one cell (nox -s <cell> -- -j 2: two replays at a time)
    nox -s run -- -t default -j 2   the default cells in one process, cells side by side
Each session calls `python -m harness run <cell>`: the harness builds the cell's environment
(uv, or venv + pip for old interpreters) so that an install failure is a recorded outcome.
"""
import os
import sys

import nox

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import cli as _cli  # noqa: E402
from harness import matrix as _matrix  # noqa: E402

nox.options.default_venv_backend = "none"
nox.options.tags = ["default"]
HOST = sys.executable


def _selected_cells() -> list:
    """The cells this nox invocation selected (-t/--tags, -s/--session(s)/-e, else the default
    tag), in matrix order, read from nox's own command line: the whole run's progress."""
    tags, names, argv = [], [], sys.argv[1:]
    for index, arg in enumerate(argv):
        value = argv[index + 1] if index + 1 < len(argv) else ""
        if arg in ("-t", "--tags"):
            tags.append(value)
        elif arg in ("-s", "-e", "--session", "--sessions"):
            names.append(value)
        elif arg.startswith("--tags="):
            tags.append(arg.split("=", 1)[1])
    cells = _matrix.load().cells
    if names:
        return [c for c in cells if c.name in names]
    return [c for c in cells if any(t in c.tags for t in (tags or nox.options.tags))]


def _progress(session, cell):
    from harness.ops import plan
    from harness.store import machines
    selected = _selected_cells()
    names = [c.name for c in selected]
    if cell.name not in names:
        return
    position = names.index(cell.name)
    results = _cli.paths.results_dir()
    processes, seconds = plan.estimate(selected[position:], results, machines.this_machine())
    session.log(plan.progress_line(position + 1, len(names), cell.name, processes, seconds))


def _cell_session(cell):
    def session(session):
        try:
            _progress(session, cell)
        except Exception as exc:     # progress is a courtesy: it never stops a run
            session.log(f"(no overall progress: {type(exc).__name__}: {exc})")
        session.run(HOST, "-m", "harness", "run", cell.name, *session.posargs, external=True)
    session.__doc__ = f"{cell.api} on {cell.backend}, Python {cell.python}, {cell.device}"
    return session


for _cell in _matrix.load().cells:
    nox.session(name=_cell.name, python=False, tags=list(_cell.tags))(_cell_session(_cell))


@nox.session(python=False)
def run(session):
    """Several cells in one harness process, side by side: nox -s run -- -t default -j 2.

    (Each cell session runs its own replays side by side already; -j N there, or HARNESS_JOBS=N
    for nox and tox alike, sets how many.)"""
    session.run(HOST, "-m", "harness", "run", *session.posargs, external=True)


@nox.session(python=False, tags=["default", "publish"])
def publish(session):
    """Regenerate results/matrix.{md,csv,html,png} and the README's table from the records."""
    session.run(HOST, "-m", "harness", "publish", *session.posargs, external=True)


def _verb_session(verb, help_text):
    def session(session):
        session.run(HOST, "-m", "harness", verb, *session.posargs, external=True)
    session.__doc__ = f"{help_text[:1].upper()}{help_text[1:]} (nox -s {verb} -- ARGS: harness {verb} ARGS)."
    return session


# Every other verb of the CLI's command table, as it is: nothing to keep in step by hand.
for _verb, (_, _, _help) in _cli.COMMANDS.items():
    if _verb not in ("run", "publish"):
        nox.session(name=_verb, python=False, tags=["verbs"])(_verb_session(_verb, _help))


@nox.session(python=False)
def tests(session):
    """The test suite (same as the README's test command)."""
    session.run(HOST, "-m", "pytest", *session.posargs, external=True)
