"""Cross-environment agreement as Markdown tables and a heatmap (formatting only)."""
from __future__ import annotations

from ..derive import verdicts
from ..derive.agreement import LINEAGE_MIN_DIGITS, Comparison, labels, lineage_order, lineages, matrix
from . import palette, render


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
    """One heatmap per comparison, stacked, cells ordered by lineage; annotated with the digits
    ('=' for bitwise) and coloured like the site's matrix (palette.DIGITS). Cells are drawn at a
    fixed size, so the figure is readable at its own size however many cells there are."""
    from matplotlib.colors import BoundaryNorm, ListedColormap

    comparisons = [c for c in comparisons if c.samples]
    if not comparisons:
        return render.empty_figure(path, "no seeded results to compare")
    sizes = [len(c.samples) for c in comparisons]
    cell, margin = 0.3, 3.6          # inches per heatmap cell; room for the rotated labels
    figure = render.new_figure(cell * max(sizes) + margin + 0.6,
                               sum(cell * s + margin for s in sizes))
    axes = figure.subplots(len(comparisons), 1, squeeze=False,
                           gridspec_kw={"height_ratios": [cell * s + margin for s in sizes]})[:, 0]
    colors = ListedColormap(list(palette.DIGITS))
    norm = BoundaryNorm([d - 0.5 for d in range(verdicts.BITWISE + 2)], colors.N)
    for ax, comparison in zip(axes, comparisons):
        order = lineage_order(comparison, threshold)
        grid = matrix(comparison, order)
        ax.imshow(grid, cmap=colors, norm=norm, interpolation="nearest")
        ticks = list(range(len(order)))
        ax.set_xticks(ticks, labels=order, rotation=60, ha="right", fontsize=8)
        ax.set_yticks(ticks, labels=order, fontsize=8)
        for i, row in enumerate(grid):
            for j, value in enumerate(row):
                ax.text(j, i, render.digits_text(value), ha="center", va="center", fontsize=7,
                        color=palette.text_color(palette.digits_color(value)))
        ax.set_title(f"{comparison.scenario} / {comparison.recipe} on {comparison.machine}: digits of "
                     "agreement between cells ('=' the same doubles)", fontsize=9, loc="left")
    figure.tight_layout()
    return render.save_png(figure, path)
