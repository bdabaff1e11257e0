"""`harness identify` on numbers printed the way logs and papers print them, and on perturbed lists
that no record produced (one value altered, shuffled, reversed, another scenario's, random).

The records matched against are the test's own: unchanged copies of committed records of both
machines (tests/data/identify, see its README), copied into tmp_path; the lists printed come from
the second machine's raw schema-1 records (tests/data/second-machine) or from those copies. Only
the last test reads the live results/ directory, and it says so.
"""
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.derive import identify
from harness.report import identify as identify_report
from support import load

DATA = Path(__file__).parent / "data"
SECOND = DATA / "second-machine" / "results" / "records"
THEANO = "keras2.0.3-theano0.9.0-python3.6"
TFK = "tf.keras-tensorflow2.12.1-python3.11"
TORCH = "keras3.15.1-torch2.13.0-python3.11"
TF11 = "keras2.0.3-tensorflow1.1.0-python3.6"
AMD, INTEL = "dc84521ea4", "b84f6cf6f9"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("identify") / "results"
    shutil.copytree(DATA / "identify", root, ignore=shutil.ignore_patterns("README.md"))
    return root


@pytest.fixture(scope="module")
def found(results):
    return load(results)[1]


def raw_values(cell, recipe, replay=0):
    data = json.loads((SECOND / cell / "canonical_mlp" / f"{recipe}.json").read_text())
    return [float.fromhex(h) for h in data["replays"][replay]["values_hex"]]


def recorded(results, machine, cell, scenario, recipe, replay=0):
    data = json.loads((results / "records" / machine / cell / scenario / f"{recipe}.json").read_text())
    return data["replays"][replay]["values"]


def best(text, found):
    matches = identify.identify(identify.parse(text), found)
    top = [m for m in matches if m.meaning == matches[0].meaning and m.length == matches[0].length] if matches else []
    return matches, {(m.outcome.cell_name, m.outcome.machine) for m in top}


def harness(results, *args, stdin=None):
    return subprocess.run([sys.executable, "-m", "harness", "--results", str(results), "identify", *args],
                          capture_output=True, text=True, input=stdin, timeout=120,
                          cwd=Path(__file__).resolve().parent.parent)


def printed(values, digits):
    return " ".join(f"{v:.{digits}g}" for v in values)


# ------------------------------------------------------------------------------------- reading
def test_parse_keeps_printed_precision_and_skips_integers():
    got = identify.parse("Epoch 3/100 repeat 1: MSE: 0.0123, np.float64(1.5e-05) and -2. [7]")
    assert [(p.value, p.significant) for p in got] == [(0.0123, 3), (1.5e-05, 2), (-2.0, 1)]
    assert identify.parse("0.10000000000000001")[0].significant == 17


def test_signs_infinities_and_nan_are_values():
    got = identify.parse("loss: -inf, +0.5 then nan and inf; -1.25e-3 (Infinity) NaN")
    assert [p.text for p in got] == ["-inf", "+0.5", "nan", "inf", "-1.25e-3", "Infinity", "NaN"]
    values = [p.value for p in got]
    assert values[0] == float("-inf") and values[3] == values[5] == float("inf")
    assert values[1] == 0.5 and values[4] == -0.00125 and values[2] != values[2]
    # words that merely contain the letters are not numbers
    assert identify.parse("information nano infer finance") == []


def test_binary_input_is_read_only_in_its_printable_runs():
    garbage = random.Random(7).randbytes(200_000)
    text, binary = identify.text_of(garbage + b"\x00 loss 0.1234567 \x00")
    assert binary and "0.1234567" in text
    numbers = identify.parse(text)       # whatever the printable runs hold; never an exception
    assert numbers[-1].text == "0.1234567"
    text, binary = identify.text_of("résumé: 0.25 — 0.5\n".encode())
    assert not binary and [p.value for p in identify.parse(text)] == [0.25, 0.5]


def test_binary_file_and_minus_inf_on_the_command_line(results, tmp_path):
    blob = tmp_path / "model.bin"
    blob.write_bytes(bytes(range(256)) * 64 + b"\x00\x01\x02")
    done = harness(results, "--file", str(blob))
    assert done.returncode in (1, 2) and "Traceback" not in done.stderr
    assert done.returncode == 1 or "no numbers found" in done.stderr
    done = harness(results, "--", "-inf", "0.5", "nan")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "read 3 number(s): -inf, 0.5, nan" in done.stdout
    done = harness(results, stdin="-inf 0.25\n")
    assert done.returncode == 1 and "read 2 number(s): -inf, 0.25" in done.stdout


def _log(values, lines):
    """A Keras-like training log of about `lines` lines, with `values` printed among them."""
    rng = random.Random(len(values) + lines)
    out, step = [], max(1, lines // (len(values) + 1))
    for line in range(lines):
        out.append(f"Epoch {line % 100 + 1}/100 - 0s - loss: {rng.random():.4f} - "
                   f"val_loss: {rng.uniform(0.5, 9):.6f} - lr: 0.001\n")
        if line % step == 0 and line // step < len(values):
            out.append(f"repeat {line // step}: test MSE {values[line // step]:.9g}\n")
    return "".join(out)


def test_parsing_and_matching_are_linear_in_the_input(found):
    values = raw_values(TFK, "full")
    index = identify.Index(found)
    seconds = {}
    for lines in (2_000, 20_000):
        text = _log(values, lines)
        started = time.perf_counter()
        matches = identify.identify(identify.parse(text), found, index)
        seconds[lines] = time.perf_counter() - started
        assert matches[0].meaning == "same numbers" and matches[0].length == 10
    # ten times the input: linear takes about 10x, quadratic 100x; allow for a loaded machine
    assert seconds[20_000] < 30 * max(seconds[2_000], 0.01), seconds


# ------------------------------------------------------------------------- right input, right answer
def test_six_digits_in_a_log_name_the_theano_stack_on_both_machines(found):
    values = raw_values(THEANO, "numpy")
    text = "Using Theano backend.\n" + "\n".join(f"run {i}: MSE: {v:.6g}" for i, v in enumerate(values))
    matches, stacks = best(text, found)
    assert matches[0].meaning == "same numbers" and matches[0].length == 10
    assert {cell for cell, _ in stacks} == {THEANO, "keras2.0.3-theano0.9.0-python2.7"}
    assert {machine for _, machine in stacks} == {INTEL, AMD}


def test_python2_seventeen_digit_reprs_are_the_same_doubles(found):
    values = raw_values(THEANO, "full")
    text = "[" + ", ".join("%.17g" % v for v in values) + "]"
    matches, _ = best(text, found)
    assert matches[0].meaning == "same numbers" and matches[0].digits == 17


def test_twelve_digits_tell_the_machine_apart(found):
    """tf.keras 2.12 `full` from the AMD machine: its own records match exactly; the Intel
    machine's list (ea719136) is the same lineage, 6 digits."""
    values = raw_values(TFK, "full")[:6]
    matches, stacks = best(printed(values, 12), found)
    assert matches[0].meaning == "same numbers"
    assert stacks == {(TFK, AMD)}
    intel = [m for m in matches if m.outcome.machine == INTEL and m.outcome.cell_name == TFK
             and m.outcome.recipe == "full"]
    assert intel and intel[0].meaning == "same lineage" and intel[0].digits == 6


def test_a_paper_table_with_eight_digits_and_surrounding_text(found):
    values = raw_values(TORCH, "strict")
    text = ("Table 2: test MSE over 3 seeds (lr=0.001, 100 epochs)\n"
            + " & ".join(f"{v:.8f}" for v in values[:4]) + r" \\")
    matches, stacks = best(text, found)
    assert matches[0].meaning == "same numbers" and stacks == {(TORCH, AMD)}
    intel = next(m for m in matches if m.outcome.machine == INTEL and m.outcome.cell_name == TORCH)
    assert intel.meaning == "same lineage" and 3 <= intel.digits < 8


def test_command_reads_a_file_and_accounts_for_every_number(results, tmp_path):
    values = raw_values(TFK, "strict", replay=1)
    log = tmp_path / "train.log"
    log.write_text("".join(f"Epoch 100/100\nloss: 0.0123 - mse: {v:.9g}\n" for v in values[:3]))
    done = harness(results, "--file", str(log))
    assert done.returncode == 0 and "best: same numbers" in done.stdout and TFK in done.stdout
    # 6 numbers read: 3 matched, the three losses accounted as not in the list
    assert "for the 3 matched number(s) only; the other 3 of the 6 read are accounted for below" in done.stdout
    assert "matched: 3 value(s) at repeats 1-3 of 10, in order (3 exact at the printed precision, " \
           "9 digits or more)" in done.stdout
    assert "not in this list: 3 value(s): 1 (0.0123), 3 (0.0123), 5 (0.0123)" in done.stdout
    full = tmp_path / "full.txt"
    full.write_text("\n".join(repr(v) for v in values))
    done = harness(results, "--file", str(full))
    assert "(10 exact at the printed precision, every digit printed)" in done.stdout, done.stdout
    assert "= digits" not in done.stdout


def test_every_number_is_counted_once_per_match(found):
    values = raw_values(TFK, "full")
    text = _log(values, 300)
    numbers = identify.parse(text)
    for match in identify.identify(numbers, found)[:20]:
        lines = identify_report.accounting(match, numbers)
        counted = match.length + len(match.against)
        for line in lines:
            for kind in ("repeated: ", "not in this list: "):
                if line.startswith(kind):
                    counted += int(line[len(kind):].split()[0])
        assert counted == len(numbers), lines


def test_counts_match_the_list_printed(results):
    """tf.keras 2.12 `full` and `strict` on the Intel machine are one list (ea719136): the numbers
    come from two records of one (cell, machine) pair, and the output says both counts."""
    values = recorded(results, INTEL, TFK, "canonical_mlp", "full")
    done = harness(results, printed(values, 10))
    assert done.returncode == 0
    rows = [line for line in done.stdout.splitlines() if line.startswith("| same numbers")]
    assert len(rows) == 2 and {TFK} == {row.split(" | ")[2] for row in rows}
    assert f"2 record(s) give these numbers at the printed precision, from 1 (cell, machine) pair(s): " \
           f"{TFK} on {INTEL}" in done.stdout
    limited = harness(results, "--top", "1", printed(values, 10))
    assert len([line for line in limited.stdout.splitlines() if line.startswith("| same numbers")]) == 1
    assert "(1 more record(s) alike not listed; --top shows more)" in limited.stdout


# ---------------------------------------------------------- perturbed lists: no record produced them
def _lists(results):
    """(machine, cell, scenario, recipe, values) of every fixture record with 5+ distinct values."""
    found = []
    for path in sorted((results / "records").glob("*/*/*/*.json")):
        data = json.loads(path.read_text())
        values = data["replays"][0].get("values") or []
        if len(set(values)) >= 5:
            found.append((path.parts[-4], path.parts[-3], path.parts[-2], path.stem, values))
    return found


def test_one_altered_value_is_named_and_no_record_is(results, found):
    for *_, values in _lists(results):
        altered = list(values)
        altered[3] *= 1.002                               # the 4th value, changed in its 3rd digit
        matches = identify.identify(identify.parse(printed(altered, 6)), found)
        assert not identify.found_them(matches)
        top = matches[0]
        assert top.meaning == "differs" and top.length == 9
        assert [(a.index, a.kind, a.repeat) for a in top.against] == [(3, "differs", 3)]
        # its own list is among the closest (another machine's may print the same 6 digits)
        assert tuple(values) in {m.values for m in matches if m.key == top.key}
    values = _lists(results)[0][-1]
    altered = list(values)
    altered[3] *= 1.002
    done = harness(results, printed(altered, 6))
    assert done.returncode == 1 and "best:" not in done.stdout
    assert f"value 4 differs: {altered[3]:.6g} against {values[3]:.6g} (repeat 4," in done.stdout


def test_an_altered_first_or_last_value_or_an_extra_one_is_named(results, found):
    values = recorded(results, AMD, TF11, "canonical_mlp", "strict")
    for position in (0, 9):
        altered = list(values)
        altered[position] *= 1.01
        matches = identify.identify(identify.parse("MSE per run: " + printed(altered, 9)), found)
        assert not identify.found_them(matches)
        assert [(a.index, a.kind) for a in matches[0].against] == [(position, "differs")]
    # one more number in the same list than the record has repeats: it is not the record's
    matches = identify.identify(identify.parse(printed(values + [0.5], 9)), found)
    assert not identify.found_them(matches)
    assert [(a.index, a.kind) for a in matches[0].against] == [(10, "beyond")]
    # ... but a log's other numbers, on lines of their own, are only "not in this list"
    log = "".join(f"epoch 10 loss: 0.5 - mse: {v:.9g}\n" for v in values)
    matches = identify.identify(identify.parse(log), found)
    assert identify.found_them(matches) and matches[0].meaning == "same numbers"


def test_shuffled_and_reversed_lists_are_not_the_same_numbers(results, found):
    rng = random.Random(3)
    for *_, values in _lists(results):
        shuffled = list(values)
        while shuffled == values:
            rng.shuffle(shuffled)
        for numbers in (shuffled, values[::-1]):
            matches = identify.identify(identify.parse(printed(numbers, 8)), found)
            assert not identify.found_them(matches), numbers
            assert any(a.kind == "out of order" for a in matches[0].against)


def test_reversed_short_lists_of_near_equal_repeats_are_not_a_lineage(results, found):
    """The dropout scenarios' three repeats agree to 3 digits with each other; reversed, they were
    once called "same lineage" of their own record."""
    for recipe in ("none", "numpy", "tutorial", "full", "strict"):
        for replay in range(3):
            values = recorded(results, AMD, TF11, "dropout_unseeded", recipe, replay)
            if values[::-1] == values:
                continue
            for digits in (4, 6, 9):
                matches = identify.identify(identify.parse(printed(values[::-1], digits)), found)
                assert not identify.found_them(matches), (recipe, replay, digits)


def test_truncated_lists_are_still_their_record(results, found):
    for machine, cell, scenario, recipe, values in _lists(results):
        matches, stacks = best(printed(values[:4], 7), found)
        assert matches[0].meaning == "same numbers" and (cell, machine) in stacks
        assert any(m.outcome.scenario == scenario and m.outcome.recipe == recipe for m in matches
                   if m.meaning == "same numbers")


def test_another_scenarios_list_names_that_scenario_only(results, found):
    values = recorded(results, AMD, TF11, "embedding", "strict")
    matches = identify.identify(identify.parse(printed(values, 6)), found)
    named = {m.outcome.scenario for m in matches if m.meaning in ("same numbers", "same lineage")}
    assert named == {"embedding"}


def test_random_numbers_name_no_record(results, found):
    rng = random.Random(11)
    for _ in range(40):
        numbers = [rng.uniform(1e-4, 0.3) for _ in range(8)]
        for digits in (4, 6):
            matches = identify.identify(identify.parse(printed(numbers, digits)), found)
            assert not identify.found_them(matches)
    done = harness(results, "0.4242", "0.1717", "0.9191")
    assert done.returncode == 1 and "no match" in done.stdout
    empty = harness(results, "no numbers here")
    assert empty.returncode == 2 and "no numbers found" in empty.stderr


# ---------------------------------------------------------------- about the committed records
def test_the_docs_example_on_the_committed_records(root):
    """About the committed results/ (not a fixture): the example of docs/questions.md names the
    second machine's Keras 2.0.3 + TF 1.1 `strict`, whatever other machines' records a user's runs
    have added beside it."""
    done = subprocess.run([sys.executable, "-m", "harness", "identify",
                           "MSE per run: 0.224316076, 0.00151651131, 0.00386284175, 0.0290917019"],
                          cwd=root, capture_output=True, text=True, timeout=300)
    if "no such results directory" in done.stderr:
        pytest.skip("no committed results/ in this checkout")
    assert done.returncode == 0 and "best: same numbers" in done.stdout
    rows = [line for line in done.stdout.splitlines() if line.startswith("| same numbers")]
    assert any(TF11 in row and "| strict |" in row and AMD in row for row in rows)
