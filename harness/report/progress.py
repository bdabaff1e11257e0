"""What a run shows while it goes: a live display on a terminal (rich), plain lines elsewhere.

The run (harness/ops/run.py) owns a `State` and calls `line()` for events and `update()` for the
live part; `summary_lines()` formats the end of a run. Nothing here decides anything, and nothing
here is imported by the run: the CLI hands a display to it.
"""
from __future__ import annotations

import os
import sys
import time


def headline(state) -> str:
    """Where a run stands (a harness.ops.run.State): cells, replays, elapsed, estimate."""
    eta = f", ~{clock(state.remaining)} left" if state.remaining is not None else ""
    return (f"cells {state.cells_done}/{state.cells_total}, replays {state.replays_done}/"
            f"{state.replays_total}, {clock(state.elapsed)} elapsed{eta}")


def clock(seconds: float) -> str:
    seconds = int(round(max(0.0, seconds)))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def live_wanted(stream) -> bool:
    """A live display only on a terminal, never under CI or a dumb terminal."""
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def choose(stream=None, live=None):
    stream = stream or sys.stdout
    if live if live is not None else live_wanted(stream):
        try:
            return LiveDisplay(stream)
        except ImportError:
            pass
    return PlainDisplay(stream)


class PlainDisplay:
    """One line per event; a recipe's line carries where the run stands."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def start(self, state):
        pass

    def line(self, text: str, state=None):
        suffix = f"  [{headline(state)}]" if state is not None else ""
        print(text + suffix, file=self.stream, flush=True)

    def update(self, state):
        pass

    def stop(self, state):
        pass


class LiveDisplay(PlainDisplay):
    """rich's Live: events scroll above a status block (headline, bar, what runs now)."""

    def __init__(self, stream=None):
        from rich.console import Console
        from rich.live import Live
        super().__init__(stream)
        self.console = Console(file=self.stream)
        self.live = Live(console=self.console, refresh_per_second=4, transient=True)

    def start(self, state):
        self.live.start()
        self.update(state)

    def line(self, text: str, state=None):
        self.console.print(text, markup=False, highlight=False)

    def update(self, state):
        self.live.update(self.render(state))

    def render(self, state):
        from rich.console import Group
        from rich.progress_bar import ProgressBar
        from rich.text import Text
        now = time.monotonic()
        rows = [Text(headline(state), style="bold"),
                ProgressBar(total=max(1, state.replays_total), completed=state.replays_done, width=60)]
        for label, began in sorted(state.running.values(), key=lambda item: item[1]):
            rows.append(Text(f"  {label}  {now - began:5.0f} s"))
        return Group(*rows)

    def stop(self, state):
        self.live.stop()


def summary_lines(done) -> list:
    """The end of a run (a harness.ops.run.Summary): verdicts by kind, failures with one-line
    reasons, skips, wall time."""
    return summary(done.verdicts, done.install_failed, len(done.current), len(done.skipped_cells),
                   done.seconds, done.interrupted)


def summary(verdicts: dict, install_failed: dict, skipped: int, skipped_cells: int,
            seconds: float, interrupted: bool) -> list:
    kinds = {}
    for result in verdicts.values():
        kinds[result.name] = kinds.get(result.name, 0) + 1
    ran = ", ".join(f"{name} {count}" for name, count in sorted(kinds.items(), key=lambda kv: -kv[1]))
    lines = [f"ran {len(verdicts)} recipe(s)" + (f": {ran}" if ran else "")]
    if skipped:
        lines.append(f"skipped as current: {skipped} recipe(s)"
                     + (f", {skipped_cells} whole cell(s)" if skipped_cells else "")
                     + " (--force reruns them)")
    for cell, reason in sorted(install_failed.items()):
        lines.append(f"  install-failed  {cell}: {reason}")
    for (cell, scenario, recipe), result in sorted(verdicts.items()):
        if result.is_failure:
            lines.append(f"  {result.name:15s} {cell} {scenario} {recipe}: {result.error or '-'}")
    lines.append(("interrupted after " if interrupted else "wall time ") + clock(seconds))
    return lines


# --------------------------------------------------------------------------------------------
# The end of `harness publish`: what was found, what changed, where to look
# --------------------------------------------------------------------------------------------
def snapshot(folder, skip=("records", "machines")) -> dict:
    """{path: SHA-256} of the published files under a results directory (records left out), to
    tell afterwards which files a publish changed."""
    import hashlib
    from pathlib import Path
    found = {}
    folder = Path(folder)
    if not folder.is_dir():
        return found
    for path in folder.rglob("*"):
        if path.is_file() and path.relative_to(folder).parts[0] not in skip:
            found[path] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def changed_files(before: dict, written) -> list:
    """The written files that are new or whose bytes differ from `before`."""
    import hashlib
    from pathlib import Path
    changed = []
    for path in written:
        path = Path(path)
        if path.is_file() and before.get(path) != hashlib.sha256(path.read_bytes()).hexdigest():
            changed.append(path)
    return changed


def publish_lines(sentences, scenario: str, stacks: int, machines: int, gpu: int, written, changed,
                  out, diff=None, shown_paths=None) -> list:
    """A short report of a publish: the answer per API generation and backend (the front page's
    sentences), what changed against the committed records, and where the tables and the site are;
    `written`/`changed`: the files written and those whose bytes changed."""
    from pathlib import Path
    out = Path(out)
    lines = [f"{stacks} stack(s) on {machines} machine(s), scenario {scenario}:"]
    lines += [f"  {label} {text}" for _, label, text in sentences]
    lines.append(f"  GPU: {gpu} stack(s) with GPU records" if gpu else "  GPU: no GPU records yet (every verdict is a CPU's)")
    if diff is None:
        lines.append("against the committed records: not compared (no git checkout, or no commit yet)")
    elif not diff.changed:
        lines.append("against the committed records: no change (same cells, verdicts and bitwise fingerprints)")
    else:
        lost = len(diff.bitwise_lost)
        lines.append(f"against the committed records: {len(diff.changes)} verdict/fingerprint change(s)"
                     + (f", {lost} of them a bitwise verdict lost" if lost else "")
                     + f", {len(diff.added_cells)} cell(s) added, {len(diff.removed_cells)} removed, "
                     f"{len(diff.added_rows)} row(s) added; `harness diff git:HEAD {out}` lists them")
    readme = [p for p in changed if Path(p).name == "README.md"]
    lines.append(f"wrote {len(written)} file(s), {len(changed)} changed"
                 + (" (the README's matrix block among them)" if readme else "")
                 + "; --list names them")
    lines.append(f"tables: {out / 'matrix.md'} · site: {out / 'site' / 'index.html'}")
    return lines
