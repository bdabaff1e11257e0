"""Statistics against values worked out by hand (or from printed tables), not from the code."""
import math

import pytest

from harness.derive import stats


def test_describe_matches_hand_computation():
    # [1, 2, 3, 4]: mean 2.5; squared deviations 2.25+0.25+0.25+2.25 = 5, sd = sqrt(5/3);
    # t(0.975, 3) = 3.1824 (t table); half width = 3.1824 * 1.29099 / 2 = 2.05426.
    d = stats.describe([4, 1, 3, 2])
    assert d["n"] == 4 and d["mean"] == 2.5 and d["median"] == 2.5
    assert d["sd"] == pytest.approx(1.2909944, abs=1e-7)
    assert d["ci_low"] == pytest.approx(0.44574, abs=1e-4)
    assert d["ci_high"] == pytest.approx(4.55426, abs=1e-4)


def test_describe_of_two_values():
    # [0, 2]: mean 1, sd sqrt(2) ; t(0.975, 1) = 12.706; half width = 12.706 * sqrt(2) / sqrt(2)
    d = stats.describe([0.0, 2.0])
    assert d["sd"] == pytest.approx(math.sqrt(2))
    assert (d["ci_low"], d["ci_high"]) == (pytest.approx(1 - 12.706, abs=1e-3), pytest.approx(1 + 12.706, abs=1e-3))


def test_describe_small_samples_have_no_spread():
    one = stats.describe([3.0])
    assert one["mean"] == 3.0 and math.isnan(one["sd"]) and math.isnan(one["ci_low"])
    assert stats.describe([])["n"] == 0


def test_holm_on_known_pvalues():
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> raised to 0.06
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # capped at 1, and monotone along the sorted order
    assert stats.holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])
    assert stats.holm([0.2]) == [0.2]
    assert stats.holm([]) == []


def test_cliffs_delta_on_tiny_lists():
    # pairs (x, y): x > y only for (3, 2); x < y for 6 pairs; 2 ties -> (1 - 6) / 9
    assert stats.cliffs_delta([1, 2, 3], [2, 3, 4]) == pytest.approx(-5 / 9)
    assert stats.cliffs_delta([4, 5], [1, 2]) == 1.0
    assert stats.cliffs_delta([1, 2], [1, 2]) == 0.0
    assert math.isnan(stats.cliffs_delta([], [1]))


def test_magnitude_labels():
    assert [stats.magnitude(d) for d in (0.1, -0.2, 0.4, -0.9)] == ["negligible", "small", "medium", "large"]


def test_mann_whitney_exact_small_case():
    # complete separation of 3 vs 3: U = 0; exact two-sided p = 2 / C(6, 3) = 0.1
    u, p = stats.mann_whitney([1, 2, 3], [4, 5, 6])
    assert u == 0 and p == pytest.approx(0.1)
    assert stats.mann_whitney([2.0, 2.0], [2.0, 2.0]) == (2.0, 1.0)


def test_pairwise_applies_holm_over_the_family():
    rows = stats.pairwise([("a", [1, 2, 3]), ("b", [4, 5, 6]), ("c", [7, 8, 9]), ("tiny", [1])])
    assert [(r["a"], r["b"]) for r in rows] == [("a", "b"), ("a", "c"), ("b", "c")]
    # each raw p is 0.1; Holm: 3*0.1, max(0.3, 2*0.1), max(0.3, 0.1) -> all 0.3
    assert [r["p_holm"] for r in rows] == pytest.approx([0.3, 0.3, 0.3])
    assert all(r["delta"] == -1.0 and r["magnitude"] == "large" and not r["different"] for r in rows)


# ------------------------------------------- equivalence, on samples whose answer is known by construction
def _normal(seed, n, mean=0.0, sd=1.0):
    import random
    rng = random.Random(seed)
    return [rng.gauss(mean, sd) for _ in range(n)]


def test_two_large_samples_of_one_distribution_are_equivalent():
    rows, constant = stats.compare([("a", _normal(1, 2000)), ("b", _normal(2, 2000))])
    (row,) = rows
    assert constant == [] and row["verdict"] == "equivalent"
    # the standard error of the difference is sqrt(2/2000) = 0.032 sd: 0.5 sd is 16 of them
    assert row["power"] > 0.999 and row["p_tost"] < 1e-6
    assert stats.verdict_text(row) == "equivalent within margin 0.5 sd (power 1.00)"


def test_a_shift_of_three_sd_is_different():
    rows, _ = stats.compare([("a", _normal(3, 30)), ("b", _normal(4, 30, mean=3.0))])
    (row,) = rows
    assert row["verdict"] == "different" and stats.verdict_text(row) == "different"
    assert row["p_holm"] < 1e-6 and row["delta"] < -0.9


def test_five_values_each_cannot_show_equivalence():
    rows, _ = stats.compare([("a", _normal(5, 5)), ("b", _normal(6, 5))])
    (row,) = rows
    # TOST power at n = 5 + 5 and 0.5 sd: 0.5 / sqrt(2/5) = 0.79 standard errors, below
    # t(0.95, 8) = 1.86, so even equal means cannot pass: power 0
    assert row["verdict"] == "inconclusive" and row["power"] == 0.0
    assert stats.verdict_text(row) == "inconclusive (power 0.00)"


def test_tost_power_against_the_normal_approximation_by_hand():
    # n = 30 + 30, margin 0.5: 0.5 / sqrt(2/30) = 1.9365; t(0.95, 58) = 1.6716;
    # 2 Phi(0.2649) - 1 = 2 * 0.60446 - 1 = 0.2089
    assert stats.tost_power(30, 30) == pytest.approx(0.2089, abs=5e-4)
    # margin 1: 3.873 - 1.6716 = 2.2014; 2 Phi(2.2014) - 1 = 0.9723
    assert stats.tost_power(30, 30, margin=1.0) == pytest.approx(0.9723, abs=5e-4)
    assert stats.tost_power(1, 30) == 0.0


def test_tost_by_hand():
    # a = [0, 2], b = [1, 3]: means 1 and 2, sds sqrt(2) both, pooled sd sqrt(2); margin 0.5 sd
    # gives bound 0.7071; se = sqrt(1 + 1) = 1.4142, Welch df = 2; the upper test
    # t = (-1 - 0.7071) / 1.4142 = -1.2071 has p = T2(-1.2071) = 0.1755 (t table: 2 df), the lower
    # (−1 + 0.7071) / 1.4142 = -0.2071 has p = 1 - T2(-0.2071) = 0.5725: p = 0.5725
    p, bound = stats.tost([0.0, 2.0], [1.0, 3.0])
    assert bound == pytest.approx(0.70711, abs=1e-5) and p == pytest.approx(0.5725, abs=1e-3)


def test_constant_samples_are_listed_not_compared():
    rows, constant = stats.compare([("flat", [7.25] * 6), ("other flat", [3.0] * 6),
                                    ("a", _normal(7, 30)), ("b", _normal(8, 30)), ("one", [1.0])])
    assert constant == [("flat", 7.25, 6), ("other flat", 3.0, 6)]
    assert [(r["a"], r["b"]) for r in rows] == [("a", "b")]
    # two different constants were once "different, p = 0": no pair with a constant is tested
    rows, constant = stats.compare([("x", [1.0] * 10), ("y", [2.0] * 10)])
    assert rows == [] and len(constant) == 2
