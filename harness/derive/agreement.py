"""Cross-environment agreement: how many digits two cells' seeded value lists share, and which
cells form lineages.

For one (machine, scenario, recipe), every pair of cells is compared with `verdicts.list_digits` on the
first ok replay of each cell (17 = bitwise identical lists).

Groups, reported so that a reader sees which stacks compute "the same thing":
  * a bitwise group is a set of cells whose lists are identical double for double;
  * a lineage is a set of cells linked by near-identical lists, where near-identical means at
    least LINEAGE_MIN_DIGITS (3) digits of agreement at every repeat. Three digits is the
    threshold the verdicts already use for "agrees" across replays: lists that share three or
    more leading digits start from the same initial weights and differ only in floating-point
    rounding (operation order, fused kernels, thread count); lists from different initial
    weights typically share 0 or 1 digits. Lineages are connected components (single linkage)
    of that relation, so a chain A~B~C is one lineage even when A and C share fewer digits; the
    smallest pairwise digits inside each lineage is reported to make such chains visible.
"""
from __future__ import annotations

import dataclasses
import itertools

from . import verdicts

LINEAGE_MIN_DIGITS = verdicts.AGREE_MIN_DIGITS   # near-identical: the verdicts' "agrees"


@dataclasses.dataclass
class Comparison:
    """All pairwise digits for one (machine, scenario, recipe); `samples` are in cell order."""

    machine: str
    scenario: str
    recipe: str
    samples: list
    digits: dict          # {(cell_a, cell_b): digits}, both orders present

    @property
    def cells(self) -> list:
        return [s.cell for s in self.samples]

    def between(self, a: str, b: str) -> int:
        return verdicts.BITWISE if a == b else self.digits[(a, b)]


@dataclasses.dataclass
class Group:
    """A lineage: cells (in cell order), its bitwise subgroups and the weakest link inside it."""

    cells: list
    bitwise: list         # list of lists of cells with identical values
    min_digits: int       # smallest pairwise digits inside the group (17 for a single cell)
    fingerprints: list    # one per bitwise subgroup, same order

    @property
    def kind(self) -> str:
        if len(self.cells) == 1:
            return "alone"
        return "bitwise" if len(self.bitwise) == 1 else "lineage"


def compare(samples: list) -> list:
    """One Comparison per (machine, scenario, recipe) present in the samples (already sorted)."""
    found = []
    for (machine, scenario, recipe), members in itertools.groupby(
            samples, key=lambda s: (s.machine, s.scenario, s.recipe)):
        members = list(members)
        table = {}
        for a, b in itertools.combinations(members, 2):
            value = verdicts.list_digits(list(a.values), list(b.values))
            table[(a.cell, b.cell)] = table[(b.cell, a.cell)] = value
        found.append(Comparison(machine, scenario, recipe, members, table))
    return found


def lineages(comparison: Comparison, threshold: int = LINEAGE_MIN_DIGITS) -> list:
    """Groups of cells linked by >= threshold digits, ordered by their first cell."""
    cells = comparison.cells
    parent = {c: c for c in cells}

    def root(c):
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for a, b in itertools.combinations(cells, 2):
        if comparison.between(a, b) >= threshold:
            ra, rb = root(a), root(b)
            if ra != rb:  # the earlier cell stays the root, so groups keep cell order
                parent[max(ra, rb, key=cells.index)] = min(ra, rb, key=cells.index)
    members = {}
    for cell in cells:
        members.setdefault(root(cell), []).append(cell)
    by_cell = {s.cell: s for s in comparison.samples}
    groups = []
    for group_cells in members.values():
        subgroups = {}
        for cell in group_cells:
            subgroups.setdefault(verdicts.fingerprint(by_cell[cell].values), []).append(cell)
        pairs = [comparison.between(a, b) for a, b in itertools.combinations(group_cells, 2)]
        groups.append(Group(group_cells, list(subgroups.values()), min(pairs, default=verdicts.BITWISE),
                            list(subgroups)))
    return groups


def lineage_order(comparison: Comparison, threshold: int = LINEAGE_MIN_DIGITS) -> list:
    """Cells ordered so that lineages (and bitwise groups inside them) stand together."""
    return [cell for group in lineages(comparison, threshold) for sub in group.bitwise for cell in sub]


def matrix(comparison: Comparison, order: list | None = None) -> list:
    """Square list of lists of digits in the given cell order (default: cell order)."""
    order = order or comparison.cells
    return [[comparison.between(a, b) for b in order] for a in order]


def labels(comparison: Comparison) -> list:
    """Short labels C1, C2, ... for cells (column headers of the digits table)."""
    return [f"C{i}" for i in range(1, len(comparison.samples) + 1)]
