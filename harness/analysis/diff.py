"""Comparing two result directories: what a change to the matrix, a dependency or the machine
did to the verdicts. Output is markdown for a pull-request comment.

What counts as a change (and makes `harness diff` exit 1, so that CI can fail or comment):
  * a cell present on one side only (added or removed), or a (cell, scenario, recipe) row
    present on one side only;
  * a verdict that changed (e.g. bitwise -> agrees, or ok -> crashed);
  * a fingerprint that changed where both sides are bitwise. Non-bitwise rows have a new set
    of fingerprints on every run by definition, so their fingerprints are not compared.
For every changed row the first repeat whose value differs is shown, old vs new (values of the
first ok replay of each side). Exit status: 0 nothing changed, 1 something changed, 2 error.

OLD may be `git:REF`: the results tree at that git revision, extracted with `git archive`.
"""
from __future__ import annotations

import dataclasses
import io
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pandas as pd

from .. import records, tables, verdicts
from ..matrix import recipe_rank
from . import render

GIT_PREFIX = "git:"
KEY = ["cell", "scenario", "recipe"]


class DiffError(ValueError):
    pass


@dataclasses.dataclass
class Change:
    cell: str
    scenario: str
    recipe: str
    old: str               # verdict label, e.g. "bitwise 1a2b3c4d"
    new: str
    first_difference: int | None
    old_value: float | None
    new_value: float | None
    old_record: str
    new_record: str
    scenario_changed: bool


@dataclasses.dataclass
class Report:
    old_label: str
    new_label: str
    added_cells: list
    removed_cells: list
    added_rows: list       # (cell, scenario, recipe, verdict label, record)
    removed_rows: list
    changes: list

    @property
    def changed(self) -> bool:
        return bool(self.added_cells or self.removed_cells or self.added_rows
                    or self.removed_rows or self.changes)


def git_tree(spec: str, results: Path, into: Path) -> Path:
    """Extract the records of `results` at git revision REF under `into`; return the results
    directory there (with no records when the revision has none: everything in NEW is added)."""
    ref = spec[len(GIT_PREFIX):]
    results = Path(results).resolve()
    top = Path(_git(["rev-parse", "--show-toplevel"], cwd=_existing_parent(results)).decode().strip())
    if not ref or not _git_ok(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], top):
        raise DiffError(f"{spec}: not a git revision in {top}")
    relative = records.records_dir(results).relative_to(top.resolve()).as_posix()
    target = Path(into) / Path(relative).parent
    target.mkdir(parents=True, exist_ok=True)
    if not _git(["ls-tree", "--name-only", ref, "--", relative], cwd=top).strip():
        return target
    archive = _git(["archive", "--format=tar", ref, "--", relative], cwd=top)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(into, filter="data")
        else:  # pragma: no cover - Pythons without extraction filters
            tar.extractall(into)
    return target


def _existing_parent(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def _git(args, cwd) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise DiffError(f"cannot run git: {exc}") from None
    if done.returncode != 0:
        raise DiffError(f"git {' '.join(args)}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def _git_ok(args, cwd) -> bool:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True).returncode == 0


def _frame(results: Path):
    if not Path(results).is_dir():
        raise DiffError(f"{results}: no such results directory")
    frame = tables.recipe_frame(results)
    return {tuple(row[k] for k in KEY): row for row in frame.to_dict("records")}


def _first_values(results: Path, record: str):
    """Values of the first ok replay of a replay record (None for other records)."""
    if not record:
        return None
    data = records.read(Path(results) / record)
    for replay in data.get("replays", []) if data.get("kind") == "replays" else []:
        if replay.get("status") == "ok" and replay.get("values"):
            return replay["values"]
    return None


def _label(row: dict) -> str:
    """The verdict as the matrix shows it (verdicts.label) from a frame row."""
    digits = row["digits"]
    digits = None if digits is None or pd.isna(digits) else int(digits)
    prints = [f for f in (row["fingerprints"] or "").split(";") if f]
    if row["verdict"] == "bitwise" and not prints:
        return "bitwise"
    return verdicts.label({"verdict": row["verdict"], "digits": digits, "fingerprints": prints,
                           "notable": bool(row["notable"])})


def _is_change(old: dict, new: dict) -> bool:
    if old["verdict"] != new["verdict"]:
        return True
    return old["verdict"] == "bitwise" and old["fingerprints"] != new["fingerprints"]


def compare(old: Path, new: Path, old_label: str = "", new_label: str = "") -> Report:
    """A Report of what differs between two results directories."""
    before, after = _frame(old), _frame(new)
    old_cells = {k[0] for k in before}
    new_cells = {k[0] for k in after}
    order = _order(before, after)
    changes = []
    for key in sorted(set(before) & set(after), key=order):
        a, b = before[key], after[key]
        if not _is_change(a, b):
            continue
        first_old, first_new = _first_values(old, a["record"]), _first_values(new, b["record"])
        index = old_value = new_value = None
        if first_old is not None and first_new is not None:
            index = verdicts.first_difference(first_old, first_new)
            if index is not None:
                old_value = first_old[index] if index < len(first_old) else None
                new_value = first_new[index] if index < len(first_new) else None
        changes.append(Change(*key, _label(a), _label(b), index, old_value, new_value, a["record"],
                              b["record"], a["scenario_sha256"] != b["scenario_sha256"]))

    def rows(side, keys):
        return [(*k, _label(side[k]), side[k]["record"]) for k in sorted(keys, key=order)]

    added_cells = sorted(new_cells - old_cells, key=lambda c: order((c, "", "")))
    removed_cells = sorted(old_cells - new_cells, key=lambda c: order((c, "", "")))
    return Report(old_label or str(old), new_label or str(new), added_cells, removed_cells,
                  rows(after, [k for k in set(after) - set(before) if k[0] not in added_cells]),
                  rows(before, [k for k in set(before) - set(after) if k[0] not in removed_cells]),
                  changes)


def _order(*sides):
    """Sort key for (cell, scenario, recipe) keys: cell order, scenario, recipe ladder."""
    cells = {}
    for side in sides:
        for key, row in side.items():
            cells.setdefault(key[0], tables.cell_sort_key({"name": key[0], **row}))
    return lambda k: (cells.get(k[0], (9, "", [])), k[1], recipe_rank(k[2]))


def markdown(report: Report) -> str:
    """The report as a pull-request comment."""
    lines = ["## Reproducibility matrix diff", "", f"`{report.old_label}` → `{report.new_label}`", ""]
    if not report.changed:
        lines.append("No changes: same cells, same verdicts, same bitwise fingerprints.")
        return "\n".join(lines) + "\n"
    lines.append(f"{len(report.added_cells)} cell(s) added, {len(report.removed_cells)} removed, "
                 f"{len(report.changes)} verdict/fingerprint change(s).")
    for title, cells in (("Cells added", report.added_cells), ("Cells removed", report.removed_cells)):
        if cells:
            lines += ["", f"### {title}", ""] + [f"- `{c}`" for c in cells]
    for title, found in (("Rows added", report.added_rows), ("Rows removed", report.removed_rows)):
        if found:
            lines += ["", f"### {title}", "", render.markdown_table(
                ["cell", "scenario", "recipe", "verdict", "record"],
                [(c, s, r, v, render.code(p)) for c, s, r, v, p in found])]
    if report.changes:
        lines += ["", "### Changed verdicts and fingerprints", "", render.markdown_table(
            ["cell", "scenario", "recipe", "old", "new", "first differing repeat", "old value",
             "new value", "old record", "new record"],
            [(c.cell, c.scenario, c.recipe + (" (scenario changed)" if c.scenario_changed else ""),
              c.old, c.new, "—" if c.first_difference is None else c.first_difference,
              _value(c.old_value), _value(c.new_value), render.code(c.old_record),
              render.code(c.new_record)) for c in report.changes])]
    return "\n".join(lines) + "\n"


def _value(value) -> str:
    return "—" if value is None else repr(float(value))


def run_diff(old_spec: str, new: Path, results: Path) -> tuple:
    """(markdown, exit status) for `harness diff OLD NEW`; `results` locates the git tree for
    `git:REF` specs."""
    with tempfile.TemporaryDirectory(prefix="harness-diff-") as tmp:
        old = git_tree(old_spec, results, Path(tmp)) if old_spec.startswith(GIT_PREFIX) else Path(old_spec)
        report = compare(old, Path(new), old_spec, str(new))
        return markdown(report), (1 if report.changed else 0)
