"""The answer of `harness bisect` as plain text (formatting only)."""
from __future__ import annotations

from ..derive.bisect import ASSUMPTION


def report(cells, bisection, prober, tag: str) -> str:
    """Plain-text answer: the ladder, what was probed and how, the first change."""
    lines = [f"ladder: tag {tag!r}, recipe {prober.recipe}, scenario {prober.scenario}, "
             f"{len(cells)} cell(s), compared by {prober.by}"]
    probed = dict(bisection.probes)
    how = {name: kind for name, kind, _ in prober.log}
    for index, cell in enumerate(cells):
        mark = f"{how[cell.name]:6s} {probed[index]}" if index in probed else "-      (not needed)"
        lines.append(f"  {index:2d} {cell.name:45s} {mark}")
    ran = [name for name, kind, _ in prober.log if kind == "ran"]
    reused = [name for name, kind, _ in prober.log if kind == "reused"]
    lines.append(f"ran {len(ran)} cell(s): {', '.join(ran) or '-'}")
    lines.append(f"reused {len(reused)} record(s): {', '.join(reused) or '-'}")
    if not cells:
        lines.append("answer: no cells carry this tag")
    elif bisection.first_change is None:
        lines.append(f"answer: no change; every probed cell gives {probed[0]} like {cells[0].name}")
    else:
        index = bisection.first_change
        before = cells[index - 1].name
        lines.append(f"answer: first change at {cells[index].name} ({probed[index]}), "
                     f"after {before} ({probed[index - 1]}); first cell {cells[0].name} gives {probed[0]}")
    lines.append(ASSUMPTION)
    return "\n".join(lines)
