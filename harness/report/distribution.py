"""The distribution of unseeded values per cell: summary table, pairwise tests and a box plot.

Answers "are these two stacks statistically different on this scenario?" from the pooled
unseeded values (samples.unseeded_pools); the statistics themselves live in stats.py.
"""
from __future__ import annotations

import itertools

from ..derive import stats
from ..derive.outcomes import API_ORDER
from . import palette, render


def by_scenario(pools: list) -> list:
    """[(heading, [pools in cell order])] per machine and scenario (pools arrive sorted so)."""
    return [(f"{scenario} on `{machine}`", list(members))
            for (machine, scenario), members in itertools.groupby(pools, key=lambda p: (p.machine, p.scenario))]


def summary_rows(pools: list) -> list:
    """One dict per pool: the cell, its records and describe()."""
    return [{"cell": p.cell, "records": p.records, **stats.describe(p.values)} for p in pools]


def comparable(pools: list) -> tuple:
    """(compared, left out): the pools of one machine and scenario that can be compared, and
    (pool, reason) for the others: a retired scenario whose one file measured different models,
    and records of another version of the scenario file than the one most pools used (another
    model; the same file, whatever else changed, is the same model)."""
    left = [(p, "retired scenario: " + stats.RETIRED[p.scenario]) for p in pools if p.scenario in stats.RETIRED]
    kept = [p for p in pools if p.scenario not in stats.RETIRED]
    files = [p.scenario_sha256 for p in kept]
    common = max(set(files), key=files.count) if files else None
    compared = [p for p in kept if p.scenario_sha256 == common]
    left += [(p, f"another version of the scenario file ({str(p.scenario_sha256)[:8]})")
             for p in kept if p.scenario_sha256 != common]
    return compared, left


def compare(pools: list, alpha: float = stats.ALPHA, margin: float = stats.MARGIN) -> tuple:
    """(rows, constant, left out) of one machine and scenario: stats.compare over the comparable pools."""
    compared, left = comparable(pools)
    rows, constant = stats.compare([(p.cell, p.values) for p in compared], alpha, margin)
    return rows, constant, left


def markdown(scenario: str, pools: list, alpha: float = stats.ALPHA, margin: float = stats.MARGIN) -> str:
    """Statistics table, the constant and left-out cells, and one verdict per pair of cells."""
    lines = [f"### {scenario}", "", render.markdown_table(
        ["cell", "n", "mean", "sd", "median", "95% CI of the mean", "records"],
        [[r["cell"], r["n"], render.number(r["mean"]), render.number(r["sd"]),
          render.number(r["median"]),
          f"[{render.number(r['ci_low'])}, {render.number(r['ci_high'])}]",
          ", ".join(render.code(p) for p in r["records"])] for r in summary_rows(pools)])]
    tests, constant, left = compare(pools, alpha, margin)
    if constant:
        lines += ["", "Constant (sd 0: every value the same), nothing to compare: "
                  + "; ".join(f"{name} ({render.number(value)}, n={n})" for name, value, n in constant) + "."]
    reasons = {}
    for pool, reason in left:
        reasons.setdefault(reason, []).append(pool.cell)
    for reason, cells in reasons.items():
        lines += ["", f"Not compared ({reason}): " + ", ".join(cells) + "."]
    if tests:
        counts = {v: sum(t["verdict"] == v for t in tests) for v in ("different", "equivalent", "inconclusive")}
        lines += ["", f"{len(tests)} pair(s) of cells whose values vary: {counts['different']} different, "
                      f"{counts['equivalent']} equivalent within {margin:g} sd, {counts['inconclusive']} "
                      "inconclusive. `different`: two-sided Mann-Whitney U, Holm-adjusted p <= "
                      f"{alpha} over these pairs; `equivalent within margin {margin:g} sd`: TOST (two one-sided "
                      f"Welch t-tests) p <= {alpha} that the means differ by less than {margin:g} pooled sd; "
                      "`inconclusive`: neither. Power: the chance that TOST finds equivalence at these n when "
                      "the means are equal. Cliff's delta = P(a > b) - P(a < b).", ""]
        lines.append(render.markdown_table(
            ["cell a", "cell b", "n a", "n b", "p (Mann-Whitney, Holm)", "Cliff's delta",
             f"p (TOST, ±{margin:g} sd)", "verdict"],
            [[t["a"], t["b"], t["n_a"], t["n_b"], render.pvalue(t["p_holm"]), f"{t['delta']:+.3f}",
              render.pvalue(t["p_tost"]), stats.verdict_text(t)] for t in tests]))
    else:
        lines += ["", "Fewer than two cells whose values vary: nothing to compare."]
    return "\n".join(lines)


def draw_boxplot(pools: list, path, metrics=None):
    """One horizontal box per cell (one panel per machine and scenario), coloured by API
    generation as the site's group headings; log scale when every value is positive. Rows are
    drawn at a fixed height, so the figure is readable at its own size. `metrics` maps a scenario
    to the metric names its records carry (derive.scenario_summary), each panel's axis label."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    groups = by_scenario(pools)
    if not groups:
        return render.empty_figure(path, "no unseeded results")
    row = 0.28
    heights = [row * len(members) + 1.2 for _, members in groups]
    figure = render.new_figure(10.0, sum(heights) + 1.4)
    axes = figure.subplots(len(groups), 1, squeeze=False,
                           gridspec_kw={"height_ratios": heights})[:, 0]
    used = []
    for ax, (scenario, members) in zip(axes, groups):
        members = list(reversed(members))            # first cell on top
        data = [list(p.values) for p in members]
        boxes = ax.boxplot(data, **_horizontal(ax), showmeans=True, patch_artist=True, widths=0.6,
                           medianprops={"color": "black"},
                           meanprops={"marker": "^", "markerfacecolor": "white", "markeredgecolor": "black"},
                           flierprops={"marker": "o", "markersize": 3})
        for box, pool in zip(boxes["boxes"], members):
            api = api_of(pool)
            box.set_facecolor(palette.API.get(api, palette.API["none"]))
            used.append(api)
        ax.set_yticks(range(1, len(members) + 1),
                      labels=[f"{p.cell} (n={len(p.values)})" for p in members], fontsize=8)
        if all(v > 0 for values in data for v in values):
            ax.set_xscale("log")
        ax.set_xlabel(axis_label(members[0].scenario, metrics), fontsize=9)
        ax.grid(axis="x", color="#dddddd")
        ax.set_title(f"{scenario.replace('`', '')}: unseeded values per cell", fontsize=9, loc="left")
    handles = [Patch(facecolor=palette.API[a], edgecolor="black", label=a)
               for a in palette.API if a in used]
    handles += [Line2D([], [], color="black", label="median"),
                Line2D([], [], marker="^", linestyle="", markerfacecolor="white", markeredgecolor="black",
                       label="mean"),
                Patch(facecolor="white", edgecolor="black", label="box: middle half; whiskers: 1.5 IQR"),
                Line2D([], [], marker="o", linestyle="", color="black", markersize=3, label="outlier")]
    figure.legend(handles=handles, loc="upper center", ncol=min(4, len(handles)), fontsize=8,
                  frameon=False)
    figure.tight_layout(rect=(0, 0, 1, 1 - 0.9 / (sum(heights) + 1.4)))
    return render.save_png(figure, path)


def axis_label(scenario: str, metrics=None) -> str:
    """The value axis of a scenario's panel: its recorded metric (contract 1 records "MSE")."""
    named = (metrics or {}).get(scenario) or ()
    return "unseeded value (" + "; ".join(named) + ")" if named else "unseeded value"


def api_of(pool) -> str:
    """The pool's API generation, from its cell sort key (derive.outcomes.cell_sort_key)."""
    rank = pool.order[0] if pool.order else None
    return next((api for api, index in API_ORDER.items() if index == rank), "none")


def _horizontal(ax) -> dict:
    """matplotlib >= 3.10 says orientation='horizontal'; older releases only know vert=False."""
    import inspect
    return {"orientation": "horizontal"} if "orientation" in inspect.signature(ax.boxplot).parameters \
        else {"vert": False}
