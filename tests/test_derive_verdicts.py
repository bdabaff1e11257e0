"""Digits of agreement, fingerprints and verdicts against hand-computed values."""
import hashlib
import math

import pytest

from harness.derive import verdicts


@pytest.mark.parametrize("a,b,expected", [
    (1.0, 1.0, 17),                      # same double
    (0.0, -0.0, 17),                     # equal values, different bits: relative difference 0
    (1.0, 1.001, 3),                     # 0.001/1.001 = 9.99e-4 -> -log10 = 3.0004 -> 3
    (0.5, 0.6, 0),                       # 0.1/0.6 = 0.167 -> 0.78 -> 0
    (100.0, 100.5, 2),                   # 0.5/100.5 = 4.98e-3 -> 2.30 -> 2
    (0.0123456, 0.0123457, 5),           # 1e-7/0.0123457 = 8.1e-6 -> 5.09 -> 5
    (1.0, float("nan"), 0),
    (1.0, -1.0, 0),                      # 2/1 = 2 -> negative -> clamped to 0
])
def test_digits_by_hand(a, b, expected):
    assert verdicts.digits(a, b) == expected


def test_neighbouring_doubles_agree_to_15_or_16_digits():
    a = 1.0
    b = math.nextafter(1.0, 2.0)   # differs in the last bit: relative 2.2e-16 -> 15.65
    assert verdicts.digits(a, b) == 15
    assert verdicts.digits(a, b) < verdicts.BITWISE


def test_list_digits_is_the_minimum_and_lengths_must_match():
    assert verdicts.list_digits([1.0, 0.5], [1.0, 0.5]) == 17
    assert verdicts.list_digits([1.0, 0.5], [1.0, 0.6]) == 0
    assert verdicts.list_digits([1.0, 100.0], [1.0, 100.5]) == 2
    assert verdicts.list_digits([1.0], [1.0, 2.0]) == 0
    assert verdicts.first_difference([1.0, 2.0, 3.0], [1.0, 2.5, 3.0]) == 1
    assert verdicts.first_difference([1.0], [1.0]) is None


def test_fingerprint_is_sha256_of_the_hex_text():
    # the documented definition, computed here by hand for [0.5, 0.25]
    expected = hashlib.sha256(b"0x1.0000000000000p-1,0x1.0000000000000p-2").hexdigest()[:8]
    assert verdicts.fingerprint([0.5, 0.25]) == expected
    assert verdicts.fingerprint([0.25, 0.5]) != expected   # order matters


def ok(values):
    return {"status": "ok", "values": values}


def test_verdicts_over_replays():
    same = [ok([0.1, 0.2]), ok([0.1, 0.2]), ok([0.1, 0.2])]
    result = verdicts.verdict("full", same)
    assert result.name == "bitwise" and result.digits == 17
    assert len(result.fingerprints) == 1

    close = [ok([0.1, 0.2]), ok([0.1, 0.2000001])]    # 1e-7/0.2 = 5e-7 -> 6 digits
    result = verdicts.verdict("full", close)
    assert (result.name, result.digits, len(result.fingerprints)) == ("agrees", 6, 2)

    far = [ok([0.1, 0.2]), ok([0.1, 0.25])]
    assert verdicts.verdict("numpy", far).name == "diverged"


def test_unseeded_bitwise_is_notable_and_failures_win():
    same = [ok([0.1]), ok([0.1])]
    assert verdicts.verdict("none", same).notable is True
    assert verdicts.verdict("full", same).notable is False
    mixed = [ok([0.1]), {"status": "timed-out", "error_summary": "killed after 5s"}]
    result = verdicts.verdict("full", mixed)
    assert result.name == "timed-out" and result.failed == 1
    assert verdicts.label(result) == "timed-out 1/2"
    assert verdicts.verdict("full", []).name == "not-run"


def test_labels_say_digit_in_the_singular_and_carry_the_reason():
    one = verdicts.verdict("numpy", [ok([1.0]), ok([1.5])])       # 0.5/1.5 = 0.33 -> 0.48 -> 0
    assert verdicts.label(one) == "diverged, 0 digits"
    near = verdicts.verdict("numpy", [ok([1.0]), ok([1.04])])      # 0.04/1.04 -> 1.41 -> 1
    assert verdicts.label(near) == "diverged, 1 digit"
    crashed = verdicts.verdict("full", [{"status": "crashed", "error_summary": "ValueError: bad\nmore"}])
    assert crashed.is_failure and crashed.error == "ValueError: bad"


def test_non_finite_and_not_applicable_are_outcomes_not_values():
    nan = verdicts.verdict("full", [{"status": "non-finite"}, {"status": "non-finite"}])
    assert nan.name == "non-finite" and not nan.has_values and nan.fingerprints == ()
    skipped = verdicts.verdict("full", [{"status": "not-applicable", "error_summary": "needs TF"}])
    assert skipped.name == "not-applicable" and not skipped.is_failure and skipped.error == "needs TF"
    odd = verdicts.verdict("full", [{"status": "something-new"}])
    assert odd.name == "bad-result"
