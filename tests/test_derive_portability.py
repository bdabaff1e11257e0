"""Portability verdicts across machines, on synthetic records with known values."""
from harness.derive import portability as port
from support import load, write_record

A, B = [0.5, 0.25], [0.5, 0.25 * (1 + 3e-7)]      # B differs from A at one repeat: 6 digits


def judge(tmp_path):
    return {(i.cell, i.recipe): i for i in port.portability(load(tmp_path)[1])}


def test_portable_differs_not_repeatable_failed_and_single_machine(tmp_path):
    for machine in ("m1", "m2", "m3"):
        write_record(tmp_path, "same", "full", [A, A], machine=machine)
    write_record(tmp_path, "split", "full", [A, A], machine="m1")
    write_record(tmp_path, "split", "full", [B, B], machine="m2")
    write_record(tmp_path, "split", "full", [A, A], machine="m3")
    write_record(tmp_path, "noisy", "numpy", [A, B], machine="m1")
    write_record(tmp_path, "noisy", "numpy", [A, A], machine="m2")
    write_record(tmp_path, "broke", "full", [A, A], machine="m1")
    write_record(tmp_path, "broke", "full", [A], statuses=["crashed"], machine="m2")
    write_record(tmp_path, "alone", "full", [A, A], machine="m1")
    write_record(tmp_path, "racy", "full", [A, B], machine="m1")
    write_record(tmp_path, "racy", "full", [B, A], machine="m2")
    found = judge(tmp_path)
    assert ("alone", "full") not in found                    # one machine: nothing to say
    same = found[("same", "full")]
    assert same.kind == "portable" and same.digits == 17 and same.machines == ("m1", "m2", "m3")
    assert port.label(same) == "portable"
    split = found[("split", "full")]
    assert split.kind == "differs" and split.digits == 6
    assert [machines for _, machines in split.groups] == [("m1", "m3"), ("m2",)]
    assert port.label(split, short=lambda m: m) == "differs, 6 digits (m1,m3 | m2)"
    noisy = found[("noisy", "numpy")]
    assert noisy.kind == "not-repeatable" and noisy.digits == 17   # first replays agree
    assert noisy.unrepeatable == ("m1",)                           # m2 repeats itself
    assert port.label(noisy, short=lambda m: m) == \
        "not repeatable on m1; first processes give the same doubles (m1,m2)"
    broke = found[("broke", "full")]
    assert broke.kind == "failed" and broke.failed_on == ("m2",) and port.label(broke, str) == "failed on m2"
    racy = found[("racy", "full")]
    assert port.label(racy, short=lambda m: m) == \
        "not repeatable on m1, m2; first processes agree to 6 digits (m1 | m2)"
    assert port.summary(found.values()) == {"portable": 1, "differs": 1, "not-repeatable": 2, "failed": 1}


def test_real_records_of_two_machines(root, tmp_path):
    """Keras 2.0.3 + Theano 0.9 is portable between the Intel AVX-512 and the AMD AVX2 machine;
    + TF 1.1 `strict` is bitwise on each but differs between them (6e6a5dc0 vs beb1d53d)."""
    from harness.ops import merge
    merge.merge([root / "tests/data/results", root / "tests/data/second-machine/results"], tmp_path)
    found = judge(tmp_path)
    assert found[("keras2.0.3-theano0.9.0-python3.6", "numpy")].kind == "portable"
    tf1 = found[("keras2.0.3-tensorflow1.1.0-python3.6", "strict")]
    assert tf1.kind == "differs" and [fp for fp, _ in tf1.groups] == ["6e6a5dc0", "beb1d53d"]
