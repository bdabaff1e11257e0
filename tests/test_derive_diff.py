"""`harness diff` on result directories built with records.write, on a git revision, and across
the schema-1 to schema-2 migration."""
import shutil
import subprocess

from harness import cli
from harness.derive import diff
from support import load, write_environment, write_record

SAME = [[0.5, 0.25, 0.125]] * 3


def baseline(results):
    write_record(results, "a", "full", SAME)
    write_record(results, "a", "none", [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]])
    write_record(results, "b", "full", SAME)
    write_environment(results, "a")
    write_environment(results, "b")
    return results


def compare(old, new):
    return diff.compare(load(old)[1], load(new)[1], "old", "new")


def run(argv, capsys):
    status = cli.main(argv)
    return status, capsys.readouterr().out


def test_identical_directories_exit_0(tmp_path, capsys):
    old, new = baseline(tmp_path / "old"), baseline(tmp_path / "new")
    status, out = run(["diff", str(old), str(new)], capsys)
    assert status == 0 and "No changes" in out


def test_unseeded_fingerprints_are_expected_to_move(tmp_path, capsys):
    old, new = baseline(tmp_path / "old"), baseline(tmp_path / "new")
    write_record(new, "a", "none", [[0.3, 0.2, 0.1], [0.6, 0.5, 0.4], [0.9, 0.8, 0.7]])  # still diverged
    assert run(["diff", str(old), str(new)], capsys)[0] == 0


def test_changed_bitwise_fingerprint_exits_1_and_shows_the_moved_value(tmp_path, capsys):
    old, new = baseline(tmp_path / "old"), baseline(tmp_path / "new")
    write_record(new, "b", "full", [[0.5, 0.25, 0.375]] * 3)
    status, out = run(["diff", str(old), str(new)], capsys)
    assert status == 1
    (change,) = compare(old, new).changes
    assert (change.cell, change.recipe, change.first_difference) == ("b", "full", 2)
    assert (change.old_value, change.new_value) == (0.125, 0.375)
    assert change.old.startswith("bitwise ") and change.old != change.new
    line = next(l for l in out.splitlines() if l.startswith("| `m` | b |"))
    assert "| 2 | 0.125 | 0.375 |" in line and "`records/m/b/canonical_mlp/full.json`" in line


def test_added_removed_cells_and_verdict_changes(tmp_path, capsys):
    old, new = baseline(tmp_path / "old"), baseline(tmp_path / "new")
    shutil.rmtree(new / "records" / "m" / "b")
    write_record(new, "c", "full", SAME)
    write_record(new, "a", "full", [[0.5, 0.25, 0.125]] * 2 + [[0.5, 0.25, 0.12500001]])  # agrees
    report = compare(old, new)
    assert report.added_cells == ["c"] and report.removed_cells == ["b"]
    (change,) = report.changes
    assert change.cell == "a" and change.old.startswith("bitwise") and "7 digits" in change.new
    assert report.changes[0].first_difference is None   # first replays still identical
    status, out = run(["diff", str(old), str(new)], capsys)
    assert status == 1 and "### Cells added" in out and "- `c`" in out and "- `b`" in out


def test_missing_directory_is_an_error(tmp_path, capsys):
    assert cli.main(["diff", str(tmp_path / "nope"), str(baseline(tmp_path / "new"))]) == 2


def git(repo, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo,
                   check=True, capture_output=True)


def test_old_side_from_git_revision(tmp_path, capsys):
    repo = tmp_path / "repo"
    results = baseline(repo / "results")
    git(repo, "init", "-q")
    git(repo, "add", "results")
    git(repo, "commit", "-q", "-m", "records")
    args = ["--results", str(results), "diff", "git:HEAD", str(results)]
    assert run(args, capsys)[0] == 0
    write_record(results, "a", "full", [[0.5, 0.25, 0.0625]] * 3)
    status, out = run(args, capsys)
    assert status == 1 and "`git:HEAD`" in out and "0.0625" in out
    assert cli.main(["--results", str(results), "diff", "git:no-such-ref", str(results)]) == 2


def test_schema_1_tree_against_its_migration_shows_no_change(root, tmp_path, capsys):
    """The committed schema-1 fixture (old layout, one machine) merged into the new layout:
    the same outcomes, so diff between the two trees reports nothing."""
    fixture = root / "tests" / "data" / "results"
    assert cli.main(["--results", str(tmp_path / "new"), "merge", str(fixture)]) == 0
    capsys.readouterr()
    status, out = run(["diff", str(fixture), str(tmp_path / "new")], capsys)
    assert status == 0 and "No changes" in out
