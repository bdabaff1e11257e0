"""Which stack produced these numbers? Match a list of values a user has (printed in a log, a
paper, a notebook) against every recorded value list, and account for every number read.

Reading the numbers (`parse`, linear in the text): every decimal number counts (`0.0123`,
`1.5e-05`, `-2.`, `np.float64(0.0123)`, Python 2's 17-digit reprs), and so do `inf`, `-inf` and
`nan` (as values that no recorded list holds: recorded values are finite); bare integers (epoch
counters, "repeat 3:") do not. Each number keeps its printed precision (significant digits). Only
text is read: control characters and bytes that are not UTF-8 separate numbers, and `text_of`
keeps only the printable runs of a binary input.

Matching one recorded list R (repeats 1..k) against the printed numbers P, in time linear in P:
  * a printed number is a *hit* at the repeats of R it agrees with best, when that agreement is
    at least LINEAGE_DIGITS (3) significant digits (an index of recorded values in relative bins
    finds them without comparing every pair);
  * the *chain* is the longest run of hits in printed order at increasing repeats, the one with
    the most digits among equals (order matters: a shuffled or reversed list does not chain);
  * every printed number is then accounted for: `matched` (in the chain), `differs` (it stands
    where a repeat the chain skipped should be: "value 4 differs: 0.0123 against 0.0125"),
    `out of order` (a hit of R outside the chain, as close as the chain's own matches), `repeated`
    (the same text again right after a matched number: a log printing loss and metric alike),
    or `other` (not a number of R: a loss, a learning rate, a number of another run);
  * a repeat of R that the chain skips with no printed number in its place is `missing`.
What a match means:
  * `same numbers`: at least MIN_RUN numbers matched, every one exact at its printed precision
    (the recorded double rounded to the printed digits gives the printed text; 17 digits: the
    same double), none differs, none out of order, no repeat missing inside the chain: this
    record produced these numbers, as far as the printed digits can tell;
  * `same lineage`: the same, except that some matches are not exact, every match agrees to
    at least LINEAGE_DIGITS digits and at least LINEAGE_RUN numbers matched: the same initial
    weights and data, with rounding that drifted in training (another thread count, machine or
    release);
  * `too few digits`: in order and without a break, but the matched digits add up to fewer than
    MIN_EVIDENCE: chance could give as much (two 3-digit numbers), so no record is named;
  * `differs`: the numbers resemble R (at least MIN_RUN hits) but some value differs, is out of
    order or a repeat is missing: R did not produce them, and the answer says which values break it.
The thresholds are calibrated on perturbed lists built from the records (one value altered,
shuffled, reversed, truncated, another scenario's list, random numbers):
tests/test_derive_identify.py builds them and benchmarks/identify_calibration.py prints the rates.
"""
from __future__ import annotations

import bisect
import dataclasses
import math
import re
import typing

from . import verdicts

NUMBER = re.compile(
    r"(?<![\w.])(?:[-+]?(?:\d+\.\d*|\.\d+|\d+(?=[eE]))(?:[eE][-+]?\d+)?(?![\w.])"
    r"|[-+]?(?:inf(?:inity)?|nan)(?!\w))", re.IGNORECASE)
SEPARATORS = " \t\r\n\f\v,;:&|\\()[]{}"       # between the numbers of one list or table row
NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]+")
PRINTABLE_RUN = 4        # a binary input's printable runs shorter than this are not read (as strings(1))
LINEAGE_DIGITS = verdicts.AGREE_MIN_DIGITS   # a hit agrees to at least this many significant digits
MIN_RUN = 2              # a single number can agree by chance; two in a row rarely do
LINEAGE_RUN = 3          # a lineage (not exact) needs three numbers in order: two 3-digit hits can be luck
MIN_EVIDENCE = 10        # digits matched in all: 2 numbers of 5 digits, 3 of 4, 4 of 3 (chance runs of
                         # 3-digit numbers name some recorded list of ~800 in 4% of random inputs)


class Printed(typing.NamedTuple):     # a tuple: a 10 MB log makes half a million of them
    value: float
    text: str
    significant: int
    run: int = 0          # numbers with only separators between them (a list, a table row) share a run


class IdentifyError(ValueError):
    pass


def significant_digits(text: str) -> int:
    mantissa = text.lstrip("+-").partition("e")[0].partition("E")[0].replace(".", "")
    if not mantissa.isdigit():
        return 1                                  # inf, nan
    stripped = mantissa.lstrip("0")
    return max(1, min(17, len(stripped))) if stripped else 1


def text_of(data: bytes) -> tuple:
    """(text, binary): the text of an input's bytes. A binary input (NUL bytes, or more than a
    tenth of its bytes neither UTF-8 text nor whitespace) keeps only its printable runs of at
    least PRINTABLE_RUN characters, as strings(1) does."""
    text = data.decode("utf-8", errors="replace")
    junk = sum(len(m) for m in NOT_TEXT.findall(text))
    binary = "\x00" in text or junk * 10 > max(1, len(text))
    if binary:
        runs = re.findall(r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]{%d,}" % PRINTABLE_RUN, text)
        return "\n".join(runs), True
    return text, False


def parse(text: str) -> list:
    """The numbers of a text, in order, with their printed precision."""
    text = NOT_TEXT.sub(" ", text)
    found, known = [], {}                 # a log repeats its numbers ("lr: 0.001"): read each text once
    run, end = 0, 0
    for match in NUMBER.finditer(text):
        token = match.group()
        read = known.get(token)
        if read is None:
            try:
                read = known[token] = (float(token), significant_digits(token))
            except (ValueError, OverflowError):
                continue
        if text[end:match.start()].strip(SEPARATORS):
            run += 1
        end = match.end()
        found.append(Printed(read[0], token, read[1], run))
    return found


def exact_at_precision(recorded: float, printed: Printed) -> bool:
    if printed.significant >= 17 or not math.isfinite(printed.value):
        return recorded == printed.value
    return float(f"{recorded:.{printed.significant}g}") == float(f"{printed.value:.{printed.significant}g}")


def pair(recorded: float, printed: Printed) -> tuple:
    """(digits, exact) of one recorded double against one printed number. The printed digits are
    all there is to compare: an exact number counts as its k digits (whatever the double's
    agreement beyond them), so that values equal at the printed precision tie; the very same
    double, however its repr was trimmed, counts as all 17."""
    value = printed.value
    if recorded == value:
        return verdicts.BITWISE, True
    exact = exact_at_precision(recorded, printed)
    if exact:
        return printed.significant, True
    if not math.isfinite(value):
        return 0, False
    relative = abs(recorded - value) / max(abs(recorded), abs(value))   # verdicts.digits, inlined
    return min(int(max(0, math.floor(-math.log10(relative)))), printed.significant), False


def _window(number: Printed) -> tuple:
    """(low, high): the recorded values that can agree with a printed number to LINEAGE_DIGITS
    digits, or round to its printed digits."""
    value = number.value
    magnitude = abs(value)
    half_unit = 0.5 * 10.0 ** (math.floor(math.log10(magnitude)) - number.significant + 1) if magnitude else 0.0
    reach = max(half_unit * 1.0001, magnitude * 1.001e-3)
    return value - reach, value + reach


@dataclasses.dataclass(frozen=True)
class Account:
    """What one printed number is, against one recorded list."""

    index: int            # position in the input, 0-based (shown 1-based as "value N")
    kind: str             # matched | differs | out of order | repeated | other
    repeat: int | None    # the recorded repeat (0-based) it matched, differs from, or is closest to
    digits: int | None = None
    exact: bool = False


@dataclasses.dataclass(frozen=True)
class Match:
    outcome: object          # derive.outcomes.Outcome
    values: tuple            # the recorded list
    meaning: str             # same numbers | same lineage | differs
    matched: tuple           # Accounts of the chain, in order
    against: tuple           # Accounts that break the match: differs and out of order
    missing: tuple           # repeats the chain skips with no printed number in their place

    @property
    def length(self) -> int:
        return len(self.matched)

    @property
    def exact(self) -> int:
        return sum(a.exact for a in self.matched)

    @property
    def digits(self) -> int:
        return min((a.digits for a in self.matched), default=0)

    @property
    def offset(self) -> int:
        return self.matched[0].repeat if self.matched else 0

    @property
    def last(self) -> int:
        return self.matched[-1].repeat if self.matched else 0

    @property
    def key(self):
        """Best first: the most digits matched in order (a list that holds two of ten numbers
        exactly does not outrank the list that holds nine in order with one that differs, and a
        chain of chance 3-digit agreements in a long log does not outrank the printed values),
        then the fewest numbers that break it, then the meaning."""
        rank = {"same numbers": 0, "same lineage": 1, "too few digits": 2}.get(self.meaning, 3)
        return (-sum(a.digits for a in self.matched), len(self.against) + len(self.missing), rank,
                -self.exact, -sum(a.digits or 0 for a in self.against))


class Index:
    """Every distinct recorded list, its values sorted for lookup, and the outcomes holding it."""

    def __init__(self, found: list):
        self.lists = []              # distinct value tuples
        self.holders = []            # per list: the outcomes that hold it
        seen, entries = {}, []
        for outcome in found:
            for values in _lists(outcome):
                if values not in seen:
                    seen[values] = len(self.lists)
                    self.lists.append(values)
                    self.holders.append([])
                    entries += [(float(value), seen[values], repeat) for repeat, value in enumerate(values)
                                if math.isfinite(value)]
                self.holders[seen[values]].append(outcome)
        entries.sort()
        self.values = [e[0] for e in entries]
        self.entries = entries

    def hits(self, printed: list) -> dict:
        """{list id: [(printed index, [repeats], digits, exact)]}: per list, the repeats each printed
        number agrees with best: exact at its printed digits, or to >= LINEAGE_DIGITS digits. Numbers
        printed with fewer than LINEAGE_DIGITS digits are not looked up (too many values round to
        them; `_explain` still places them in a chain's gaps). Linear in the printed numbers (a
        binary search each)."""
        found, known = {}, {}
        for index, number in enumerate(printed):
            if number.significant < LINEAGE_DIGITS or not math.isfinite(number.value):
                continue
            best = known.get(number.text)
            if best is None:
                best = known[number.text] = self._best(number)
            for list_id, (repeats, digits, exact) in best.items():
                found.setdefault(list_id, []).append((index, repeats, digits, exact))
        return found

    def _best(self, number: Printed) -> dict:
        """{list id: ([repeats], digits, exact)}: the repeats of each list one number agrees with best."""
        low, high = _window(number)
        start, stop = bisect.bisect_left(self.values, low), bisect.bisect_right(self.values, high)
        best = {}
        for value, list_id, repeat in self.entries[start:stop]:
            digits, exact = pair(value, number)
            if digits < LINEAGE_DIGITS and not exact:
                continue
            held = best.get(list_id)
            if held is None or digits > held[1]:
                best[list_id] = ([repeat], digits, exact)
            elif digits == held[1]:
                held[0].append(repeat)
        return best


def _chain(hits: list, length: int) -> list:
    """The best sequence of hits with increasing printed index and increasing repeat (one repeat
    per printed number): the most numbers, then the most digits matched, so that a number that
    agrees by chance to 3 digits does not take the place of the printed value itself. Dynamic
    programming over the list's `length` repeats: O(hits x length). Returns [(hit number, repeat)]."""
    ends = [None] * length            # per repeat: (score, node) of the best chain ending there
    for h, (_, repeats, digits, _) in enumerate(hits):
        updates = []
        for repeat in repeats:
            before = max((e for e in ends[:repeat] if e is not None), key=lambda e: e[0], default=None)
            score = (before[0][0] + 1, before[0][1] + digits) if before else (1, digits)
            updates.append((repeat, score, (h, repeat, before[1] if before else None)))
        for repeat, score, node in updates:      # after all lookups: a number extends no chain of its own
            if ends[repeat] is None or score >= ends[repeat][0]:
                ends[repeat] = (score, node)
    best = max((e for e in ends if e is not None), key=lambda e: e[0], default=None)
    chain, node = [], best[1] if best else None
    while node is not None:
        chain.append(node[:2])
        node = node[2]
    return chain[::-1]


def _explain(values: tuple, printed: list, hits: list) -> tuple:
    """(meaning, matched, against, missing) of one recorded list against the input."""
    chain = _chain(hits, len(values))
    in_chain = {h for h, _ in chain}
    matched = [Account(hits[h][0], "matched", repeat, hits[h][2], hits[h][3]) for h, repeat in chain]
    _extend(matched, values, printed)
    # a hit outside the chain breaks it when it agrees as well as the chain's own matches (chance
    # 3-digit agreements in a long log do not break a chain of 9-digit values); with no chain to
    # speak of, every hit does
    floor = min(a.digits for a in matched) if len(matched) >= MIN_RUN else LINEAGE_DIGITS
    used = {a.index for a in matched}
    against, repeated = [], set()
    for h, (index, repeats, digits, exact) in enumerate(hits):
        if h in in_chain or index in used:
            continue
        if index - 1 in used and printed[index].text == printed[index - 1].text:
            repeated.add(index)                    # "loss: x - mse: x": the same number again
        elif digits >= floor:
            against.append(Account(index, "out of order", repeats[0], digits, exact))
    missing, skip = [], used | repeated | {a.index for a in against}
    skips = sorted(skip)
    for before, after in zip(list(matched), matched[1:]):
        gap = list(range(before.repeat + 1, after.repeat))
        if not gap:
            continue
        skipped = bisect.bisect_left(skips, after.index) - bisect.bisect_right(skips, before.index)
        if after.index - before.index - 1 - skipped != len(gap):   # counted, not listed: a log's gap is long
            missing += gap
            continue
        between = [i for i in range(before.index + 1, after.index) if i not in skip]
        for index, repeat in zip(between, gap):       # the numbers standing in the skipped repeats' places
            digits, exact = pair(values[repeat], printed[index])
            if exact:                                 # printed with too few digits to be looked up
                matched.append(Account(index, "matched", repeat, digits, True))
            else:
                against.append(Account(index, "differs", repeat, digits, exact))
    matched.sort(key=lambda a: a.index)
    if len(matched) >= MIN_RUN:
        against += _ends(matched, values, printed, skip)
    if len(matched) < MIN_RUN or against or missing:
        meaning = "differs"
    elif sum(a.digits for a in matched) < MIN_EVIDENCE:
        meaning = "too few digits"
    elif all(a.exact for a in matched):
        meaning = "same numbers"
    elif len(matched) >= LINEAGE_RUN:
        meaning = "same lineage"
    else:
        meaning = "differs"
    return meaning, tuple(matched), tuple(sorted(against, key=lambda a: a.index)), tuple(missing)


def _ends(matched: list, values: tuple, printed: list, skip: set) -> list:
    """The numbers printed in the same list as the chain's first and last numbers (only separators
    between them), before and after the chain: values too, so each differs from the repeat it
    stands for ("value 4 differs"), or lies beyond the recorded list's ends."""
    found = []
    for step, edge in ((-1, matched[0]), (1, matched[-1])):
        index, repeat = edge.index + step, edge.repeat + step
        while 0 <= index < len(printed) and printed[index].run == printed[edge.index].run:
            if index not in skip:
                if 0 <= repeat < len(values):
                    digits, exact = pair(values[repeat], printed[index])
                    found.append(Account(index, "differs", repeat, digits, exact))
                else:
                    found.append(Account(index, "beyond", None))
            index, repeat = index + step, repeat + step
    return found


def _extend(matched: list, values: tuple, printed: list) -> None:
    """Add to the ends of a chain the neighbouring numbers printed with too few digits to be
    looked up (`0.042` for 0.0419989) that are exact at their digits, at the neighbouring repeats."""
    if not matched:
        return
    while matched[0].repeat > 0 and matched[0].index > 0:
        index, repeat = matched[0].index - 1, matched[0].repeat - 1
        digits, exact = pair(values[repeat], printed[index])
        if not exact or printed[index].significant >= LINEAGE_DIGITS:
            break
        matched.insert(0, Account(index, "matched", repeat, digits, True))
    while matched[-1].repeat + 1 < len(values) and matched[-1].index + 1 < len(printed):
        index, repeat = matched[-1].index + 1, matched[-1].repeat + 1
        digits, exact = pair(values[repeat], printed[index])
        if not exact or printed[index].significant >= LINEAGE_DIGITS:
            break
        matched.append(Account(index, "matched", repeat, digits, True))


def identify(printed: list, found: list, index: Index | None = None) -> list:
    """Every outcome whose value lists resemble the numbers (at least MIN_RUN hits), best first;
    `meaning` says whether the record produced them (same numbers), is their lineage, or differs."""
    if not printed:
        raise IdentifyError("no numbers found in the input")
    index = index or Index(found)
    matches = []
    for list_id, hits in index.hits(printed).items():
        if len(hits) < MIN_RUN:
            continue
        values = index.lists[list_id]
        meaning, matched, against, missing = _explain(values, printed, hits)
        for outcome in index.holders[list_id]:
            matches.append(Match(outcome, values, meaning, matched, against, missing))
    return sorted(matches, key=lambda m: (m.key, m.outcome.cell_name, m.outcome.scenario,
                                          m.outcome.recipe, m.outcome.machine))


def found_them(matches: list) -> bool:
    """Whether some record gives these numbers or their lineage (the command's exit status 0)."""
    return bool(matches) and matches[0].meaning in ("same numbers", "same lineage")


def _lists(outcome) -> list:
    """The distinct value lists of an outcome's record (first ok replay first)."""
    lists = [tuple(outcome.values)] if outcome.values is not None else []
    for extra in getattr(outcome, "all_values", ()) or ():
        if tuple(extra) not in lists:
            lists.append(tuple(extra))
    return lists
