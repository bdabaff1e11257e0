"""The distribution of unseeded values per cell: summary table, pairwise tests and a box plot.

Answers "are these two stacks statistically different on this scenario?" from the pooled
unseeded values (samples.unseeded_pools); the statistics themselves live in stats.py.
"""
from __future__ import annotations

import itertools

from ..derive import stats
from . import render


def by_scenario(pools: list) -> list:
    """[(heading, [pools in cell order])] per machine and scenario (pools arrive sorted so)."""
    return [(f"{scenario} on `{machine}`", list(members))
            for (machine, scenario), members in itertools.groupby(pools, key=lambda p: (p.machine, p.scenario))]


def summary_rows(pools: list) -> list:
    """One dict per pool: the cell, its records and describe()."""
    return [{"cell": p.cell, "records": p.records, **stats.describe(p.values)} for p in pools]


def markdown(scenario: str, pools: list, alpha: float = stats.ALPHA) -> str:
    """Statistics table and Holm-corrected pairwise Mann-Whitney tests for one scenario."""
    lines = [f"### {scenario}", "", render.markdown_table(
        ["cell", "n", "mean", "sd", "median", "95% CI of the mean", "records"],
        [[r["cell"], r["n"], render.number(r["mean"]), render.number(r["sd"]),
          render.number(r["median"]),
          f"[{render.number(r['ci_low'])}, {render.number(r['ci_high'])}]",
          ", ".join(render.code(p) for p in r["records"])] for r in summary_rows(pools)])]
    tests = stats.pairwise([(p.cell, p.values) for p in pools], alpha)
    lines += ["", f"Pairwise two-sided Mann-Whitney U tests, Holm-corrected over the "
                  f"{len(tests)} comparison(s) of this scenario; different = adjusted p <= {alpha}. "
                  f"Effect size: Cliff's delta = P(a > b) - P(a < b).", ""]
    if tests:
        lines.append(render.markdown_table(
            ["cell a", "cell b", "n a", "n b", "U", "p", "p (Holm)", "Cliff's delta", "magnitude",
             "different"],
            [[t["a"], t["b"], t["n_a"], t["n_b"], render.number(t["u"]), render.pvalue(t["p"]),
              render.pvalue(t["p_holm"]), f"{t['delta']:+.3f}", t["magnitude"],
              "yes" if t["different"] else "no"] for t in tests]))
    else:
        lines.append("Fewer than two cells with two or more values: nothing to compare.")
    return "\n".join(lines)


def draw_boxplot(pools: list, path):
    """One box per cell (one panel per scenario); log scale when every value is positive."""
    groups = by_scenario(pools)
    if not groups:
        return render.empty_figure(path, "no unseeded results")
    widest = max(len(members) for _, members in groups)
    figure = render.new_figure(max(5.0, 1.0 + 0.9 * widest), 4.5 * len(groups) + 1.0)
    axes = figure.subplots(len(groups), 1, squeeze=False)[:, 0]
    for ax, (scenario, members) in zip(axes, groups):
        data = [list(p.values) for p in members]
        ax.boxplot(data, showmeans=True)
        ax.set_xticks(range(1, len(members) + 1),
                      labels=[f"{p.cell}\n(n={len(p.values)})" for p in members],
                      rotation=45, ha="right", fontsize=7)
        if all(v > 0 for values in data for v in values):
            ax.set_yscale("log")
        ax.set_ylabel("unseeded value (MSE)")
        ax.set_title(f"{scenario.replace('`', '')}: unseeded values per cell", fontsize=9)
    figure.tight_layout()
    return render.save_png(figure, path)
