"""Statistics of unseeded values: are two stacks different on a scenario, or is it noise?

Without seeds every run of a scenario draws new initial weights, so a cell's MSE is a random
variable; comparing two cells means comparing two distributions, not two numbers:
  * `describe`: n, mean, standard deviation (ddof=1), median and the confidence interval of
    the mean from the t-distribution (mean +- t(1 - alpha/2, n-1) * sd / sqrt(n));
  * `mann_whitney`: the two-sided Mann-Whitney U test (no normality assumption: MSE values are
    skewed, bounded below by 0);
  * `cliffs_delta`: the effect size P(x > y) - P(x < y), in [-1, 1]; with the usual magnitude
    labels (Romano et al. 2006: |d| < 0.147 negligible, < 0.33 small, < 0.474 medium, else
    large);
  * `holm`: Holm's step-down correction, because comparing every pair of k cells makes
    k(k-1)/2 tests and some would be "significant" by chance alone.
"""
from __future__ import annotations

import itertools
import math
import statistics

ALPHA = 0.05
MAGNITUDES = ((0.147, "negligible"), (0.33, "small"), (0.474, "medium"))


def describe(values, confidence: float = 0.95) -> dict:
    """Summary of one sample; sd and the interval are NaN below two values."""
    from scipy import stats as sps

    values = [float(v) for v in values]
    n = len(values)
    nan = float("nan")
    if n == 0:
        return {"n": 0, "mean": nan, "sd": nan, "median": nan, "ci_low": nan, "ci_high": nan}
    mean = math.fsum(values) / n
    median = statistics.median(values)
    if n < 2:
        return {"n": n, "mean": mean, "sd": nan, "median": median, "ci_low": nan, "ci_high": nan}
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = float(sps.t.ppf(1 - (1 - confidence) / 2, n - 1)) * sd / math.sqrt(n)
    return {"n": n, "mean": mean, "sd": sd, "median": median, "ci_low": mean - half, "ci_high": mean + half}


def cliffs_delta(first, second) -> float:
    """(#{x > y} - #{x < y}) / (n * m) over all pairs; ties count for neither side."""
    if not first or not second:
        return float("nan")
    greater = sum(1 for x in first for y in second if x > y)
    smaller = sum(1 for x in first for y in second if x < y)
    return (greater - smaller) / (len(first) * len(second))


def magnitude(delta: float) -> str:
    if delta != delta:
        return "—"
    for limit, name in MAGNITUDES:
        if abs(delta) < limit:
            return name
    return "large"


def holm(pvalues) -> list:
    """Holm-adjusted p-values, in the input order.

    Sort ascending; the i-th smallest (1-based) becomes min(1, (m - i + 1) * p), made
    non-decreasing along the sorted order. Rejecting where adjusted <= alpha controls the
    family-wise error rate at alpha."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted, running = [0.0] * m, 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[index]))
        adjusted[index] = running
    return adjusted


def mann_whitney(first, second) -> tuple:
    """(U of the first sample, two-sided p). Identical constant samples give p = 1."""
    from scipy import stats as sps

    if len(set(first)) == 1 and set(first) == set(second):
        return len(first) * len(second) / 2.0, 1.0
    result = sps.mannwhitneyu(list(first), list(second), alternative="two-sided")
    return float(result.statistic), float(result.pvalue)


def pairwise(samples: list, alpha: float = ALPHA) -> list:
    """Every pair of (name, values) with at least two values each, Holm-corrected as one family.

    Returns dicts: a, b, n_a, n_b, u, p, p_holm, delta, magnitude, different."""
    usable = [(name, list(values)) for name, values in samples if len(values) >= 2]
    rows = []
    for (a, x), (b, y) in itertools.combinations(usable, 2):
        u, p = mann_whitney(x, y)
        delta = cliffs_delta(x, y)
        rows.append({"a": a, "b": b, "n_a": len(x), "n_b": len(y), "u": u, "p": p,
                     "delta": delta, "magnitude": magnitude(delta)})
    for row, adjusted in zip(rows, holm([r["p"] for r in rows])):
        row["p_holm"] = adjusted
        row["different"] = adjusted <= alpha
    return rows
