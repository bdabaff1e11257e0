"""A diff report as Markdown, for a pull-request body or comment (formatting only)."""
from __future__ import annotations

from ..derive.diff import Report
from . import render


def markdown(report: Report) -> str:
    lines = ["## Reproducibility matrix diff", "", f"`{report.old_label}` → `{report.new_label}`", ""]
    if not report.changed:
        lines.append("No changes: same cells, same verdicts, same bitwise fingerprints.")
        return "\n".join(lines) + "\n"
    lines.append(f"{len(report.added_cells)} cell(s) added, {len(report.removed_cells)} removed, "
                 f"{len(report.changes)} verdict/fingerprint change(s).")
    for title, cells in (("Cells added", report.added_cells), ("Cells removed", report.removed_cells)):
        if cells:
            lines += ["", f"### {title}", ""] + [f"- {render.code(c)}" for c in cells]
    for title, found in (("Rows added", report.added_rows), ("Rows removed", report.removed_rows)):
        if found:
            lines += ["", f"### {title}", "", render.markdown_table(
                ["machine", "cell", "scenario", "recipe", "verdict", "record"],
                [(render.code(r.machine), r.cell, r.scenario, r.recipe, r.label, render.code(r.record))
                 for r in found])]
    if report.changes:
        lines += ["", "### Changed verdicts and fingerprints", "", render.markdown_table(
            ["machine", "cell", "scenario", "recipe", "old", "new", "first differing repeat",
             "old value", "new value", "old record", "new record"],
            [(render.code(c.machine), c.cell, c.scenario,
              c.recipe + (" (scenario changed)" if c.scenario_changed else ""),
              c.old, c.new, "—" if c.first_difference is None else c.first_difference,
              _value(c.old_value), _value(c.new_value), render.code(c.old_record),
              render.code(c.new_record)) for c in report.changes])]
    return "\n".join(lines) + "\n"


def _value(value) -> str:
    return "—" if value is None else repr(float(value))
