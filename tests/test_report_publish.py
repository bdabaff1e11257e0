"""Published tables from committed real records (Python 3.6 stacks): golden files, byte-identical
regeneration, and values traced back to the raw records independently of the table code."""
import hashlib
import json
import os

import pytest

from harness import cli
from harness.report import publish as publishing
from support import load, write_environment, write_record

GOLDEN_NAMES = ("matrix.md", "matrix.csv")


@pytest.fixture
def fixture_results(root):
    return root / "tests" / "data" / "results"


class publish:
    """publish(results, out) as the CLI does it: load once, derive, write."""
    README_START, README_END = publishing.README_START, publishing.README_END
    update_readme = staticmethod(publishing.update_readme)

    @staticmethod
    def publish(results, out, readme=None):
        rs, found = load(results)
        return publishing.publish(rs, found, out, readme)


def test_golden_tables(fixture_results, root, tmp_path):
    publish.publish(fixture_results, tmp_path)
    golden = root / "tests" / "golden"
    if os.environ.get("HARNESS_REGENERATE_GOLDEN"):
        for name in GOLDEN_NAMES:
            (golden / name).write_text((tmp_path / name).read_text())
    for name in GOLDEN_NAMES:
        assert (tmp_path / name).read_text() == (golden / name).read_text(), name


def test_regeneration_is_byte_identical(fixture_results, tmp_path):
    first = publish.publish(fixture_results, tmp_path / "a")
    second = publish.publish(fixture_results, tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_table_values_match_the_raw_records(fixture_results, tmp_path):
    """Recompute one verdict by hand from the JSON: identical hex lists -> bitwise + sha256 prefix."""
    raw = json.loads((fixture_results / "records" / "keras2.0.3-theano0.9.0-python3.6" / "canonical_mlp"
                      / "numpy.json").read_text())
    lists = [r["values_hex"] for r in raw["replays"]]
    assert len(lists) == 3 and all(h == lists[0] for h in lists)
    expected = hashlib.sha256(",".join(lists[0]).encode()).hexdigest()[:8]
    publish.publish(fixture_results, tmp_path)
    row = [line for line in (tmp_path / "matrix.md").read_text().splitlines() if "theano0.9.0" in line][0]
    assert f"bitwise {expected}" in row
    assert "0.9.0" in row and "2.0.3" in row and "3.6.15" in row   # observed versions


def test_html_is_self_contained(fixture_results, tmp_path):
    publish.publish(fixture_results, tmp_path)
    page = (tmp_path / "matrix.html").read_text()
    assert "data:image/png;base64," in page and "http" not in page.replace("http-equiv", "")


def test_readme_block_is_replaced_between_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{publish.README_START}\nold table\n{publish.README_END}\nrest\n")
    assert publish.update_readme(readme, "| new |\n")
    assert readme.read_text() == f"intro\n{publish.README_START}\n| new |\n{publish.README_END}\nrest\n"
    other = tmp_path / "OTHER.md"
    other.write_text("no markers\n")
    assert not publish.update_readme(other, "x") and other.read_text() == "no markers\n"


def test_two_machines_give_portability_and_per_machine_views(root, tmp_path):
    """The real records of two machines merged: every default cell and seeded recipe gets a
    portability verdict read independently here from the raw schema-1 files."""
    results = tmp_path / "results"
    intel, amd = root / "tests/data/results", root / "tests/data/second-machine/results"
    assert cli.main(["--results", str(results), "merge", str(intel), str(amd)]) == 0
    assert cli.main(["--results", str(results), "publish", "--no-readme"]) == 0
    text = (results / "portability.md").read_text()

    def fingerprint(folder, cell, recipe):
        raw = json.loads((folder / "records" / cell / "canonical_mlp" / f"{recipe}.json").read_text())
        hexes = {",".join(r["values_hex"]) for r in raw["replays"]}
        return hashlib.sha256(hexes.pop().encode()).hexdigest()[:8] if len(hexes) == 1 else None

    for cell in ("keras2.0.3-theano0.9.0-python3.6", "keras2.0.3-tensorflow1.1.0-python3.6"):
        for recipe in ("numpy", "tutorial", "full", "strict"):
            a, b = fingerprint(intel, cell, recipe), fingerprint(amd, cell, recipe)
            row = next(l for l in text.splitlines() if l.startswith(f"| `{cell}` | canonical_mlp | {recipe} |"))
            if a and a == b:
                assert "| portable |" in row and f"`{a}`: b84f, dc84" in row
            elif a and b:
                assert "| differs, " in row and f"`{a}`: b84f" in row and f"`{b}`: dc84" in row
            else:
                assert "not repeatable" in row
    assert "| strict | differs, 6 digits" in text     # TF 1.1 strict: 6e6a5dc0 vs beb1d53d
    matrix = (results / "matrix.md").read_text()
    assert "portable: numpy, tutorial, full, strict" in matrix and "differs: strict 6d" in matrix
    # schema-1 records predate recorded inputs: published, marked stale (†), never current
    assert "bitwise 6e6a5dc0 x3 (provisional) † [Eigen on Intel: b84f] · bitwise beb1d53d x3 (provisional) † [Eigen on AMD: dc84]" in matrix
    for machine in ("b84f6cf6f9", "dc84521ea4"):
        view = (results / "by-machine" / f"{machine}.md").read_text()
        assert f"`{machine}`" in view and "keras2.0.3-theano0.9.0-python3.6" in view


def test_failures_carry_their_reason_and_text_is_escaped(tmp_path):
    path = write_record(tmp_path, "k", "full", [[0.5], [0.5]], statuses=["crashed", "ok"])
    data = json.loads(path.read_text())
    data["replays"][0]["error_summary"] = "TypeError: <b>bold</b> in <module>"
    path.write_text(json.dumps(data))
    write_environment(tmp_path, "gone", status="install-failed")
    write_record(tmp_path, "near", "numpy", [[1.0], [1.04]])
    publish.publish(tmp_path, tmp_path / "out")
    matrix = (tmp_path / "out" / "matrix.md").read_text()
    assert "full: crashed: TypeError: &lt;b&gt;bold" in matrix   # the reason, not only "crashed"
    assert "install-failed: no such package" in matrix
    assert "diverged, 1 digit |" in matrix and "1 digits" not in matrix
    assert "<b>" not in matrix and "†" not in matrix      # no raw HTML; failures are not stale


def test_keras_version_from_the_installed_package_when_the_module_has_none(tmp_path):
    write_record(tmp_path, "tfk", "full", [[0.5], [0.5]], api="tf-keras", backend="tensorflow")
    path = tmp_path / "records" / "m" / "tfk" / "canonical_mlp" / "full.json"
    data = json.loads(path.read_text())
    for replay in data["replays"]:
        replay["observed"] = {"keras": None, "keras_module": "tf_keras.api._v2.keras", "python": "3.11.7"}
    path.write_text(json.dumps(data))
    write_environment(tmp_path, "tfk", api="tf-keras", backend="tensorflow",
                      packages=["keras==3.5.0", "tf_keras==2.16.0", "tensorflow==2.16.2"])
    (outcome,) = load(tmp_path)[1]
    assert outcome.observed["keras"] == "2.16.0"


def test_publish_refuses_a_missing_or_empty_results_directory_and_keeps_the_readme(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(f"x\n{publishing.README_START}\nkeep\n{publishing.README_END}\n")
    (tmp_path / "empty").mkdir()
    for folder in (tmp_path / "typo", tmp_path / "empty"):
        assert cli.main(["--results", str(folder), "publish"]) == 2
        assert "error" in capsys.readouterr().err
    assert "keep" in readme.read_text()


def test_machines_that_say_the_same_are_grouped_and_named_by_class():
    from harness.report.tables import _per_machine
    texts = {"b84f6cf6f9": "bitwise ea719136 x3 (provisional)", "122c9f5a22": "bitwise ea719136 x5",
             "dc84521ea4": "bitwise e6264cbd x3 (provisional)", "fc9bdb106a": "bitwise e6264cbd x5"}
    classes = {"b84f6cf6f9": "oneDNN on", "122c9f5a22": "oneDNN on", "dc84521ea4": "oneDNN off",
               "fc9bdb106a": "oneDNN off"}
    assert _per_machine(texts, classes) == ("bitwise ea719136 x3/x5 (provisional on b84f) [oneDNN on: b84f 122c]"
                                            " · bitwise e6264cbd x3/x5 (provisional on dc84) [oneDNN off: dc84 fc9b]")
    assert _per_machine({"a" * 10: "diverged, 0 digits", "b" * 10: "diverged, 0 digits"}) == "diverged, 0 digits"
    assert _per_machine({"a" * 10: "bitwise 11111111 x5", "b" * 10: "bitwise 11111111 x10"}) == "bitwise 11111111 x5/x10"
