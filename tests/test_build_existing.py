"""Existing-environment cells: a cell run in an interpreter that already holds its stack, with
missing packages added from a local wheel folder and no index. Real interpreters, real wheels."""
import json
import subprocess
import sys
import textwrap
import zipfile

import pytest

from harness import cli, matrix
from harness.provision import environments
from harness.store import machines, records

PY = "%d.%d" % sys.version_info[:2]
MATRIX = textwrap.dedent(f"""
    schema = 1
    [[cell]]
    name = "probe"
    api = "none"
    backend = "none"
    python = "{PY}"
    requirements = ["numpy==99.0"]      # never installed: an existing cell builds nothing of it
    recipes = ["numpy"]
    replays = 2
    scenarios = ["uses_probe"]
    """)
SCENARIO = textwrap.dedent("""
    import harnessprobe
    NAME = "uses_probe"
    REPEATS = 2
    def run_once(keras, np):
        return float(np.random.rand()) + harnessprobe.OFFSET
    """)


@pytest.fixture(scope="module")
def existing(tmp_path_factory):
    """An interpreter that already has numpy (the 'CUDA container'), and a wheel folder holding a
    package it lacks (built here, so no index is involved)."""
    root = tmp_path_factory.mktemp("existing")
    env = root / "stack"
    subprocess.run([environments.uv_binary(), "venv", "-q", "--python", sys.executable, str(env)], check=True)
    subprocess.run([environments.uv_binary(), "pip", "install", "-q", "--python", str(env / "bin" / "python"),
                    "numpy"], check=True)
    wheels = root / "wheels"
    wheels.mkdir()
    write_wheel(wheels / "harnessprobe-1.0-py3-none-any.whl")
    return env / "bin" / "python", wheels


def write_wheel(path):
    """A minimal pure-Python wheel (PEP 427), written directly: no build tool, no index."""
    files = {
        "harnessprobe/__init__.py": "OFFSET = 10.0\n",
        "harnessprobe-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: harnessprobe\nVersion: 1.0\n",
        "harnessprobe-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                            "Tag: py3-none-any\n",
    }
    record = "".join(f"{name},,\n" for name in files) + "harnessprobe-1.0.dist-info/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        archive.writestr("harnessprobe-1.0.dist-info/RECORD", record)


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "matrix.toml").write_text(MATRIX)
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "uses_probe.py").write_text(SCENARIO)
    monkeypatch.setenv("HARNESS_SCENARIOS", str(tmp_path / "scenarios"))
    return tmp_path


def run(project, *extra):
    return cli.main(["--matrix", str(project / "matrix.toml"), "--results", str(project / "results"),
                     "run", "--envs", str(project / "envs"), "--progress", "plain", *extra, "probe"])


def test_run_in_an_existing_interpreter_adding_a_wheel_without_an_index(project, existing):
    python, wheels = existing
    assert run(project, "--python", str(python), "--find-links", str(wheels), "--add", "harnessprobe==1.0") == 0
    machine = machines.this_machine()
    env = records.read(records.environment_path(project / "results", machine, "probe-existing"))
    outcome = env["outcome"]
    assert outcome["status"] == "ok" and outcome["installer"] == "existing"
    assert "harnessprobe==1.0" in outcome["packages"]                     # added from the wheel folder
    assert any(p.startswith("numpy==") and p != "numpy==99.0" for p in outcome["packages"])  # the base's
    assert env["cell"]["interpreter"] == str(python) and env["cell"]["requirements"] == ["harnessprobe==1.0"]
    record = records.read(records.recipe_path(project / "results", machine, "probe-existing",
                                              "uses_probe", "numpy"))
    values = [r["values"] for r in record["replays"]]
    assert values[0] == values[1] and all(v > 10.0 for v in values[0])     # seeded, and the probe is there
    assert record["replays"][0]["observed"]["python"].startswith(PY)
    assert not (project / "results" / "records" / machine / "probe").exists()   # the matrix cell untouched


def test_wheel_missing_from_the_folder_is_an_install_failure_not_a_download(project, existing, tmp_path):
    python, _ = existing
    (tmp_path / "empty-wheels").mkdir()
    assert run(project, "--python", str(python), "--find-links", str(tmp_path / "empty-wheels"),
               "--add", "harnessprobe==1.0") == 0
    env = records.read(records.environment_path(project / "results", machines.this_machine(), "probe-existing"))
    assert env["outcome"]["status"] == "install-failed" and "harnessprobe" in env["outcome"]["error"]


def test_bad_options_are_refused_before_anything_runs(project, existing, capsys):
    assert run(project, "--python", str(project / "no-python")) == 2
    assert "not an interpreter that runs" in capsys.readouterr().err
    assert run(project, "--add", "x==1") == 2
    assert "go with --python" in capsys.readouterr().err
    assert not (project / "results").exists()


def test_a_matrix_cell_whose_interpreter_is_another_python_fails_with_the_reason(tmp_path, existing):
    python, _ = existing
    cell = matrix.Cell("old", "none", "none", "2.7", (), installer="existing", interpreter=str(python))
    outcome = environments.ensure(cell, tmp_path / "envs")
    assert outcome.status == "install-failed" and f"is Python {PY}, the cell says 2.7" in outcome.error
    text = MATRIX.replace('requirements = ["numpy==99.0"]', 'requirements = []\ninstaller = "existing"')
    (tmp_path / "m.toml").write_text(text)
    with pytest.raises(matrix.MatrixError, match="go together"):
        matrix.load(tmp_path / "m.toml")


def test_existing_variant_keeps_what_the_cell_asks_of_the_worker():
    cell = matrix.Cell("k", "keras3", "jax", "3.11", ("keras==3.15.1",), device="gpu",
                       env=(("KERAS_BACKEND", "jax"),), tags=("default", "gpu"))
    variant = matrix.existing_variant(cell, "/opt/py/bin/python", "3.12", "/w", ["keras==3.15.1"])
    assert variant.name == "k-existing-python3.12" and variant.python == "3.12"
    assert (variant.api, variant.backend, variant.device, variant.env) == ("keras3", "jax", "gpu", cell.env)
    assert "default" not in variant.tags and "existing" in variant.tags
    assert variant.env_hash() != cell.env_hash()
    assert json.dumps(variant.as_dict())      # recordable
