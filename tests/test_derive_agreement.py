"""Cross-environment agreement and lineages on synthetic value lists with known digits."""
from harness.derive import agreement
from harness.derive.samples import Sample
from harness.report import agreement as agreement_report

BASE = [0.5, 0.25, 0.125]


def sample(cell, values, rank, recipe="full"):
    return Sample("m", cell, "canonical_mlp", recipe, tuple(values), f"records/m/{cell}/x.json", (rank,))


def family():
    """a == b bitwise; c differs from a by a relative 6e-5 at one repeat (4 digits); d is
    unrelated (digit 0); e is d with a relative 2e-2 change (1 digit: not near-identical)."""
    c = list(BASE)
    c[1] = 0.25 * (1 + 6e-5)
    d = [0.9, 0.8, 0.7]
    e = [0.9 * 1.02, 0.8, 0.7]
    return [sample("a", BASE, 0), sample("d", d, 1), sample("b", BASE, 2), sample("e", e, 3),
            sample("c", c, 4)]


def test_pairwise_digits_are_the_known_ones():
    (comparison,) = agreement.compare(family())
    assert comparison.between("a", "b") == 17
    assert comparison.between("a", "c") == 4      # -log10(6e-5 / (1 + 6e-5)) = 4.22
    assert comparison.between("c", "a") == 4
    assert comparison.between("a", "d") == 0      # |0.5 - 0.9| / 0.9 = 0.44
    assert comparison.between("d", "e") == 1      # 0.02 * 0.9 / 0.918 = 0.0196 -> 1.7
    assert comparison.between("e", "e") == 17


def test_lineages_group_near_identical_cells_in_cell_order():
    (comparison,) = agreement.compare(family())
    groups = agreement.lineages(comparison)
    assert [g.cells for g in groups] == [["a", "b", "c"], ["d"], ["e"]]
    first = groups[0]
    assert first.bitwise == [["a", "b"], ["c"]] and first.kind == "lineage" and first.min_digits == 4
    assert [g.kind for g in groups[1:]] == ["alone", "alone"]
    assert agreement.lineage_order(comparison) == ["a", "b", "c", "d", "e"]


def test_a_group_of_identical_lists_is_bitwise():
    (comparison,) = agreement.compare([sample("x", BASE, 0), sample("y", BASE, 1)])
    (group,) = agreement.lineages(comparison)
    assert group.kind == "bitwise" and group.min_digits == 17 and len(group.fingerprints) == 1


def test_lineages_chain_and_report_the_weakest_link():
    # 1.0 ~ 1.0009 (3 digits) ~ 1.0018 (3 digits) but 1.0 vs 1.0018 share only 2 digits
    found = [sample("p", [1.0], 0), sample("q", [1.0009], 1), sample("r", [1.0018], 2)]
    (comparison,) = agreement.compare(found)
    assert comparison.between("p", "r") == 2
    (group,) = agreement.lineages(comparison)
    assert group.cells == ["p", "q", "r"] and group.min_digits == 2
    assert [g.cells for g in agreement.lineages(comparison, threshold=4)] == [["p"], ["q"], ["r"]]


def test_comparisons_are_per_recipe_and_the_matrix_is_symmetric():
    found = [sample("a", BASE, 0, "full"), sample("b", [0.1, 0.2, 0.3], 1, "full"),
             sample("a", BASE, 0, "strict"), sample("b", BASE, 1, "strict")]
    full, strict = agreement.compare(found)
    assert (full.recipe, strict.recipe) == ("full", "strict")
    assert agreement.matrix(full) == [[17, 0], [0, 17]]
    assert agreement.matrix(strict) == [[17, 17], [17, 17]]


def test_markdown_names_lineages_and_records():
    (comparison,) = agreement.compare(family())
    text = agreement_report.markdown(comparison)
    assert "records/m/c/x.json" in text
    row_c = next(line for line in text.splitlines() if line.startswith("| C3 | c |"))
    assert row_c.endswith("| 4 | 4 | = | 0 | 0 |")    # lineage order a, b, c, d, e
