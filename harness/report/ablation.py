"""The ablation table: per (machine, cell, scenario), the calls a recipe needs (derive/ablation)."""
from __future__ import annotations

from ..derive import ablation, verdicts
from . import render


def rows_from(rs, found: list) -> list:
    """[(machine, cell, scenario, recipe, base Verdict, [(label, Verdict, judgement)])] from the
    ablation records of a ResultSet, in matrix order."""
    base = {(o.machine, o.cell_name, o.scenario, o.recipe): o for o in found}
    grouped = {}
    for (machine, cell, scenario, recipe, _slug), (record, drop) in sorted(rs.ablations.items()):
        outcome = base.get((machine, cell, scenario, recipe))
        if outcome is None:
            continue
        result = verdicts.verdict(recipe, record.replays, verdicts.minimum_for(record.cell))
        grouped.setdefault((machine, cell, scenario, recipe), []).append(
            (drop["label"], result, ablation.judge(outcome.verdict, result)))
    order = {o.row_key: i for i, o in enumerate(found)}
    return [(m, c, s, r, base[(m, c, s, r)].verdict, items)
            for (m, c, s, r), items in sorted(grouped.items(), key=lambda kv: (order.get(kv[0][1:3], 0), kv[0]))]


def sentence(cell: str, recipe: str, items: list) -> str:
    needed = [label for label, _, judgement in items if judgement == "needed"]
    spare = [label for label, _, judgement in items if judgement == "not needed"]
    text = f"`{cell}` under `{recipe}`: "
    text += ("needs " + ", ".join(f"`{n}`" for n in needed)) if needed else "needs none of its calls alone"
    if spare:
        text += "; does without " + ", ".join(f"`{n}`" for n in spare)
    return text


def summary_row(machine, cell, scenario, recipe, base, items, label=lambda m: m) -> list:
    """[stack, scenario, recipe (its verdict), needed calls, calls that change the numbers, machine]."""
    def calls(judgement):
        found = [render.code(l) for l, _, j in items if j == judgement]
        return ", ".join(found) if found else "none"
    undecided = [f"{render.code(l)} ({j})" for l, _, j in items
                 if j not in ("needed", "not needed", "changes the numbers")]
    needed = calls("needed") + (f"; undecided: {', '.join(undecided)}" if undecided else "")
    return [render.code(cell), scenario, f"{render.code(recipe)} ({verdicts.label(base)})", needed,
            calls("changes the numbers"), render.code(label(machine))]


def markdown(rows: list, label=lambda m: m) -> str:
    lines = ["# Which calls are needed (leave-one-out ablation)", "",
             "For each stack and scenario, the weakest recipe that is bitwise with every stronger "
             "recipe is run again with one of its recorded calls left out (`harness ablate`), in "
             "fresh processes under the same rule as every verdict (stop at the first disagreement, "
             "else the stack's minimum of processes). `needed`: without it the recipe is not "
             "bitwise; `not needed`: still bitwise, same doubles; `changes the numbers`: still "
             "bitwise, other doubles; `provisional`: bitwise on fewer processes than the minimum."]
    if not rows:
        return "\n".join(lines + ["", "No ablation records yet."]) + "\n"
    lines += ["", "## Summary", "",
              "One row per stack, scenario and machine: the recipe ablated, the calls it cannot do "
              "without, and the calls without which it still repeats but with other doubles (the "
              "call chooses the numbers). A call in neither column can be left out alone; two "
              "calls that can each be left out alone may still not both be (see each section).", "",
              render.markdown_table(["stack", "scenario", "recipe", "needed", "chooses the numbers",
                                     "machine"], [summary_row(*row, label) for row in rows])]
    for machine, cell, scenario, recipe, base, items in rows:
        lines += ["", f"## `{cell}` · {scenario} · `{recipe}` on `{machine}`", "",
                  sentence(cell, recipe, items) + f" (the recipe itself: {verdicts.label(base)}).", "",
                  render.markdown_table(["call left out", "verdict without it", "the call is"],
                                        [[render.code(l), verdicts.label(v), j] for l, v, j in items])]
    return "\n".join(lines) + "\n"
