"""harness run --shard I/N: every cell in exactly one shard, the same split whoever computes it,
balanced by the timings of earlier records."""
import itertools
import random

import pytest

from harness import cli, matrix
from harness.derive import shard
from harness.store.resultset import ResultSet

from conftest import plain_cell
from support import write_record


def cells(count):
    return [plain_cell(f"c{i:02d}", recipes=("numpy",), replays=1) for i in range(count)]


def known(seconds: dict) -> shard.Timings:
    return shard.Timings({(name, "numpy_draw", "numpy"): s for name, s in seconds.items()}, {})


@pytest.mark.parametrize("text,expected", [("1/1", (1, 1)), ("3/5", (3, 5)), (" 2 / 2 ", (2, 2))])
def test_parse(text, expected):
    assert shard.parse(text) == expected


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "a/b", "1", "-1/2", "1/2/3"])
def test_parse_refuses_nonsense(text):
    with pytest.raises(shard.ShardError):
        shard.parse(text)


def test_every_cell_lands_in_exactly_one_shard():
    chosen = cells(13)
    for count in (1, 2, 5, 13, 20):
        parts = shard.assign(chosen, count, known({}))
        names = [c.name for part in parts for c in part]
        assert sorted(names) == sorted(c.name for c in chosen) and len(parts) == count


def test_the_split_does_not_depend_on_the_order_the_cells_are_named_in():
    chosen = cells(9)
    timing = known({c.name: 1 + i * 7 % 5 for i, c in enumerate(chosen)})
    first = [[c.name for c in part] for part in shard.assign(chosen, 3, timing)]
    shuffled = list(chosen)
    random.Random(4).shuffle(shuffled)
    again = [sorted(c.name for c in part) for part in shard.assign(shuffled, 3, timing)]
    assert [sorted(p) for p in first] == again


def test_longest_first_stays_within_the_lpt_bound_of_the_best_split():
    chosen = cells(6)
    timing = known(dict(zip((c.name for c in chosen), (100, 90, 50, 40, 30, 10))))
    cost = {c.name: shard.estimate(c, timing) for c in chosen}
    parts = shard.assign(chosen, 2, timing)
    worst = max(sum(cost[c.name] for c in part) for part in parts)
    total = sum(cost.values())
    best = min(max(s, total - s) for r in range(7) for s in
               (sum(cost[c.name] for c in combo) for combo in itertools.combinations(chosen, r)))
    assert best == 340 and worst == 350          # brute force vs greedy on 160 150 110 100 90 70
    assert worst <= (4 / 3 - 1 / 6) * best       # Graham's bound for 2 machines


def test_a_slow_cell_gets_a_shard_to_itself():
    chosen = cells(5)
    timing = known({"c00": 1000, "c01": 1, "c02": 1, "c03": 1, "c04": 1})
    parts = shard.assign(chosen, 2, timing)
    assert [c.name for c in parts[0]] == ["c00"]
    assert [c.name for c in parts[1]] == ["c01", "c02", "c03", "c04"]


def test_unknown_cells_cost_the_median_of_known_ones():
    chosen = cells(3)
    timing = known({"c00": 10, "c01": 30})
    assert shard.estimate(chosen[2], timing) == pytest.approx(20 + shard.DEFAULT_INSTALL_SECONDS)
    assert shard.estimate(chosen[2], known({})) == pytest.approx(
        shard.DEFAULT_RUN_SECONDS + shard.DEFAULT_INSTALL_SECONDS)


def test_estimate_counts_replays_recipes_and_install():
    cell = plain_cell("x", recipes=("none", "numpy"), replays=3)
    timing = shard.Timings({("x", "numpy_draw", "none"): 2.0, ("x", "numpy_draw", "numpy"): 4.0},
                           {"x": 50.0})
    assert shard.estimate(cell, timing) == 50 + 3 * 2 + 3 * 4
    assert shard.estimate(cell, timing, recipes=["numpy"], replays=1) == 50 + 4


def test_timings_from_the_committed_records(root):
    """About the committed records (results/): any number of machines' records will do."""
    timing = shard.timings(ResultSet.load(root / "results"))
    key = ("keras3.15.1-jax0.10.2-python3.11", "canonical_mlp", "full")
    assert timing.run[key] > 0 and timing.install["keras3.15.1-jax0.10.2-python3.11"] > 0


def test_the_committed_matrix_splits_the_same_way_twice(root):
    """The committed matrix with the timings of the committed records (results/), whichever
    machines' records they hold."""
    m = matrix.load(root / "matrix.toml")
    timing = shard.timings(ResultSet.load(root / "results"))
    first = shard.assign(m.cells, 7, timing)
    second = shard.assign(list(reversed(m.cells)), 7, timing)
    assert [[c.name for c in p] for p in first] == [[c.name for c in reversed(p)] for p in second]
    loads = [sum(shard.estimate(c, timing) for c in part) for part in first]
    biggest = max(shard.estimate(c, timing) for c in m.cells)
    assert max(loads) - min(loads) <= biggest   # LPT: no shard exceeds another by more than a cell


def test_cli_shard_selects_its_part(root, tmp_path, capsys):
    write_record(tmp_path, "keras3.15.1-jax0.10.2-python3.11", "full", [[0.5]])
    args = cli.build_parser().parse_args(["--results", str(tmp_path), "run", "-t", "default",
                                          "--shard", "2/3"])
    chosen = cli._shard(args, matrix.load(root / "matrix.toml").select(tags=["default"]))
    out = capsys.readouterr().out
    assert out.startswith(f"shard 2/3: {len(chosen)} of 8 cell(s): ")
    assert all(c.name in out for c in chosen)


def test_cli_refuses_a_bad_shard(root, tmp_path):
    assert cli.main(["--results", str(tmp_path), "run", "-t", "default", "--shard", "4/3"]) == 2
