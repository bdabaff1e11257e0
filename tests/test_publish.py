"""Published tables from committed real records (Python 3.6 stacks): golden files, byte-identical
regeneration, and values traced back to the raw records independently of the table code."""
import hashlib
import json
import os

import pytest

from harness import publish

GOLDEN_NAMES = ("matrix.md", "matrix.csv")


@pytest.fixture
def fixture_results(root):
    return root / "tests" / "data" / "results"


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
