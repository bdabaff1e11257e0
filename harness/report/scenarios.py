"""The scenario dimension of the published matrix: one matrix page per scenario
(`scenarios/<name>.md`) and the cell x scenario summary of the weakest bitwise recipe
(`scenarios.md`), linked from `matrix.md`.

Every metric name and repeat count printed here is read from the records (derive.scenario_summary
.declared); a scenario's description is the first paragraph of its file's docstring, shown only
when the records were made with that very file (same SHA-256).
"""
from __future__ import annotations

import ast
from pathlib import Path

from ..derive import scenario_summary as summary
from ..derive.outcomes import cell_sort_key
from ..derive.portability import portability
from ..matrix import RECIPES
from . import render, tables

MAIN_SCENARIO = "canonical_mlp"      # the tutorial's experiment: the scenario of the main matrix
SUMMARY_PAGE = "scenarios.md"
PAGES_DIR = "scenarios"
NONE = tables.NONE


def main_outcomes(found: list) -> list:
    """The outcomes the main matrix (matrix.md, the README block, the per-machine pages) shows:
    the canonical scenario's where it has any, else every outcome."""
    main = [o for o in found if o.scenario == MAIN_SCENARIO]
    return main or list(found)


def scenario_order(found: list) -> list:
    """Scenario names: the canonical one first, then by name."""
    names = sorted({o.scenario for o in found})
    return sorted(names, key=lambda n: (n != MAIN_SCENARIO, n))


def matrix_link(found: list) -> str:
    """The line matrix.md carries when other scenarios than the canonical one have records."""
    others = [n for n in scenario_order(found) if n != MAIN_SCENARIO]
    if not others:
        return ""
    return (f"\nThis matrix shows the `{MAIN_SCENARIO}` scenario. {len(others)} other scenario(s), one per "
            f"source of randomness, have their own pages: [{SUMMARY_PAGE}]({SUMMARY_PAGE}) gives the weakest "
            "bitwise recipe of every cell x scenario and links to each scenario's matrix.\n")


def pages(rs, found: list, scenarios_dir: Path | None = None) -> dict:
    """{relative path: text} of the summary and of one page per scenario."""
    declared = summary.declared(rs.recipes.values())
    names = scenario_order(found)
    entries = summary.entries(found)
    written = {SUMMARY_PAGE: summary_markdown(rs, found, entries, declared, names, scenarios_dir)}
    for name in names:
        written[f"{PAGES_DIR}/{name}.md"] = scenario_markdown(
            rs, name, found, [e for e in entries if e.scenario == name], declared.get(name), scenarios_dir)
    return written


# -------------------------------------------------------------------------------- the summary
def summary_markdown(rs, found, entries, declared, names, scenarios_dir=None) -> str:
    shown = _cells_shown(found)
    by_key = {}
    for entry in entries:
        by_key.setdefault((entry.cell, entry.scenario), {})[entry.machine] = entry
    headers = ["cell"] + [f"[{n}]({PAGES_DIR}/{n}.md)" for n in names]
    rows = []
    for cell in shown:
        row = [render.code(cell)]
        for name in names:
            found_here = by_key.get((cell, name), {})
            row.append(_per_machine({m: e.text for m, e in sorted(found_here.items())}) or "")
        rows.append(row)
    machines = sorted({o.machine for o in found})
    lines = [
        "# Scenarios: the weakest bitwise recipe of every cell", "",
        "Each scenario isolates one source of randomness (its page says which, and what it measures). "
        "Per cell and scenario: the weakest recipe of the ladder (" + " < ".join(RECIPES) + ") "
        "whose fresh processes gave bitwise identical values on this machine, and every stronger recipe as well "
        "— `none` means that no seeding is needed; `(not monotone: a bitwise, b not)`: a weaker recipe was "
        "bitwise where a stronger one is not, so the weaker one is not named; `never`: no recipe of the ladder is bitwise (`none of k run`: none of the k recipes run so far); `n/a`: the scenario does not "
        "apply to the cell (the reason is on its page); `failed`: no recipe gave values. An empty "
        "entry: not run. Where machines disagree, each machine's answer is followed by the first "
        "characters of its id.", "",
        render.markdown_table(headers, rows), "",
        "## The scenarios, as their records declare them", "",
        render.markdown_table(["scenario", "metric", "repeats per process", "records", "description"],
                              [[f"[{n}]({PAGES_DIR}/{n}.md)", _metrics(declared.get(n)),
                                _repeats(declared.get(n)), str(declared[n].records) if n in declared else "0",
                                _description(n, declared.get(n), scenarios_dir, first_line=True)]
                               for n in names]),
    ]
    pair = summary.compare_pair(found)
    if pair:
        lines += ["", "## One model at 1 thread and at every core", "", _pair_text(), "",
                  _pair_table(pair)]
    if machines:
        lines += ["", "Machines: " + "; ".join(f"`{m}` {render.markdown_text(rs.machine_label(m))}"
                                                for m in machines) + "."]
    return "\n".join(lines) + "\n"


def _cells_shown(found: list) -> list:
    """Cells in matrix order; only those with another scenario than the canonical one when any."""
    cells = {}
    for outcome in found:
        cells.setdefault(outcome.cell_name, outcome.cell)
    others = {o.cell_name for o in found if o.scenario != MAIN_SCENARIO}
    chosen = [c for c in cells.values() if not others or c["name"] in others]
    return [c["name"] for c in sorted(chosen, key=cell_sort_key)]


def _per_machine(values: dict) -> str:
    distinct = list(dict.fromkeys(values.values()))
    if len(distinct) <= 1:
        return distinct[0] if distinct else ""
    return " · ".join(f"{text} [{tables.short(m)}]" for m, text in values.items())


def _metrics(item) -> str:
    if item is None or not item.metrics:
        return "not recorded (records of scenario contract 1)"
    return "; ".join(item.metrics)


def _repeats(item) -> str:
    if item is None or not item.repeats:
        return NONE
    return ", ".join(str(r) for r in item.repeats)


def _pair_text() -> str:
    first, second = summary.THREAD_PAIR
    return (f"`{first}` and `{second}` run the same model on the same data with the same training and "
            "differ only in the thread count they set. `same`: both bitwise with one fingerprint; "
            "`differ, N digits`: each bitwise, with different numbers (the thread count changed them); "
            "`not repeatable`: one of them is not even bitwise across processes; `n/a`: one of them "
            "does not apply (its page says why).")


def _pair_table(items: list) -> str:
    several = len({i.machine for i in items}) > 1
    words = {"same": "same", "differ": "differ", "not-repeatable": "not repeatable",
             "not-applicable": "n/a", "missing": "no values"}
    rows = []
    for item in items:
        text = words[item.kind]
        if item.kind in ("differ", "not-repeatable") and item.digits is not None:
            text += f", {render.digits_text(item.digits)} digits"
        rows.append(([render.code(item.machine[:10])] if several else [])
                    + [render.code(item.cell), item.recipe, text, item.first, item.second])
    first, second = summary.THREAD_PAIR
    return render.markdown_table((["machine"] if several else []) + ["cell", "recipe", "1 thread vs every core",
                                                                      first, second], rows)


# -------------------------------------------------------------------------------- one scenario
def scenario_markdown(rs, name: str, found: list, entries: list, item, scenarios_dir=None) -> str:
    """The page of one scenario; `found` holds every outcome (the thread pair reads both halves)."""
    mine = [o for o in found if o.scenario == name]
    headers, rows, _ = tables.matrix_rows(mine, portability(mine))
    lines = [f"# Scenario `{name}`", "", _description(name, item, scenarios_dir), "",
             f"- metric (as recorded): {render.markdown_text(_metrics(item))}",
             f"- repeats per process (as recorded): {_repeats(item)}"]
    if item is not None and item.contracts:
        lines.append("- scenario contract: " + ", ".join(str(c) for c in item.contracts))
    if item is not None and item.sha256s:
        lines.append("- scenario file SHA-256: " + ", ".join(render.code(s[:16]) for s in item.sha256s))
    lines += ["", "Each recipe column is the verdict over fresh processes, as in the main matrix "
              "([matrix.md](../matrix.md) has the legend); the value of one repeat is the metric above, "
              "and one process gives one value per repeat. A bitwise `none` marked `(!)` is expected "
              "here where the scenario has no random source of its own: it then measures the arithmetic "
              "alone.", "", render.markdown_table(headers, rows)]
    declined = [e for e in entries if e.kind == "not-applicable"]
    if declined:
        lines += ["", "## Not applicable", "", render.markdown_table(
            ["cell", "machine", "reason"],
            [[render.code(e.cell), render.code(e.machine[:10]), e.reason] for e in declined])]
    if name in summary.THREAD_PAIR:
        pair = summary.compare_pair(found)
        if pair:
            lines += ["", "## Against the other thread count", "", _pair_text(), "", _pair_table(pair)]
    lines += ["", f"Back to [the summary of every scenario](../{SUMMARY_PAGE})."]
    return "\n".join(lines) + "\n"


def _description(name: str, item, scenarios_dir=None, first_line=False) -> str:
    """The first paragraph of the scenario file's docstring, when the records were made with that
    file; else a sentence saying why there is none."""
    from .. import inputs, paths
    path = Path(scenarios_dir or paths.scenarios_dir()) / f"{name}.py"
    if not path.is_file():
        return "A scenario without a built-in file (a user's own, run with `harness run --scenario FILE.py`)."
    data = path.read_bytes()
    if item is not None and item.sha256s and inputs.sha256(path) not in item.sha256s:
        return f"The records were made with another version of `scenarios/{name}.py`."
    try:
        text = ast.get_docstring(ast.parse(data)) or ""
    except (SyntaxError, ValueError):
        text = ""
    paragraph = " ".join(text.split("\n\n")[0].split()) if text else ""
    if first_line and paragraph:
        return paragraph.split(": ")[0] if ": " in paragraph else paragraph
    return paragraph or f"`scenarios/{name}.py` has no docstring."
