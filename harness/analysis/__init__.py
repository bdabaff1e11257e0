"""Analysis of the records: cross-environment agreement, minimal recipes, statistics of
unseeded values, result diffs and ladder bisection.

Modules:
  samples       value lists from records, with the record paths they came from
  agreement     pairwise digits between cells, lineages, heatmap
  minimal       weakest recipe that is bitwise / 6-digit reproducible (minimal_recipes)
  stats         describe, Mann-Whitney, Cliff's delta, Holm
  distribution  statistics tables and box plot of unseeded values
  repeats       extra unseeded processes for `harness stats --n`
  diff          two result directories (or git:REF) compared, as markdown
  bisect        first cell of a ladder whose result changed
  render        markdown and deterministic PNG helpers

`publish_analysis` writes the published documents; their bytes depend only on the records.
"""
from __future__ import annotations

from pathlib import Path

from . import agreement, distribution, render, samples
from .minimal import minimal_recipes

__all__ = ["publish_analysis", "minimal_recipes", "agreement_markdown", "stats_markdown"]

SEEDED = ("numpy", "tutorial", "full", "strict")
HEATMAP_RECIPE = "full"


def _failures_markdown(failures: list, what: str) -> list:
    if not failures:
        return []
    return ["", f"### Failures (no {what})", "", render.markdown_table(
        ["cell", "scenario", "recipe", "status", "record"],
        [[f.cell, f.scenario, f.recipe, f.status, render.code(f.record)] for f in failures])]


def agreement_markdown(results: Path) -> tuple:
    """(markdown text, comparisons) of cross-environment agreement for the seeded recipes."""
    found, failures = samples.seeded_samples(results, SEEDED)
    comparisons = agreement.compare(found)
    lines = ["# Cross-environment agreement", "",
             "Digits of agreement between the seeded value lists of every pair of cells (first ok "
             "replay of each record; `=` is bitwise identical, 17 digits). A lineage is a group of "
             f"cells linked by >= {agreement.LINEAGE_MIN_DIGITS} digits at every repeat: same initial "
             "weights, differing only in rounding (single linkage; the weakest link inside is "
             "shown). Cells are ordered so that lineages stand together; labels C1, C2, ... follow "
             "that order."]
    for comparison in comparisons:
        lines += ["", agreement.markdown(comparison)]
    if not comparisons:
        lines += ["", "No seeded results yet."]
    lines += _failures_markdown(failures, "ok replay")
    return "\n".join(lines) + "\n", comparisons


def stats_markdown(results: Path, cells=None) -> tuple:
    """(markdown text, pools) of the statistics of unseeded values; `cells` (names) restricts
    the tables and the pairwise tests (and so the Holm correction) to those cells."""
    pools, failures = samples.unseeded_pools(results)
    if cells:
        pools = [p for p in pools if p.cell in cells]
        failures = [f for f in failures if f.cell in cells]
    lines = ["# Unseeded values: statistics", "",
             "All unseeded values of a cell (every ok replay of recipe `none`, plus `repeats` "
             "records from `harness stats --n`). Standard deviation with ddof=1; the 95% confidence "
             "interval of the mean uses the t-distribution."]
    for scenario, members in distribution.by_scenario(pools):
        lines += ["", distribution.markdown(scenario, members)]
    if not pools:
        lines += ["", "No unseeded results yet."]
    lines += _failures_markdown(failures, "unseeded values")
    return "\n".join(lines) + "\n", pools


def write_agreement(results: Path, out: Path) -> list:
    """out/agreement.md (every seeded recipe) and out/agreement.png (recipe "full")."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    text, comparisons = agreement_markdown(results)
    return [_write(out / "agreement.md", text),
            agreement.draw_heatmap([c for c in comparisons if c.recipe == HEATMAP_RECIPE],
                                   out / "agreement.png")]


def write_stats(results: Path, out: Path) -> list:
    """out/stats.md (statistics and pairwise tests) and out/stats.png (distributions)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    text, pools = stats_markdown(results)
    return [_write(out / "stats.md", text), distribution.draw_boxplot(pools, out / "stats.png")]


def publish_analysis(results: Path, out: Path) -> list:
    """Write agreement.md, agreement.png, stats.md and stats.png under `out`; return their paths.

    Byte-identical when regenerated from the same records: everything is sorted, no
    timestamps, PNGs drawn with Agg at a fixed dpi without version metadata. Failed cells are
    skipped and listed as failures; empty results give documents that say so."""
    return write_agreement(Path(results), out) + write_stats(Path(results), out)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
