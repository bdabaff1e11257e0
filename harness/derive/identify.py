"""Which stack produced these numbers? Match a list of values a user has (printed in a log, a
paper, a notebook) against every recorded value list.

Reading the numbers: every decimal number in the text counts (`0.0123`, `1.5e-05`, `-2.`,
`np.float64(0.0123)`, Python 2's 17-digit reprs such as `0.10000000000000001`); bare integers
(epoch counters, "repeat 3:") do not. Each number keeps its printed precision: the count of
significant digits in the text.

Matching one recorded list against the user's numbers: the printed numbers, in order, are lined
up with consecutive recorded repeats; a number that does not agree to >= 3 digits with the next
repeat is noise and skipped (a loss, an epoch, a learning rate printed between the values; a user
may also have printed only some repeats). At each position the recorded double, rounded to the printed
precision, either gives exactly the printed number (`exact`) or not; `digits` is the digits of
agreement (derive.verdicts.digits). A run must cover at least two numbers (one can agree by
chance). What a match means:
  * `same numbers`: every matched position is exact at the printed precision: this record
    produced these numbers, as far as the printed digits can tell (17 digits: the same doubles);
  * `same lineage`: every position agrees to >= 3 digits but not all exactly: the same initial
    weights and data, with rounding that drifted in training (another thread count, machine or
    release).
No match means no recorded list is related: different initial weights, data or scenario.
"""
from __future__ import annotations

import dataclasses
import re

from . import verdicts

NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+(?=[eE]))(?:[eE][-+]?\d+)?(?![\w.])")
LINEAGE_DIGITS = 3
MIN_RUN = 2          # a single number can agree by chance; two in a row rarely do


@dataclasses.dataclass(frozen=True)
class Printed:
    value: float
    text: str
    significant: int


@dataclasses.dataclass(frozen=True)
class Match:
    outcome: object          # derive.outcomes.Outcome
    values: tuple            # the recorded list matched
    offset: int              # first recorded repeat matched
    length: int              # printed numbers matched (a contiguous run; the rest is noise)
    exact: int               # positions exact at the printed precision
    digits: int              # min digits of agreement over the positions
    meaning: str             # same numbers | same lineage | unrelated

    @property
    def key(self):
        return (self.meaning != "same numbers", -self.length, -self.exact, -self.digits)


class IdentifyError(ValueError):
    pass


def significant_digits(text: str) -> int:
    mantissa = re.split(r"[eE]", text.lstrip("+-"))[0].replace(".", "")
    stripped = mantissa.lstrip("0")
    return max(1, min(17, len(stripped))) if stripped else 1


def parse(text: str) -> list:
    """The decimal numbers of a text, with their printed precision."""
    found = []
    for token in NUMBER.findall(text):
        try:
            found.append(Printed(float(token), token, significant_digits(token)))
        except ValueError:
            continue
    return found


def exact_at_precision(recorded: float, printed: Printed) -> bool:
    if printed.significant >= 17:
        return recorded == printed.value
    return float(f"{recorded:.{printed.significant}g}") == float(f"{printed.value:.{printed.significant}g}")


def _pair(recorded: float, printed: Printed) -> tuple:
    """(digits, exact) of one recorded double against one printed number."""
    exact = exact_at_precision(recorded, printed)
    digits = verdicts.digits(recorded, printed.value)
    # a value rounded to k digits differs from the double after about k digits: exact counts as k
    return (max(digits, printed.significant) if exact else digits), exact


def match_list(printed: list, recorded: tuple):
    """The best alignment of printed numbers with consecutive recorded repeats:
    (printed start, recorded start, length, exact, min digits). Printed numbers that do not agree
    to >= LINEAGE_DIGITS with the next recorded repeat are skipped as noise (a loss, an epoch, a
    learning rate between the values); the run stops at the end of either list. None when no
    number agrees that well."""
    best = None
    for i in range(len(printed)):
        for j in range(len(recorded)):
            length = exact = 0
            lowest = verdicts.BITWISE
            for number in printed[i:]:
                if j + length >= len(recorded):
                    break
                digits, hit = _pair(recorded[j + length], number)
                if digits >= LINEAGE_DIGITS:
                    length, exact, lowest = length + 1, exact + hit, min(lowest, digits)
                elif length == 0:
                    break
            if length and (best is None or (exact, length, lowest) > (best[3], best[2], best[4])):
                best = (i, j, length, exact, lowest)
    return best


def identify(printed: list, found: list) -> list:
    """Every outcome whose value lists match, best first (distinct replay lists considered)."""
    if not printed:
        raise IdentifyError("no decimal numbers found in the input")
    matches = []
    needed = min(MIN_RUN, len(printed))
    for outcome in found:
        for values in _lists(outcome):
            got = match_list(printed, values)
            if got is None or got[2] < needed:
                continue
            start, offset, length, exact, digits = got
            meaning = "same numbers" if exact == length else "same lineage"
            matches.append(Match(outcome, values, offset, length, exact, digits, meaning))
    return sorted(matches, key=lambda m: (m.key, m.outcome.cell_name, m.outcome.recipe, m.outcome.machine))


def _lists(outcome) -> list:
    """The distinct value lists of an outcome's record (first ok replay first)."""
    lists = [tuple(outcome.values)] if outcome.values is not None else []
    for extra in getattr(outcome, "all_values", ()) or ():
        if tuple(extra) not in lists:
            lists.append(tuple(extra))
    return lists
