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
        result = verdicts.verdict(recipe, record.replays, verdicts.minimum_processes(
            record.cell.get("api"), record.cell.get("backend"), record.cell.get("requirements")))
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
    for machine, cell, scenario, recipe, base, items in rows:
        lines += ["", f"## `{cell}` · {scenario} · `{recipe}` on `{machine}`", "",
                  sentence(cell, recipe, items) + f" (the recipe itself: {verdicts.label(base)}).", "",
                  render.markdown_table(["call left out", "verdict without it", "the call is"],
                                        [[render.code(l), verdicts.label(v), j] for l, v, j in items])]
    return "\n".join(lines) + "\n"
