"""What a run shows while it goes: a live display on a terminal (rich), plain lines elsewhere.

The run (harness/ops/run.py) owns a `State` and calls `line()` for events and `update()` for the
live part; `summary()` formats the end of a run. Nothing here decides anything.
"""
from __future__ import annotations

import dataclasses
import os
import sys
import time


@dataclasses.dataclass
class State:
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

    def headline(self) -> str:
        eta = f", ~{clock(self.remaining)} left" if self.remaining is not None else ""
        return (f"cells {self.cells_done}/{self.cells_total}, replays {self.replays_done}/"
                f"{self.replays_total}, {clock(self.elapsed)} elapsed{eta}")


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

    def start(self, state: State):
        pass

    def line(self, text: str, state: State | None = None):
        suffix = f"  [{state.headline()}]" if state is not None else ""
        print(text + suffix, file=self.stream, flush=True)

    def update(self, state: State):
        pass

    def stop(self, state: State):
        pass


class LiveDisplay(PlainDisplay):
    """rich's Live: events scroll above a status block (headline, bar, what runs now)."""

    def __init__(self, stream=None):
        from rich.console import Console
        from rich.live import Live
        super().__init__(stream)
        self.console = Console(file=self.stream)
        self.live = Live(console=self.console, refresh_per_second=4, transient=True)

    def start(self, state: State):
        self.live.start()
        self.update(state)

    def line(self, text: str, state: State | None = None):
        self.console.print(text, markup=False, highlight=False)

    def update(self, state: State):
        self.live.update(self.render(state))

    def render(self, state: State):
        from rich.console import Group
        from rich.progress_bar import ProgressBar
        from rich.text import Text
        now = time.monotonic()
        rows = [Text(state.headline(), style="bold"),
                ProgressBar(total=max(1, state.replays_total), completed=state.replays_done, width=60)]
        for label, began in sorted(state.running.values(), key=lambda item: item[1]):
            rows.append(Text(f"  {label}  {now - began:5.0f} s"))
        return Group(*rows)

    def stop(self, state: State):
        self.live.stop()


def summary(verdicts: dict, install_failed: dict, skipped: int, skipped_cells: int,
            seconds: float, interrupted: bool) -> list:
    """The end of a run: verdicts by kind, failures with one-line reasons, skips, wall time."""
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
