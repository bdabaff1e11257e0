"""Cross-environment agreement as Markdown tables and a heatmap (formatting only)."""
from __future__ import annotations

from ..derive import verdicts
from ..derive.agreement import LINEAGE_MIN_DIGITS, Comparison, labels, lineage_order, lineages, matrix
from . import render


def markdown(comparison: Comparison, threshold: int = LINEAGE_MIN_DIGITS) -> str:
    """Pairwise digits table (cells in lineage order) and the groups, with record paths."""
    order = lineage_order(comparison, threshold)
    by_cell = {s.cell: s for s in comparison.samples}
    names = dict(zip(order, labels(comparison)))
    groups = lineages(comparison, threshold)
    group_of = {cell: i for i, g in enumerate(groups, 1) for cell in g.cells}
    lines = [f"### {comparison.scenario} / {comparison.recipe} on `{comparison.machine}`", ""]
    lines.append(render.markdown_table(
        ["", "cell", "lineage", "fingerprint", "record"] + [names[c] for c in order],
        [[names[a], a, group_of[a], render.code(verdicts.fingerprint(by_cell[a].values)),
          render.code(by_cell[a].record)] + [render.digits_text(comparison.between(a, b)) for b in order]
         for a in order]))
    lines += ["", render.markdown_table(
        ["lineage", "kind", "cells", "bitwise groups (fingerprint: cells)", "min digits inside"],
        [[i, g.kind, len(g.cells),
          "; ".join(f"{render.code(fp)}: {', '.join(names[c] for c in sub)}"
                    for fp, sub in zip(g.fingerprints, g.bitwise)),
          render.digits_text(g.min_digits)] for i, g in enumerate(groups, 1)])]
    return "\n".join(lines)


def draw_heatmap(comparisons: list, path, threshold: int = LINEAGE_MIN_DIGITS):
    """One heatmap per comparison (side by side), cells ordered by lineage; annotated with the
    digits ('=' for bitwise)."""
    comparisons = [c for c in comparisons if c.samples]
    if not comparisons:
        return render.empty_figure(path, "no seeded results to compare")
    size = max(len(c.samples) for c in comparisons)
    side = 2.5 + 0.55 * size
    figure = render.new_figure(side * len(comparisons) + 1.0, side + 1.5)
    axes = figure.subplots(1, len(comparisons), squeeze=False)[0]
    image = None
    for ax, comparison in zip(axes, comparisons):
        order = lineage_order(comparison, threshold)
        grid = matrix(comparison, order)
        image = ax.imshow(grid, vmin=0, vmax=verdicts.BITWISE, cmap="viridis", interpolation="nearest")
        ticks = list(range(len(order)))
        ax.set_xticks(ticks, labels=order, rotation=60, ha="right", fontsize=7)
        ax.set_yticks(ticks, labels=order, fontsize=7)
        for i, row in enumerate(grid):
            for j, value in enumerate(row):
                ax.text(j, i, render.digits_text(value), ha="center", va="center", fontsize=7,
                        color="black" if value >= 10 else "white")
        ax.set_title(f"{comparison.scenario} / {comparison.recipe} on {comparison.machine}: digits of agreement", fontsize=9)
    figure.colorbar(image, ax=list(axes), shrink=0.6, label="digits (17 = bitwise)")
    return render.save_png(figure, path)
