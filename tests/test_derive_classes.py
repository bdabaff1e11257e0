"""Machine classes from the real machine files of the three recorded machines (copies kept under
tests/data/machines): the classes predict the split the records show (results/portability.md)."""
import json
from pathlib import Path

from harness.derive import classes, portability, verdicts
from harness.derive.outcomes import Outcome

DATA = Path(__file__).parent / "data" / "machines"
INFO = {p.stem: json.loads(p.read_text())["info"] for p in DATA.glob("*.json")}
INTEL, AMD_AVX2, AMD_AVX512 = "b84f6cf6f9", "dc84521ea4", "122c9f5a22"
TF212 = {"name": "tf.keras-tensorflow2.12.1-python3.11", "backend": "tensorflow",
         "requirements": ["tensorflow==2.12.1"]}
TF11 = {"name": "keras2.0.3-tensorflow1.1.0-python3.6", "backend": "tensorflow",
        "requirements": ["keras==2.0.3", "tensorflow==1.1.0"]}
TORCH = {"name": "keras3.15.1-torch2.13.0-python3.11", "backend": "torch",
         "requirements": ["keras==3.15.1", "torch==2.13.0"]}
JAX = {"name": "keras3.15.1-jax0.10.2-python3.11", "backend": "jax", "requirements": ["jax[cpu]==0.10.2"]}


def test_tensorflow_class_follows_the_onednn_default_not_the_vendor_or_avx512():
    assert classes.cell_class(INFO[INTEL], TF212) == "oneDNN on"
    assert classes.cell_class(INFO[AMD_AVX512], TF212) == "oneDNN on"     # AMD, but VNNI and BF16
    assert classes.cell_class(INFO[AMD_AVX2], TF212) == "oneDNN off"
    # what TensorFlow itself reported in a replay wins over the prediction (TF_ENABLE_ONEDNN_OPTS)
    assert classes.cell_class(INFO[AMD_AVX2], TF212, observed_onednn=True) == "oneDNN on"
    assert classes.backend_version({"backend": "tensorflow", "requirements": ["tensorflow[and-cuda]==2.15.1"]}) == (2, 15)


def test_other_stacks_classes():
    assert classes.cell_class(INFO[AMD_AVX512], TORCH) == classes.cell_class(INFO[AMD_AVX2], TORCH) == "MKL on AMD"
    assert classes.cell_class(INFO[INTEL], TORCH) == "MKL on Intel"
    assert classes.cell_class(INFO[INTEL], TF11) == "Eigen on Intel"
    assert len({classes.cell_class(info, JAX) for info in INFO.values()}) == 1
    assert classes.machine_class(INFO[INTEL]) == "x86_64 oneDNN-on Intel"


def outcome(machine, cell, values):
    found = verdicts.verdict("full", [{"status": "ok", "values": values}] * 5)
    return Outcome(machine, cell, "canonical_mlp", "full", found, tuple(values), "r", None, False, True,
                   5, {}, None, None, None, None, (tuple(values),) * 5)


def test_portability_groups_are_explained_when_they_split_along_classes():
    intel_list, amd_list = [0.25, 0.5], [0.25, 0.5000001]
    found = [outcome(INTEL, TF212, intel_list), outcome(AMD_AVX512, TF212, intel_list),
             outcome(AMD_AVX2, TF212, amd_list)]
    item, = portability.portability(found, INFO)
    assert item.kind == "differs" and item.explained
    assert "oneDNN on: 122c,b84f | oneDNN off: dc84" in portability.label(item)
    # the same split on the torch stack is not along its classes (Intel with one AMD): not explained
    found = [outcome(INTEL, TORCH, intel_list), outcome(AMD_AVX512, TORCH, intel_list),
             outcome(AMD_AVX2, TORCH, amd_list)]
    item, = portability.portability(found, INFO)
    assert item.kind == "differs" and not item.explained
    assert "MKL" not in portability.label(item)


def test_the_portable_base_rule_is_the_workers():
    from harness.execute import worker
    for api in worker.APIS:
        for backend in worker.BACKENDS:
            # the worker gives its recipe functions the API generation whose recipes `api` takes
            assert portability.portable_base(api, backend) == worker.portable_base(worker.recipe_api(api), backend)


def test_portable_is_set_against_every_machines_base_recipe():
    tf11 = dict(TF11, api="keras2")
    def rec(machine, cell, recipe, values, seconds):
        found = verdicts.verdict(recipe, [{"status": "ok", "values": values}] * 5)
        return Outcome(machine, cell, "canonical_mlp", recipe, found, tuple(values), "r", None, False, True,
                       5, {}, seconds, None, None, None, (tuple(values),) * 5)
    found = [rec(INTEL, tf11, "strict", [0.5, 0.25], 10.0), rec(AMD_AVX2, tf11, "strict", [0.5, 0.2500001], 8.0),
             rec(AMD_AVX2, tf11, "portable", [0.5, 0.2500001], 10.0)]
    row, = portability.pinned(found)
    assert row.same_as_full == (AMD_AVX2,) and row.cost == 1.25
    (fp, machines, digits), = row.other_full
    assert machines == (INTEL,) and digits == 6


def test_the_machine_command_prints_this_machines_id_class_and_facts(tmp_path):
    import subprocess
    import sys
    from harness.store import machine_facts, machines
    done = subprocess.run([sys.executable, "-m", "harness", "--results", str(tmp_path), "machine", "--json"],
                          capture_output=True, text=True, timeout=120, cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout)
    info = machine_facts.complete_info(machines.machine_info())
    assert said["machine"] == machines.this_machine()
    flags = set(info["cpu_flags"])
    assert said["facts"]["onednn_default"] == bool(flags & {"avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile"})
    assert said["class"].startswith(info["machine"] + " oneDNN-")
    text = subprocess.run([sys.executable, "-m", "harness", "--results", str(tmp_path), "machine"],
                          capture_output=True, text=True, timeout=120, cwd=Path(__file__).parent.parent).stdout
    assert said["machine"] in text and "keras3.15.1-jax0.10.2-python3.11" in text and "(none recorded)" in text
