"""`harness identify` answers as text (formatting only)."""
from __future__ import annotations

from ..derive import verdicts
from . import render

MEANINGS = {
    "same numbers": "this record produced these numbers, to the printed precision",
    "same lineage": "same initial weights and data; rounding drifted in training "
                    "(another thread count, machine or release)",
}


def report(printed: list, matches: list, limit: int, labels: dict) -> str:
    lines = [f"read {len(printed)} number(s): " + ", ".join(p.text for p in printed[:12])
             + (" ..." if len(printed) > 12 else "")
             + f" (printed with {min(p.significant for p in printed)}-{max(p.significant for p in printed)}"
             " significant digits)"]
    if not matches:
        return "\n".join(lines + ["", f"no match: no recorded list agrees to {verdicts.AGREE_MIN_DIGITS} digits at two consecutive "
                                       "numbers (different initial weights, data or scenario)"])
    best = matches[0].meaning
    shown = [m for m in matches if m.meaning == best][:limit]
    lines += ["", f"best: {best} — {MEANINGS[best]}", ""]
    lines.append(render.markdown_table(
        ["match", "digits", "cell", "recipe", "scenario", "machine", "fingerprint", "repeats", "record"],
        [[f"{m.meaning} ({m.exact}/{m.length} exact)", render.digits_text(m.digits),
          m.outcome.cell_name, m.outcome.recipe, m.outcome.scenario,
          f"{m.outcome.machine} ({labels.get(m.outcome.machine, '?')})",
          render.code(verdicts.fingerprint(m.values)), f"{m.offset + 1}-{m.offset + m.length}",
          render.code(m.outcome.record)] for m in shown]))
    others = [m for m in matches if m not in shown]
    if others:
        lines += ["", f"also {len(others)} weaker match(es): "
                  + "; ".join(f"{m.outcome.cell_name} {m.outcome.recipe} ({m.meaning}, "
                              f"{render.digits_text(m.digits)} digits)" for m in others[:5])]
    if best == "same numbers":
        stacks = sorted({(m.outcome.cell_name, m.outcome.machine) for m in shown})
        prints = sorted({verdicts.fingerprint(m.values) for m in shown})
        lines += ["", f"{len(stacks)} (cell, machine) pair(s) give these numbers at the printed precision"]
        if len(prints) > 1:
            lines.append(f"they hold {len(prints)} different lists ({', '.join(prints)}): the printed "
                         "digits cannot tell them apart; more digits (or more repeats) would")
    return "\n".join(lines)
