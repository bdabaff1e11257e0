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
    k(k-1)/2 tests and some would be "significant" by chance alone;
  * `tost`: two one-sided Welch t-tests on the difference of the means against a margin of
    +-MARGIN pooled standard deviations (Schuirmann 1987): a small p says the means differ by
    less than the margin. Not finding a difference is no evidence of sameness, so "do not differ"
    is this test, not a large Mann-Whitney p;
  * `tost_power`: the probability that `tost` finds equivalence at these sample sizes when the
    means are in fact equal (normal approximation with t quantiles): the best case, printed
    beside every verdict that is not "different", so a reader sees what the sample size can show.

`compare` gives each pair one verdict: `different` (Mann-Whitney, Holm-adjusted p <= alpha over
the pairs compared), else `equivalent` (TOST p <= alpha), else `inconclusive`. Only samples that
vary are compared: a constant sample (sd 0: a scenario with no random source on that stack) has
no distribution, so it is listed, not tested.
"""
from __future__ import annotations

import itertools
import math
import statistics

ALPHA = 0.05
MARGIN = 0.5       # the equivalence margin, in pooled standard deviations (Cohen's "medium" effect)
# Scenarios whose records are not compared: one scenario file that built different models on
# different stacks (its records stay; their successors are compared).
RETIRED = {"noise_layers": "RandomFlip + GaussianNoise where the stack has RandomFlip, GaussianNoise alone on "
                           "Keras 2.0.3: different models; split into gaussian_noise and random_flip"}
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
    sd = 0.0 if is_constant(values) else math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
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


def is_constant(values) -> bool:
    """One distinct value (or fewer than two values): nothing varies, nothing to compare."""
    return len(set(float(v) for v in values)) <= 1


def pooled_sd(first, second) -> float:
    a, b = describe(first), describe(second)
    df = a["n"] + b["n"] - 2
    return math.sqrt(((a["n"] - 1) * a["sd"] ** 2 + (b["n"] - 1) * b["sd"] ** 2) / df)


def tost(first, second, margin: float = MARGIN) -> tuple:
    """(p, bound): two one-sided Welch t-tests of |mean(first) - mean(second)| < bound, with
    bound = margin x the pooled sd; p is the larger of the two one-sided p-values."""
    from scipy import stats as sps

    a, b = describe(first), describe(second)
    bound = margin * pooled_sd(first, second)
    va, vb = a["sd"] ** 2 / a["n"], b["sd"] ** 2 / b["n"]
    se = math.sqrt(va + vb)
    if se == 0:
        return (0.0 if abs(a["mean"] - b["mean"]) < bound else 1.0), bound
    df = (va + vb) ** 2 / (va ** 2 / (a["n"] - 1) + vb ** 2 / (b["n"] - 1))
    difference = a["mean"] - b["mean"]
    lower = float(sps.t.sf((difference + bound) / se, df))     # H0: difference <= -bound
    upper = float(sps.t.cdf((difference - bound) / se, df))    # H0: difference >= +bound
    return max(lower, upper), bound


def tost_power(n_first: int, n_second: int, margin: float = MARGIN, alpha: float = ALPHA) -> float:
    """P(tost finds equivalence | equal means), normal approximation with the t quantile of the
    pooled degrees of freedom: 2 Phi(margin / sqrt(1/n1 + 1/n2) - t(1 - alpha, n1 + n2 - 2)) - 1,
    floored at 0."""
    from scipy import stats as sps

    if n_first < 2 or n_second < 2:
        return 0.0
    standard_error = math.sqrt(1 / n_first + 1 / n_second)
    reach = margin / standard_error - float(sps.t.ppf(1 - alpha, n_first + n_second - 2))
    return max(0.0, 2 * float(sps.norm.cdf(reach)) - 1)


def compare(samples: list, alpha: float = ALPHA, margin: float = MARGIN) -> tuple:
    """(rows, constant): every pair of (name, values) samples that vary, with one verdict each
    (see the module docstring), and the constant samples as (name, value, n).

    Rows are pairwise()'s dicts plus p_tost, bound (the margin in the samples' units), power and
    verdict (different | equivalent | inconclusive)."""
    constant = [(name, float(values[0]), len(values)) for name, values in samples
                if len(values) >= 2 and is_constant(values)]
    varying = [(name, list(values)) for name, values in samples if len(values) >= 2 and not is_constant(values)]
    rows = pairwise(varying, alpha)
    by_name = dict(varying)
    for row in rows:
        x, y = by_name[row["a"]], by_name[row["b"]]
        row["p_tost"], row["bound"] = tost(x, y, margin)
        row["power"] = tost_power(len(x), len(y), margin, alpha)
        row["margin"] = margin
        if row["different"]:
            row["verdict"] = "different"
        elif row["p_tost"] <= alpha:
            row["verdict"] = "equivalent"
        else:
            row["verdict"] = "inconclusive"
    return rows, constant


def verdict_text(row) -> str:
    """'different', 'equivalent within margin 0.5 sd (power 0.23)' or 'inconclusive (power 0.23)'."""
    if row["verdict"] == "different":
        return "different"
    if row["verdict"] == "equivalent":
        return f"equivalent within margin {row['margin']:g} sd (power {row['power']:.2f})"
    return f"inconclusive (power {row['power']:.2f})"
