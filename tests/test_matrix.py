"""Matrix expansion and validation: errors name the file, the line, the cell and the problem."""
import textwrap

import pytest

from harness import matrix
from harness.provision import interpreters

BASE = """
schema = 1
[defaults]
replays = 2

[[cell]]
name = "one"
api = "keras3"
backend = "jax"
python = "3.11"
requirements = ["keras==3.15.1", "jax[cpu]==0.10.2"]
tags = ["default"]
"""


def write(tmp_path, text):
    path = tmp_path / "matrix.toml"
    path.write_text(textwrap.dedent(text))
    return path


def error_of(tmp_path, text):
    with pytest.raises(matrix.MatrixError) as info:
        matrix.load(write(tmp_path, text))
    return str(info.value)


def test_the_project_matrix_loads_and_has_the_default_cells(root):
    m = matrix.load(root / "matrix.toml")
    default = [c.name for c in m.select(tags=["default"])]
    assert len(default) == 8
    assert "keras2.0.3-tensorflow1.1.0-python3.6" in default
    assert "keras2.0.3-theano0.9.0-python3.6" in default
    legacy_tf = m.get("keras2.0.3-tensorflow1.1.0-python3.6")
    assert legacy_tf.requirements[:2] == ("keras==2.0.3", "tensorflow==1.1.0")
    assert legacy_tf.env_dict["KERAS_BACKEND"] == "tensorflow"   # added for standalone Keras
    tf_legacy = m.get("tf-keras2.21.0-tensorflow2.21.0-python3.11")
    assert tf_legacy.env_dict["TF_USE_LEGACY_KERAS"] == "1"


def test_defaults_and_automatic_tags(tmp_path):
    cell = matrix.load(write(tmp_path, BASE)).cells[0]
    assert cell.replays == 2 and cell.device == "cpu" and cell.recipes == matrix.RECIPES
    assert set(cell.tags) >= {"keras3", "jax", "py311", "cpu", "default"}
    assert cell.env_dict == {"KERAS_BACKEND": "jax"}


def test_ladder_expands_one_cell_per_version_with_overrides(tmp_path):
    path = write(tmp_path, BASE + """
[[ladder]]
name_template = "tf.keras-tensorflow{version}-python{python}"
api = "tf.keras"
backend = "tensorflow"
python = "3.7"
requirements = ["tensorflow=={version}"]
versions = ["2.4.4", "2.12.1"]
tags = ["ladder-tf"]
[ladder.overrides."2.12.1"]
python = "3.11"
""")
    cells = matrix.load(path).select(tags=["ladder-tf"])
    assert [c.name for c in cells] == ["tf.keras-tensorflow2.4.4-python3.7",
                                       "tf.keras-tensorflow2.12.1-python3.11"]
    assert cells[0].requirements == ("tensorflow==2.4.4",) and cells[1].python == "3.11"


def test_unknown_key_names_file_line_cell_and_key(tmp_path):
    message = error_of(tmp_path, BASE.replace('tags = ["default"]', 'tags = ["default"]\nbakend = "jax"'))
    assert "matrix.toml:7" in message and "[cell one]" in message and "'bakend'" in message


def test_bad_version_specifier(tmp_path):
    message = error_of(tmp_path, BASE.replace("keras==3.15.1", "keras=>3.15"))
    assert "[cell one]" in message and "bad requirement 'keras=>3.15'" in message


def test_duplicate_cell(tmp_path):
    second = BASE.split("[[cell]]")[1]
    message = error_of(tmp_path, BASE + "[[cell]]" + second)
    assert "duplicate cell name" in message and "[cell one]" in message


def test_bad_choices_and_python_format(tmp_path):
    assert "backend 'jaxx' is not one of" in error_of(tmp_path, BASE.replace('"jax"', '"jaxx"'))
    assert "must be MAJOR.MINOR" in error_of(tmp_path, BASE.replace('"3.11"', '"3"'))
    assert "missing required key 'api'" in error_of(tmp_path, BASE.replace('api = "keras3"\n', ""))


def test_names_that_tox_would_read_as_interpreters_are_refused(tmp_path):
    message = error_of(tmp_path, BASE.replace('name = "one"', 'name = "keras3-jax-py3.11"'))
    assert "'py3.11'" in message and "python3.11" in message


def test_newer_matrix_schema_and_broken_toml(tmp_path):
    assert "newer than this harness" in error_of(tmp_path, BASE.replace("schema = 1", "schema = 99"))
    assert "not valid TOML" in error_of(tmp_path, BASE + "\n[[cell]\n")


def test_interpreter_not_found(tmp_path):
    m = matrix.load(write(tmp_path, BASE.replace('"3.11"', '"3.1"')))
    problems = interpreters.check(m)
    assert len(problems) == 1
    assert "interpreter for Python 3.1 not found" in str(problems[0]) and "[cell one]" in str(problems[0])


def test_selection_by_name_and_tag(tmp_path):
    m = matrix.load(write(tmp_path, BASE))
    assert m.select(["one"])[0].name == "one"
    assert m.select(tags=["default", "jax"])[0].name == "one"
    assert m.select(tags=["torch"]) == []
    with pytest.raises(KeyError, match="no cell named 'two'"):
        m.select(["two"])


def test_environment_hash_ignores_name_but_not_requirements():
    from conftest import plain_cell
    assert plain_cell("a").env_hash() == plain_cell("b").env_hash()
    assert plain_cell("a").env_hash() != plain_cell("a", requirements=("numpy==1.26.4",)).env_hash()


def test_version_order_sorts_numbers_numerically():
    from conftest import plain_cell
    cells = [plain_cell(n) for n in ("tf2.10.1-python3.7", "tf2.9.3-python3.7", "tf2.0.4-python3.7")]
    assert [c.name for c in matrix.version_order(cells)] == [
        "tf2.0.4-python3.7", "tf2.9.3-python3.7", "tf2.10.1-python3.7"]
