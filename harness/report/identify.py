"""`harness identify` answers as text (formatting only)."""
from __future__ import annotations

from ..derive import classes
from ..derive import verdicts
from . import render

MEANINGS = {
    "same numbers": "this record produced these numbers, to the printed precision",
    "same lineage": "same initial weights and data; rounding drifted in training "
                    "(another thread count, machine or release)",
    "differs": "no record produced these numbers; the closest list differs as shown below",
    "too few digits": "in the order of a recorded list, but with too few digits in all to tell it from chance",
}
SHOWN_ACCOUNTS = 12     # values listed one by one; the rest are counted


def _agreement(digits) -> str:
    """The matched values' agreement in words: 'every digit printed' for equality at the printed
    precision (the table's '='), else 'N digits or more'."""
    if digits is not None and digits >= verdicts.BITWISE:
        return "every digit printed"
    return f"{render.digits_text(digits)} digits or more"


def _value(printed, index: int) -> str:
    return f"value {index + 1} ({printed[index].text})"


def _numbers(indices: list, printed) -> str:
    shown = ", ".join(f"{i + 1} ({printed[i].text})" for i in indices[:SHOWN_ACCOUNTS])
    return shown + (f", … ({len(indices) - SHOWN_ACCOUNTS} more)" if len(indices) > SHOWN_ACCOUNTS else "")


def accounting(match, printed) -> list:
    """One line per way the input's numbers relate to the match's list: every number is counted."""
    lines = []
    matched = match.matched
    if matched:
        exact = [a for a in matched if a.exact]
        lines.append(f"matched: {len(matched)} value(s) at repeats {match.offset + 1}-{match.last + 1} of "
                     f"{len(match.values)}, in order ({len(exact)} exact at the printed precision, "
                     f"{_agreement(match.digits)})")
        for a in matched:
            if not a.exact:
                lines.append(f"  {_value(printed, a.index)} agrees to {render.digits_text(a.digits)} digits "
                             f"with repeat {a.repeat + 1}: {match.values[a.repeat]!r}")
    for a in match.against:
        if a.kind == "beyond":
            lines.append(f"{_value(printed, a.index)} is beyond the list's {len(match.values)} repeats "
                         "(printed in the same list as the matched values)")
            continue
        recorded = match.values[a.repeat]
        if a.kind == "differs":
            lines.append(f"value {a.index + 1} differs: {printed[a.index].text} against {recorded:.{max(4, printed[a.index].significant)}g} "
                         f"(repeat {a.repeat + 1}, {render.digits_text(a.digits)} digits)")
        else:
            lines.append(f"{_value(printed, a.index)} is out of order: it is repeat {a.repeat + 1} "
                         f"({recorded:.{max(4, printed[a.index].significant)}g})")
    if match.missing:
        lines.append("missing: repeat(s) " + ", ".join(str(r + 1) for r in match.missing)
                     + " of the list, between matched values, with no number in their place")
    used = {a.index for a in matched} | {a.index for a in match.against}
    others = [i for i in range(len(printed)) if i not in used]
    if others:
        repeated = [i for i in others if i - 1 in used and printed[i].text == printed[i - 1].text]
        rest = [i for i in others if i not in repeated]
        if repeated:
            lines.append(f"repeated: {len(repeated)} value(s) printed again right after a matched one: "
                         + _numbers(repeated, printed))
        if rest:
            lines.append(f"not in this list: {len(rest)} value(s): " + _numbers(rest, printed))
    return lines


def class_of(outcome, infos: dict | None) -> str:
    """The machine's class for the stack of a match (derive/classes.py), or '?' unknown."""
    return classes.outcome_class(outcome, infos) or "?"


def report(printed: list, matches: list, limit: int, labels: dict, binary: bool = False,
           infos: dict | None = None) -> str:
    lines = [f"read {len(printed)} number(s): " + ", ".join(p.text for p in printed[:12])
             + (" ..." if len(printed) > 12 else "")
             + f" (printed with {min(p.significant for p in printed)}-{max(p.significant for p in printed)}"
             " significant digits)"]
    if binary:
        lines.append("the input is binary: numbers were read from its printable runs only")
    if not matches:
        return "\n".join(lines + ["", f"no match: no recorded list agrees to {verdicts.AGREE_MIN_DIGITS} digits at two consecutive "
                                       "numbers (different initial weights, data or scenario)"])
    best = matches[0].meaning
    group = [m for m in matches if m.meaning == best and m.length == matches[0].length
             and len(m.against) + len(m.missing) == len(matches[0].against) + len(matches[0].missing)]
    shown = group[:limit]
    heading = "best" if best in ("same numbers", "same lineage") else "closest"
    first = shown[0]
    meaning = MEANINGS[best]
    rest = len(printed) - first.length
    if best in ("same numbers", "same lineage") and rest:
        meaning += (f" — for the {first.length} matched number(s) only; the other {rest} of the "
                    f"{len(printed)} read are accounted for below")
    lines += ["", f"{heading}: {best} — {meaning}", ""]
    lines.append(render.markdown_table(
        ["match", "digits", "cell", "recipe", "scenario", "machine", "class", "fingerprint", "repeats", "record"],
        [[_match_text(m), render.digits_text(m.digits), m.outcome.cell_name, m.outcome.recipe,
          m.outcome.scenario, f"{m.outcome.machine} ({labels.get(m.outcome.machine, '?')})",
          class_of(m.outcome, infos),
          render.code(verdicts.fingerprint(m.values)), f"{m.offset + 1}-{m.last + 1}",
          render.code(m.outcome.record)] for m in shown]))
    if len(group) > len(shown):
        lines.append(f"({len(group) - len(shown)} more record(s) alike not listed; --top shows more)")
    lines += ["", f"the input's {len(printed)} number(s) against the first row's list:"]
    lines += ["  " + line for line in accounting(shown[0], printed)]
    if best == "same numbers":
        pairs = list(dict.fromkeys((m.outcome.cell_name, m.outcome.machine) for m in group))
        prints = list(dict.fromkeys(verdicts.fingerprint(m.values) for m in group))
        lines += ["", f"{len(group)} record(s) give these numbers at the printed precision, from "
                  f"{len(pairs)} (cell, machine) pair(s): "
                  + "; ".join(f"{cell} on {machine[:10]}" for cell, machine in pairs)]
        by_class = {}
        for m in group:
            by_class.setdefault(class_of(m.outcome, infos), set()).add(m.outcome.machine[:4])
        lines.append("machine classes that gave them: " + "; ".join(
            f"{c} ({', '.join(sorted(ms))})" for c, ms in sorted(by_class.items()))
            + " — another machine of the same class is expected to give them too")
        if len(prints) > 1:
            lines.append(f"they hold {len(prints)} different lists ({', '.join(prints)}): the printed "
                         "digits cannot tell them apart; more digits (or more repeats) would")
    others = [m for m in matches if m not in group]
    if others:
        lines += ["", f"also {len(others)} weaker match(es): "
                  + "; ".join(f"{m.outcome.cell_name} {m.outcome.scenario} {m.outcome.recipe} ({_match_text(m)})"
                              for m in others[:5]) + (" …" if len(others) > 5 else "")]
    return "\n".join(lines)


def _match_text(m) -> str:
    if m.meaning == "too few digits":
        return f"too few digits ({m.length} in order, {sum(a.digits for a in m.matched)} digits in all)"
    if m.meaning == "differs":
        broken = [f"{len([a for a in m.against if a.kind == kind])} {kind}"
                  for kind in ("differs", "out of order", "beyond") if any(a.kind == kind for a in m.against)]
        broken += [f"{len(m.missing)} missing"] if m.missing else []
        return f"differs ({m.length} in order; " + ", ".join(broken or ["too few in order"]) + ")"
    return f"{m.meaning} ({m.exact}/{m.length} exact)"
