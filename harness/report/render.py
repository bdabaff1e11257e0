"""Rendering helpers shared by the analysis modules: markdown tables, number formatting and
deterministic PNG output.

Everything here is deterministic on purpose: the published analysis must be byte-identical when
regenerated from the same records, so figures are drawn on a bare Agg `Figure` (no pyplot global
state, no interactive backend), saved at a fixed dpi and without the "Software" PNG metadata
(which carries the matplotlib version), and numbers are formatted with fixed rules.
"""
from __future__ import annotations

import math
from pathlib import Path

from ..derive import verdicts

DPI = 100
EM_DASH = "—"


def markdown_text(value) -> str:
    """Text safe in a Markdown table cell: `|` and newlines escaped, and HTML (`<`, `>`, `&`)
    made literal outside code spans, so no raw HTML passes through a published table."""
    text = "" if value is None else str(value)
    parts = text.replace("\n", " ").split("`")
    for index in range(0, len(parts), 2):  # outside code spans
        parts[index] = parts[index].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts).replace("|", "\\|")


def markdown_table(headers: list, rows: list) -> str:
    """A GitHub-flavoured markdown table; every cell through `markdown_text`."""
    cell = markdown_text

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def number(value, precision: int = 6) -> str:
    """A float with `precision` significant digits; NaN and None as an em dash."""
    if value is None:
        return EM_DASH
    value = float(value)
    if math.isnan(value):
        return EM_DASH
    return f"{value:.{precision}g}"


def pvalue(value) -> str:
    """p-values: 4 significant digits, very small ones in scientific notation."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return EM_DASH
    return f"{value:.3e}" if value < 1e-4 else f"{value:.4f}"


def digits_text(value) -> str:
    """Digits of agreement as shown in tables: '=' for bitwise equality, else the count."""
    if value is None:
        return EM_DASH
    return "=" if value >= verdicts.BITWISE else str(int(value))


def code(text) -> str:
    """Inline code (record paths, fingerprints); backticks inside are dropped."""
    text = str(text or "").replace("`", "'")
    return f"`{text}`" if text else ""


def new_figure(width: float, height: float):
    """A pyplot-free Agg figure: nothing global is touched, so callers stay thread- and
    backend-neutral."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def save_png(figure, path: Path) -> Path:
    """Save without metadata that varies between machines or versions."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=DPI, metadata={"Software": None}, bbox_inches="tight")
    return path


def empty_figure(path: Path, message: str) -> Path:
    """A small placeholder image saying why there is nothing to draw."""
    figure = new_figure(6, 1.5)
    figure.text(0.5, 0.5, message, ha="center", va="center")
    return save_png(figure, path)
