"""`harness identify` on numbers printed the way logs and papers print them, taken from the
second machine's raw records (lists this test did not produce), against the committed results."""
import json
import subprocess
import sys

import pytest

from harness.derive import identify
from support import load

SECOND = "tests/data/second-machine/results/records"
THEANO = "keras2.0.3-theano0.9.0-python3.6"
TFK = "tf.keras-tensorflow2.12.1-python3.11"
TORCH = "keras3.15.1-torch2.13.0-python3.11"


@pytest.fixture(scope="module")
def found(root):
    return load(root / "results")[1]


def raw_values(root, cell, recipe, replay=0):
    data = json.loads((root / SECOND / cell / "canonical_mlp" / f"{recipe}.json").read_text())
    return [float.fromhex(h) for h in data["replays"][replay]["values_hex"]]


def best(text, found):
    matches = identify.identify(identify.parse(text), found)
    top = [m for m in matches if m.meaning == matches[0].meaning and m.length == matches[0].length] if matches else []
    return matches, {(m.outcome.cell_name, m.outcome.machine) for m in top}


def test_parse_keeps_printed_precision_and_skips_integers():
    got = identify.parse("Epoch 3/100 repeat 1: MSE: 0.0123, np.float64(1.5e-05) and -2. [7]")
    assert [(p.value, p.significant) for p in got] == [(0.0123, 3), (1.5e-05, 2), (-2.0, 1)]
    assert identify.parse("0.10000000000000001")[0].significant == 17


def test_six_digits_in_a_log_name_the_theano_stack_on_both_machines(root, found):
    values = raw_values(root, THEANO, "numpy")
    text = "Using Theano backend.\n" + "\n".join(f"run {i}: MSE: {v:.6g}" for i, v in enumerate(values))
    matches, stacks = best(text, found)
    assert matches[0].meaning == "same numbers" and matches[0].length == 10
    assert {cell for cell, _ in stacks} == {THEANO, "keras2.0.3-theano0.9.0-python2.7"}
    assert {machine for _, machine in stacks} == {"b84f6cf6f9", "dc84521ea4"}


def test_python2_seventeen_digit_reprs_are_the_same_doubles(root, found):
    values = raw_values(root, THEANO, "full")
    text = "[" + ", ".join("%.17g" % v for v in values) + "]"
    matches, _ = best(text, found)
    assert matches[0].meaning == "same numbers" and matches[0].digits == 17


def test_twelve_digits_tell_the_machine_apart(root, found):
    """tf.keras 2.12 `full` from the AMD machine: its own records match exactly; the Intel
    machine's list (ea719136) is the same lineage, 6 digits."""
    values = raw_values(root, TFK, "full")[:6]
    text = " ".join(f"{v:.12g}" for v in values)
    matches, stacks = best(text, found)
    assert matches[0].meaning == "same numbers"
    assert all(machine == "dc84521ea4" for _, machine in stacks) and (TFK, "dc84521ea4") in stacks
    intel = [m for m in matches if m.outcome.machine == "b84f6cf6f9" and m.outcome.cell_name == TFK
             and m.outcome.recipe == "full"]
    assert intel and intel[0].meaning == "same lineage" and intel[0].digits == 6


def test_a_paper_table_with_eight_digits_and_surrounding_text(root, found):
    values = raw_values(root, TORCH, "strict")
    text = ("Table 2: test MSE over 3 seeds (lr=0.001, 100 epochs)\n"
            + " & ".join(f"{v:.8f}" for v in values[:4]) + r" \\")
    matches, stacks = best(text, found)
    assert matches[0].meaning == "same numbers" and stacks == {(TORCH, "dc84521ea4")}
    intel = next(m for m in matches if m.outcome.machine == "b84f6cf6f9" and m.outcome.cell_name == TORCH)
    assert intel.meaning == "same lineage" and 3 <= intel.digits < 8    # 5 digits over all 10 repeats


def test_unrelated_numbers_give_no_match_and_exit_1(root):
    done = subprocess.run([sys.executable, "-m", "harness", "identify", "0.4242", "0.1717", "0.9191"],
                          cwd=root, capture_output=True, text=True)
    assert done.returncode == 1 and "no match" in done.stdout
    empty = subprocess.run([sys.executable, "-m", "harness", "identify", "no numbers here"],
                           cwd=root, capture_output=True, text=True)
    assert empty.returncode == 2 and "no decimal numbers" in empty.stderr


def test_command_reads_a_file(root, tmp_path):
    values = raw_values(root, TFK, "strict", replay=1)
    log = tmp_path / "train.log"
    log.write_text("".join(f"Epoch 100/100\nloss: 0.0123 - mse: {v:.9g}\n" for v in values[:3]))
    done = subprocess.run([sys.executable, "-m", "harness", "identify", "--file", str(log)],
                          cwd=root, capture_output=True, text=True)
    assert done.returncode == 0 and "best: same numbers" in done.stdout and TFK in done.stdout
