"""Running cells: what is not current yet, side by side (-j), recorded as it goes.

A run plans from the matrix and the records alone (harness/ops/plan.py: complete and current
records are skipped, unfinished ones resumed), then a coordinator (this thread) hands out jobs
to N worker threads: preparing a cell (its records lock, then its environment, built or reused)
and single replays (one worker process each). The coordinator alone writes records, so every
record file has one writer; a replay's numbers never depend on N (each replay is its own fresh
process with the same environment and recipe).

Faults: a cell's environment is held shared while its workers run (a rebuild waits); its
records directory is locked, so two runs of one cell take turns; replays are written aside to
`<recipe>.json.partial` and only a complete record replaces `<recipe>.json`. On SIGINT or
SIGTERM (or any exception) every worker's and installer's process group is ended, replays cut
short are kept in the partial as `interrupted`, and KeyboardInterrupt goes up to the CLI.
"""
from __future__ import annotations

import concurrent.futures as futures
import dataclasses
import inspect
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from .. import __version__, paths
from ..provision import environments, locks, processes
from ..derive import verdicts
from ..execute import runner
from ..matrix import Cell
from ..store import machines, records
from . import plan
from .plan import partial_path, scenario_file  # noqa: F401  (used by other ops)

MAX_DEFAULT_JOBS = 4      # a TensorFlow worker takes ~1 GB and every core it sees
FALLBACK_SECONDS = plan.FALLBACK_SECONDS   # a replay's estimated time when no earlier record says
BUILD_SECONDS = 60.0      # an environment build's estimated time
_ON_START = "on_start" in inspect.signature(runner.run_replay).parameters


def default_jobs() -> int:
    """$HARNESS_JOBS, else the CPUs this process may use, at most MAX_DEFAULT_JOBS."""
    wanted = os.environ.get("HARNESS_JOBS", "").strip()
    if wanted:
        if not wanted.isdigit() or int(wanted) < 1:
            raise ValueError(f"HARNESS_JOBS={wanted!r} must be a positive integer")
        return int(wanted)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_DEFAULT_JOBS))


def redactions(envs: Path) -> list:
    """Local absolute paths replaced in what is recorded: records travel between machines."""
    return [(str(Path(envs).resolve()), "<envs>"), (str(paths.root()), "<root>"),
            (sys.prefix, "<host-venv>"), (str(Path.home()), "<home>")]


def logs_dir(envs: Path, cell: str, scenario: str) -> Path:
    """Worker logs live beside the environments, never inside one (a rebuild keeps them)."""
    return Path(envs) / ".logs" / records.safe_name("cell", cell) / records.safe_name("scenario", scenario)


def record_body(cell, outcome, scenario: str, digest: str, recipe: str, machine: str) -> dict:
    """A new record of replays: the cell, the scenario's hash, the environment it ran in."""
    return {"cell": cell.as_dict(), "scenario": {"name": scenario, "sha256": digest},
            "recipe": recipe, "machine": machine, "harness": __version__,
            "environment": {"env_hash": outcome.env_hash, "install_seconds": outcome.install_seconds,
                            "installer": outcome.installer},
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "replays": [], "complete": False}


@dataclasses.dataclass
class State:
    """Where a run stands, for a display: counts, what runs now, the estimate of what is left."""

    cells_total: int = 0
    cells_done: int = 0
    replays_total: int = 0
    replays_done: int = 0
    skipped: int = 0                  # recipes skipped as current
    started: float = dataclasses.field(default_factory=time.monotonic)
    running: dict = dataclasses.field(default_factory=dict)   # id -> (label, started)
    remaining: float | None = None    # estimated seconds of work left (already divided by -j)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


@dataclasses.dataclass
class Summary:
    verdicts: dict = dataclasses.field(default_factory=dict)        # (cell, scenario, recipe) -> Verdict
    install_failed: dict = dataclasses.field(default_factory=dict)  # cell -> one-line reason
    current: dict = dataclasses.field(default_factory=dict)         # (cell, scenario, recipe) -> record path
    skipped_cells: list = dataclasses.field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0



class _Cell:
    """A cell being worked on: its tasks, records being filled, and the locks it holds."""

    def __init__(self, cell: Cell, tasks: list, order: int):
        self.cell, self.tasks, self.order = cell, tasks, order
        self.bodies = {}            # task key -> record body being filled
        self.left = 0               # replays not yet back
        self.outcome = None
        self.env_lock = self.records_lock = None

    def release(self):
        for lock in (self.env_lock, self.records_lock):
            if lock is not None:
                lock.close()
        self.env_lock = self.records_lock = None


@dataclasses.dataclass(frozen=True)
class Options:
    """What a run is asked for, beyond its cells and where records and environments live."""

    recipes: tuple | None = None        # only these recipes (default: each cell's own)
    replays: int | None = None          # fresh processes per recipe (default: the cell's)
    timeout: float | None = None        # seconds per worker process (default: the cell's)
    scenarios_dir: Path | None = None   # where the cells' scenarios live (default: scenarios/)
    scenarios: tuple | None = None      # run these scenarios instead of each cell's own; the
                                        # records still describe the cell as the matrix defines it
    rebuild: bool = False               # rebuild environments (and rerun their recipes)
    force: bool = False                 # rerun recipes whose records are current
    jobs: int = 1                       # jobs side by side


class Run:
    def __init__(self, cells, results, envs, options: Options = Options(), display=None):
        self.cells, self.results, self.envs = list(cells), Path(results), Path(envs).absolute()
        self.options = options
        self.recipes, self.replays, self.timeout = options.recipes, options.replays, options.timeout
        self.scenarios_dir, self.rebuild = options.scenarios_dir, options.rebuild
        self.force = options.force or options.rebuild   # a rebuilt environment may hold other packages
        self.jobs = max(1, int(options.jobs))
        self.display = display or EchoDisplay(print)
        self.summary = Summary()
        self.state = State()
        self.hide = redactions(self.envs)
        self.stopping = False
        self.gpu_busy = False

    # ---------------------------------------------------------------- planning
    def plan(self) -> list:
        """[_Cell] with work to do (current recipes are counted as skipped, nothing is opened)."""
        self.machine = machines.save_machine(self.results)
        todo = []
        for order, cell in enumerate(self.cells):
            tasks = self._plan_cell(cell)
            if tasks:
                todo.append(_Cell(cell, tasks, order))
            else:
                self.summary.skipped_cells.append(cell.name)
        self.state.cells_total = len(todo)
        self.state.replays_total = sum(len(t.missing) for c in todo for t in c.tasks)
        self.state.skipped = len(self.summary.current)
        return todo

    def _plan_cell(self, cell: Cell) -> list:
        tasks = plan.plan_cell(cell, self.results, self.machine, self.recipes, self.replays,
                               self.scenarios_dir, self.force, self.options.scenarios)
        for task in tasks:
            if task.current:
                self.summary.current[task.key] = task.target
        return [t for t in tasks if not t.current]

    # ---------------------------------------------------------------- the coordinator
    def execute(self) -> Summary:
        started = time.monotonic()
        processes.stopping.clear()
        todo = self.plan()
        if not todo:
            self.summary.seconds = time.monotonic() - started
            return self.summary
        # only this installation's leftovers: other checkouts share the system temporary directory
        ended, removed = processes.clean_leftovers(Path(tempfile.gettempdir()), self._tmp_prefix())
        if ended or removed:
            self._say(f"cleaned up after a killed run: {ended} orphaned worker(s) ended, "
                      f"{removed} leftover temporary director{'y' if removed == 1 else 'ies'} removed")
        self.pending = list(todo)
        self.open = []              # prepared cells with replays left
        self.ready = []             # (cell, task, index) replays that may start
        self.running = {}           # future -> job
        self.display.start(self.state)
        pool = futures.ThreadPoolExecutor(self.jobs, thread_name_prefix="harness-job")
        previous = _raise_on_sigterm()
        try:
            self._loop(pool)
        except KeyboardInterrupt:
            self._stop(pool)
            self.summary.interrupted = True
            raise
        finally:
            if self.running:                # an unexpected error: leave nothing behind
                self._stop(pool)
            pool.shutdown(wait=True)
            for job in todo:
                job.release()
            _restore_sigterm(previous)
            self.summary.seconds = time.monotonic() - started
            self.display.stop(self.state)
        return self.summary

    def _loop(self, pool):
        while self.pending or self.ready or self.running:
            self._fill(pool)
            done, _ = futures.wait(list(self.running), timeout=0.25,
                                   return_when=futures.FIRST_COMPLETED)
            for future in done:
                self._finish(self.running.pop(future), future)
            self.state.remaining = self._remaining()
            self.display.update(self.state)

    def _stop(self, pool):
        """End every worker and installer, then wait for their threads to record what came back."""
        self.stopping = True
        processes.stopping.set()
        self.pending, self.ready = [], []
        while self.running:
            processes.end_all()
            try:
                done, _ = futures.wait(list(self.running), timeout=1.0)
            except KeyboardInterrupt:   # a second Ctrl-C: we are stopping already
                continue
            for future in done:
                self._finish(self.running.pop(future), future)

    def _fill(self, pool):
        while len(self.running) < self.jobs and not self.stopping:
            job = self._next()
            if job is None:
                return
            kind, cell, task, index = job
            if kind == "prepare":
                label = f"[{cell.cell.name}] environment"
                future = pool.submit(self._prepare, cell)
            else:
                label = f"[{cell.cell.name}] {task.scenario} {task.recipe} replay {index + 1}/{task.count}"
                future = pool.submit(self._replay, cell, task, index)
                self.gpu_busy = self.gpu_busy or cell.cell.device == "gpu"
            self.running[future] = job
            self.state.running[id(future)] = (label, time.monotonic())

    def _next(self):
        """Replays of cells already prepared first (in matrix order); one cell is prepared ahead
        when there are free slots, so builds overlap with replays; GPU replays one at a time."""
        preparing = any(job[0] == "prepare" for job in self.running.values())
        ahead = self.jobs > 1 and len(self.open) <= 1
        if self.pending and not preparing and (ahead or not self.ready):
            return ("prepare", self.pending.pop(0), None, None)
        for position, (cell, task, index) in enumerate(self.ready):
            if cell.cell.device == "gpu" and self.gpu_busy:
                continue
            del self.ready[position]
            return ("replay", cell, task, index)
        return None

    # ---------------------------------------------------------------- jobs (worker threads)
    def _prepare(self, cell: _Cell):
        name = cell.cell.name
        folder = records.environment_path(self.results, self.machine, name).parent
        cell.records_lock = locks.records_lock(folder).acquire(on_wait=lambda: self._say(
            f"[{name}] waiting: another run is writing this cell's records"))
        cell.tasks = self._plan_cell(cell.cell)     # the other run may have done it meanwhile
        if not cell.tasks:
            return None
        self._say(f"[{name}] environment ({environments.installer_for(cell.cell)}) ...")
        cell.outcome, cell.env_lock = environments.acquire(cell.cell, self.envs, self.rebuild,
                                                           echo=self._say)
        return cell.outcome

    def _replay(self, cell: _Cell, task, index: int) -> dict:
        outcome, started = cell.outcome, []

        def on_start(process):     # its group is ended with the others when the run stops
            started.append(process)
            processes.register(process)

        extra = {"on_start": on_start, "tmp_prefix": self._tmp_prefix()} if _ON_START else {}
        try:
            return runner.run_replay(outcome.python, cell.cell, task.scenario_path, task.recipe,
                                     self.timeout or cell.cell.timeout, extra_env=outcome.extra_env,
                                     log_dir=logs_dir(self.envs, cell.cell.name, task.scenario) / f"replay{index}",
                                     **extra)
        finally:
            for process in started:
                processes.unregister(process)

    def _tmp_prefix(self) -> str:
        return paths.replay_prefix(self.results, self.envs)

    def _say(self, text):
        self.display.line(text)

    # ---------------------------------------------------------------- results (coordinator)
    def _finish(self, job, future):
        kind, cell, task, index = job
        self.state.running.pop(id(future), None)
        if kind == "prepare":
            self._prepared(cell, future)
        else:
            self.gpu_busy = any(j[1].cell.device == "gpu" for j in self.running.values() if j[0] == "replay")
            self._replayed(cell, task, index, future)

    def _prepared(self, cell: _Cell, future):
        try:
            outcome = future.result()
        except BaseException:
            cell.release()
            if self.stopping:
                return
            raise
        name = cell.cell.name
        if self.stopping:
            cell.release()
            return
        if outcome is None:
            self._say(f"[{name}] current (recorded by another run meanwhile)")
            self._cell_done(cell)
            return
        records.write(records.environment_path(self.results, self.machine, name), "environment",
                      records.redact({"cell": cell.cell.as_dict(), "machine": self.machine,
                                      "harness": __version__, "outcome": _public_outcome(outcome)},
                                     self.hide))
        if outcome.status != "ok":
            reason = verdicts.one_line(outcome.error or "", 300)
            self.summary.install_failed[name] = reason
            self._say(f"[{name}] did not install: {reason}")
            self.state.replays_done += sum(len(t.missing) for t in cell.tasks)
            self._cell_done(cell)
            return
        how = "reused" if outcome.reused else f"built in {outcome.install_seconds:.0f}s"
        self._say(f"[{name}] environment {how}")
        for task in cell.tasks:
            body = record_body(cell.cell, outcome, task.scenario, task.inputs["scenario_sha256"],
                               task.recipe, self.machine)
            body["inputs"] = task.inputs
            body["replays"] = sorted(task.kept, key=lambda r: r["index"])
            cell.bodies[task.key] = body
            if task.note:
                self._say(f"[{name}] {task.scenario} {task.recipe}: {task.note}")
            self.ready += [(cell, task, i) for i in task.missing]
            cell.left += len(task.missing)
        self.ready.sort(key=lambda job: job[0].order)     # stable: matrix order, then task order
        self.open.append(cell)

    def _replayed(self, cell: _Cell, task, index: int, future):
        try:
            replay = future.result()
        except Exception as exc:    # the runner returns outcomes; this is a bug or an I/O error
            replay = {"status": "crashed", "error_summary": f"orchestrator: {type(exc).__name__}: {exc}"}
        if self.stopping:
            replay = dict(replay, status="interrupted",
                          error_summary="the run was interrupted; this replay runs again on resume")
        replay["index"] = index
        body = cell.bodies[task.key]
        body["replays"] = sorted(body["replays"] + [records.redact(replay, self.hide)],
                                 key=lambda r: r["index"])
        cell.left -= 1
        self.state.replays_done += 1
        timed = [r["wall_seconds"] for r in body["replays"] if isinstance(r.get("wall_seconds"), (int, float))]
        if timed:   # this run's own timings refine the estimate of what is left
            task.seconds = statistics.median(timed)
        done = {r["index"] for r in body["replays"] if r.get("status") not in plan.DROPPED}
        if not self.stopping and verdicts.decided(body["replays"]):
            self._stop_early(cell, task, done)
        if all(i in done for i in task.missing):
            self._complete(cell, task, body)
        else:   # written aside: a kill loses at most the replays still running
            records.write(partial_path(task.target), "replays", body)
        if cell.left == 0 and not self.stopping:
            self._cell_done(cell)

    def _stop_early(self, cell: _Cell, task, done: set):
        """The recipe is already not bitwise: its replays not yet started are dropped (those
        running finish and are recorded)."""
        queued = [job for job in self.ready if job[0] is cell and job[1] is task]
        if not queued:
            return
        self.ready = [job for job in self.ready if not (job[0] is cell and job[1] is task)]
        dropped = {index for _, _, index in queued}
        task.missing = [i for i in task.missing if i not in dropped]
        cell.left -= len(dropped)
        self.state.replays_total -= len(dropped)

    def _complete(self, cell: _Cell, task, body: dict):
        body["complete"] = True
        records.write(task.target, "replays", body)
        partial_path(task.target).unlink(missing_ok=True)
        minimum = verdicts.minimum_for(cell.cell)
        result = verdicts.verdict(task.recipe, body["replays"], minimum)
        self.summary.verdicts[task.key] = result
        seconds = statistics.median([r.get("wall_seconds") or 0 for r in body["replays"]] or [0])
        self.display.line(f"[{cell.cell.name}] {task.scenario} {task.recipe:9s} "
                          f"{verdicts.label(result):32s} {seconds:6.1f} s/run", self.state)

    def _cell_done(self, cell: _Cell):
        cell.release()
        if cell in self.open:
            self.open.remove(cell)
        self.state.cells_done += 1

    def _remaining(self) -> float:
        """Seconds of work left, from earlier records' timings, divided among the jobs."""
        known = [t.seconds for c in self.open + self.pending for t in c.tasks if t.seconds]
        typical = statistics.median(known) if known else FALLBACK_SECONDS
        left = sum((task.seconds or typical) for _, task, _ in self.ready)
        left += sum(len(t.missing) * (t.seconds or typical) for c in self.pending for t in c.tasks)
        left += BUILD_SECONDS * sum(1 for c in self.pending if environments.current_marker(c.cell, self.envs) is None)
        now = time.monotonic()
        for future, (kind, cell, task, _) in self.running.items():
            began = self.state.running.get(id(future), ("", now))[1]
            expected = (task.seconds or typical) if kind == "replay" else BUILD_SECONDS / 4
            left += max(0.0, expected - (now - began))
        return left / self.jobs


ALL_SCENARIOS = "all"     # `--scenario all`: every built-in scenario file


def scenario_groups(selection, scenarios_dir=None) -> list:
    """`harness run --scenario` values as [(directory, (name, ...))], one group per directory.

    A value is a built-in scenario's name (scenarios/NAME.py), `all` (every built-in one), or the
    path of a .py file: that file runs where it lies, under its file stem, which must be a safe
    record name and must not be a built-in scenario's (its records would replace theirs)."""
    builtin = Path(scenarios_dir or paths.scenarios_dir())
    groups = {}
    for value in selection:
        if value == ALL_SCENARIOS:
            found = [(builtin, p.stem) for p in sorted(builtin.glob("*.py"))]
        elif value.endswith(".py") or os.sep in value:
            path = Path(value).expanduser().resolve()
            if not path.is_file() or path.suffix != ".py":
                raise ValueError(f"scenario {value!r}: no such .py file")
            name = records.safe_name("scenario", path.stem)
            twin = builtin / path.name
            if twin.is_file() and twin.resolve() != path:
                raise ValueError(f"scenario {value!r}: its name {name!r} is a built-in scenario's; "
                                 "rename the file")
            found = [(path.parent, name)]
        else:
            found = [(builtin, scenario_file(value, builtin).stem)]
        for folder, name in found:
            names = groups.setdefault(folder, [])
            if name in {n for members in groups.values() for n in members}:
                if name not in names:
                    raise ValueError(f"two scenarios named {name!r} in {selection}")
                continue
            names.append(name)
    return [(folder, tuple(names)) for folder, names in groups.items()]


def run_cells(cells, results, envs, options: Options = Options(), display=None) -> Summary:
    """Run the cells' work that is not current yet; returns the Summary (raises
    KeyboardInterrupt after recording an interruption)."""
    return Run(cells, results, envs, options, display).execute()


def run_cell(cell: Cell, results: Path, envs: Path, options: Options = Options(), echo=print) -> dict:
    """One cell; returns {(scenario, recipe): Verdict} (current records included) or
    {"environment": "install-failed"}."""
    summary = run_cells([cell], results, envs, options, EchoDisplay(echo))
    if cell.name in summary.install_failed:
        return {"environment": "install-failed"}
    found = {key[1:]: result for key, result in summary.verdicts.items()}
    minimum = verdicts.minimum_for(cell)
    for key, path in summary.current.items():
        found[key[1:]] = verdicts.verdict(key[2], records.read(path)["replays"], minimum)
    return found


class EchoDisplay:
    """The display a run uses when none is given: events passed to `echo`, nothing live
    (harness/report/progress.py has the terminal displays; the CLI picks one)."""

    def __init__(self, echo):
        self.echo = echo

    def start(self, state):
        pass

    def line(self, text, state=None):
        self.echo(text)

    def update(self, state):
        pass

    def stop(self, state):
        pass


def _raise_on_sigterm():
    """SIGTERM ends a run the way Ctrl-C does (workers ended, interruption recorded)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _sigterm)


def _sigterm(signum, frame):
    raise KeyboardInterrupt("SIGTERM")


def _restore_sigterm(previous):
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


def _public_outcome(outcome) -> dict:
    """The environment outcome as recorded (paths are redacted by the caller)."""
    data = outcome.as_dict()
    data["error"] = environments.bounded(data["error"]) if data["error"] else None
    return data
