"""What old stacks need: Theano's per-environment cache, CNTK's old MPI sonames, Python 2.7 envs."""
import ctypes
import importlib.util
import json
import subprocess
import sys

import pytest

from conftest import PYENV, TEST_SCENARIOS
from harness import paths
from harness.provision import environments as environment, legacy
from harness.matrix import Cell

PYTHON27 = sorted(PYENV.glob("2.7.*/bin/python"))


def legacy_cell(backend, python="3.7", env=(), requirements=("keras==2.3.1",), name=None):
    return Cell(name=name or f"test-{backend}", api="keras2", backend=backend, python=python,
                requirements=tuple(requirements), env=tuple(sorted(dict(env).items())))


def load_worker():
    spec = importlib.util.spec_from_file_location("harness_worker_under_test", paths.WORKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- Theano --------------------------------------------------------------------------------------
def test_theano_flags_get_a_per_environment_cache():
    assert legacy.theano_flags("", "/envs/a/theano-cache") == "base_compiledir=/envs/a/theano-cache"
    assert (legacy.theano_flags("floatX=float32, mode=FAST_RUN", "/c")
            == "floatX=float32,mode=FAST_RUN,base_compiledir=/c")


def test_theano_flags_keep_a_cache_the_cell_chose():
    assert legacy.theano_flags("base_compiledir=/mine,floatX=float64", "/c") == "base_compiledir=/mine,floatX=float64"
    assert legacy.theano_flags("compiledir=/mine", "/c") == "compiledir=/mine"


def test_prepare_creates_the_theano_cache_inside_the_environment(tmp_path):
    cell = legacy_cell("theano", env={"THEANO_FLAGS": "floatX=float64"})
    extra = legacy.prepare(cell, tmp_path, tmp_path / "install.log")
    cache = tmp_path / "theano-cache"
    assert cache.is_dir()
    assert extra == {"THEANO_FLAGS": f"floatX=float64,base_compiledir={cache}"}


def test_prepare_adds_nothing_for_other_backends(tmp_path):
    assert legacy.prepare(legacy_cell("tensorflow"), tmp_path, tmp_path / "install.log") == {}
    assert list(tmp_path.iterdir()) == []


def test_strict_recipe_adds_deterministic_to_the_cache_flags():
    worker = load_worker()
    env = worker.recipe_environment("strict", "theano", "cpu", {"THEANO_FLAGS": "base_compiledir=/c"})
    assert env["THEANO_FLAGS"] == "base_compiledir=/c,deterministic=more"
    again = worker.recipe_environment("strict", "theano", "cpu", {"THEANO_FLAGS": env["THEANO_FLAGS"]})
    assert again["THEANO_FLAGS"] == env["THEANO_FLAGS"]   # re-exec does not stack the flag
    assert "THEANO_FLAGS" not in worker.recipe_environment("tutorial", "theano", "cpu", {})


def test_worker_knows_which_theano_flags_exist():
    worker = load_worker()

    class Config(object):
        floatX = "float64"

    class Theano(object):
        config = Config()

    assert worker.theano_knows(Theano, "floatX")
    assert not worker.theano_knows(Theano, "deterministic")


# --- CNTK: OpenMPI 1.10 sonames ------------------------------------------------------------------
def test_old_sonames_are_linked_into_a_private_directory(tmp_path):
    libs = tmp_path / "usr-lib"
    libs.mkdir()
    for name in ("libmpi.so.40", "libmpi_cxx.so.40"):
        (libs / name).write_bytes(b"\x7fELF")
    compat = legacy.link_sonames(tmp_path / "env" / "compat-libs", dirs=[str(libs)])
    assert sorted(p.name for p in compat.iterdir()) == ["libmpi.so.12", "libmpi_cxx.so.1"]
    assert (compat / "libmpi.so.12").resolve() == (libs / "libmpi.so.40").resolve()
    assert (compat / "libmpi_cxx.so.1").resolve() == (libs / "libmpi_cxx.so.40").resolve()
    legacy.link_sonames(compat, dirs=[str(libs)])   # idempotent: links are replaced
    assert (compat / "libmpi.so.12").is_symlink()


def test_a_missing_library_is_named(tmp_path):
    with pytest.raises(LookupError, match="libmpi.so.40"):
        legacy.link_sonames(tmp_path / "compat", dirs=[str(tmp_path)])


@pytest.mark.skipif(legacy.find_library("libmpi.so.40") is None,
                    reason="OpenMPI runtime not installed here (the harness installs it when building a CNTK cell)")
def test_cntk_cell_gets_loadable_old_sonames_on_this_machine(tmp_path):
    extra = legacy.prepare(legacy_cell("cntk", python="3.6"), tmp_path, tmp_path / "install.log")
    compat = tmp_path / "compat-libs"
    assert extra == {"LD_LIBRARY_PATH": str(compat)}
    for old in legacy.MPI_SONAMES:
        ctypes.CDLL(str(compat / old))   # the real library loads under its old name


def test_runner_puts_the_compat_dir_first_on_the_library_path(monkeypatch):
    from harness.execute import runner
    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/other")
    env = runner.worker_environment({}, {"LD_LIBRARY_PATH": "/envs/x/compat-libs"})
    assert env["LD_LIBRARY_PATH"] == "/envs/x/compat-libs:/opt/other"


# --- environments ------------------------------------------------------------------------------------
def test_freeze_output_options_are_not_packages():
    text = "-f /opt/wheels\n# comment\nKeras==2.0.3\n\nnumpy==1.12.1\n-e git+https://x#egg=y\n"
    assert environment.parse_freeze(text) == ["Keras==2.0.3", "numpy==1.12.1"]


def test_pip_is_the_installer_below_python_37():
    assert environment.installer_for(legacy_cell("theano", python="2.7")) == "pip"
    assert environment.installer_for(legacy_cell("cntk", python="3.6")) == "pip"
    assert environment.installer_for(legacy_cell("theano", python="3.7")) == "uv"


def test_reuse_recomputes_the_extra_environment(tmp_path):
    """A reused environment gets the cache of where it lies now, not what its marker says."""
    cell = legacy_cell("theano", env={"THEANO_FLAGS": "floatX=float64"})
    path = environment.env_path(cell, tmp_path)
    (path / "bin").mkdir(parents=True)
    (path / "bin" / "python").symlink_to(sys.executable)
    marker = {"status": "ok", "path": str(path), "python": str(path / "bin" / "python"),
              "installer": "uv", "env_hash": cell.env_hash(), "extra_env": {"THEANO_FLAGS": "stale"}}
    (path / environment.MARKER).write_text(json.dumps(marker))
    outcome = environment.ensure(cell, tmp_path)
    assert outcome.reused and outcome.status == "ok"
    assert outcome.extra_env["THEANO_FLAGS"] == f"floatX=float64,base_compiledir={path / 'theano-cache'}"


@pytest.mark.e2e
@pytest.mark.oldpython
@pytest.mark.skipif(not PYTHON27, reason="no pyenv 2.7 build on this machine")
def test_python27_environment_is_built_and_runs_the_worker(tmp_path):
    """virtualenv < 20.22 + pip 20.3.4: a real 2.7 environment, and the real worker in it."""
    cell = Cell(name="py27-numpy", api="none", backend="none", python="2.7",
                requirements=("numpy==1.16.6",))
    outcome = environment.ensure(cell, tmp_path)
    assert outcome.status == "ok", outcome.error
    assert outcome.installer == "pip"
    assert "numpy==1.16.6" in outcome.packages and "pip==20.3.4" in outcome.packages
    assert not any(p.startswith("-") for p in outcome.packages)
    version = subprocess.run([outcome.python, "-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True).stdout.strip()
    assert version == "(2, 7)"
    out = tmp_path / "result.json"
    done = subprocess.run([outcome.python, str(paths.WORKER), "--scenario", str(TEST_SCENARIOS / "numpy_draw.py"),
                           "--recipe", "strict", "--api", "none", "--backend", "none", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    result = json.loads(out.read_text())
    assert result["status"] == "ok", done.stderr
    assert result["observed"]["python"].startswith("2.7")
    assert result["thread_env"]["PYTHONHASHSEED"] == "0"   # the re-exec works on 2.7
    again = environment.ensure(cell, tmp_path)
    assert again.reused
