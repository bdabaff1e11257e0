"""A real bitwise cell (Keras 3 + JAX, recipe full) under -j 1 and -j 2: the same fingerprint."""
import pytest

from harness import matrix, paths
from harness.ops import run

CELL = "keras3.15.1-jax0.10.2-python3.11"


@pytest.mark.e2e
def test_a_bitwise_cell_gives_the_same_fingerprint_under_j1_and_j2(tmp_path):
    cell = matrix.load().get(CELL)
    found = {}
    for jobs in (1, 2):
        summary = run.run_cells([cell], tmp_path / f"j{jobs}", paths.envs_dir(),
                                run.Options(recipes=("full",), replays=2, jobs=jobs),
                                run.EchoDisplay(lambda text: None))
        assert not summary.install_failed, summary.install_failed
        result = summary.verdicts[(CELL, "canonical_mlp", "full")]
        assert result.name == "bitwise", result
        found[jobs] = result.fingerprints
    assert found[1] == found[2]
