"""Devices without a GPU: fallback detection on recorded lists, CPU cells kept off GPUs, the
probes that report GPU facts and the device used (checked on stand-ins of the frameworks)."""
import json
import subprocess
import sys
import types

import pytest

from conftest import TEST_SCENARIOS, plain_cell
from harness import paths
from harness.execute import runner, worker

RECORDED_GPU_LISTS = [
    ["/physical_device:CPU:0", "/physical_device:GPU:0"],     # TF: tf.config.list_physical_devices()
    ["cuda:0"], ["gpu:0"],                                    # JAX: str(device), new and old
    ["cpu", "cuda:0 NVIDIA H200"],                            # torch, as the worker records it
    ["cuda0"],                                                # Theano's config.device
    ["gpu"],                                                  # observed['device_used']
]
RECORDED_CPU_LISTS = [["/physical_device:CPU:0"], ["CpuDevice(id=0)"], ["TFRT_CPU_0"], ["cpu"], [],
                      ["unknown (RuntimeError: no CUDA GPUs are available)"]]


@pytest.mark.parametrize("devices", RECORDED_GPU_LISTS)
def test_no_fallback_when_a_gpu_was_there(devices):
    assert worker.device_fallback("gpu", devices) is None


@pytest.mark.parametrize("devices", RECORDED_CPU_LISTS)
def test_fallback_when_a_gpu_replay_saw_none(devices):
    reason = worker.device_fallback("gpu", devices)
    assert reason.startswith("requested gpu, ran with ")
    assert worker.device_fallback("cpu", devices) is None


def test_cpu_cells_hide_the_gpus():
    assert worker.device_environment("tensorflow", "cpu") == {"CUDA_VISIBLE_DEVICES": ""}
    assert worker.device_environment("jax", "cpu") == {"CUDA_VISIBLE_DEVICES": "", "JAX_PLATFORMS": "cpu"}
    assert worker.device_environment("torch", "gpu") == {}


def test_driver_version_from_proc(tmp_path):
    lines = ["NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023\n",
             "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.15  Release Build  "
             "(dvs-builder@U16-I3-B03-4-3)  Tue Mar  5 22:15:33 UTC 2024\n"]
    for line, version in zip(lines, ("535.104.05", "550.54.15")):
        (tmp_path / "version").write_text(line + "GCC version:  gcc version 12.2.0\n")
        assert worker.nvidia_driver(str(tmp_path / "version")) == version
    assert worker.nvidia_driver(str(tmp_path / "absent")) is None


def run_worker(tmp_path, device):
    out = tmp_path / "result.json"
    done = subprocess.run([sys.executable, str(paths.WORKER), "--scenario", str(TEST_SCENARIOS / "numpy_draw.py"),
                           "--recipe", "numpy", "--api", "none", "--backend", "none", "--device", device,
                           "--out", str(out)], capture_output=True, text=True, timeout=60)
    return done, json.loads(out.read_text())


def test_a_gpu_replay_on_the_cpu_is_a_fallback_with_its_values_kept(tmp_path):
    done, result = run_worker(tmp_path, "gpu")
    assert done.returncode == 0
    assert result["status"] == "gpu-fallback" and result["observed"]["device_used"] == "cpu"
    assert result["reason"] == "requested gpu, ran with cpu"
    assert len(result["values"]) == 3
    replay = runner.run_replay(sys.executable, plain_cell(device="gpu"), TEST_SCENARIOS / "numpy_draw.py",
                               "numpy", 60)
    assert replay["status"] == "gpu-fallback" and len(replay["values"]) == 3
    assert replay["error_summary"] == "requested gpu, ran with cpu"


def test_a_cpu_replay_records_the_device_and_hides_gpus(tmp_path):
    _, result = run_worker(tmp_path, "cpu")
    assert result["status"] == "ok" and result["observed"]["device_used"] == "cpu"
    assert result["thread_env"]["CUDA_VISIBLE_DEVICES"] == ""
    assert "driver" in result["observed"]["gpu"]


def fake_torch(gpus, allocated):
    cuda = types.SimpleNamespace(
        is_available=lambda: bool(gpus), is_initialized=lambda: bool(gpus), device_count=lambda: len(gpus),
        get_device_name=lambda i: gpus[i], get_device_capability=lambda i: (9, 0),
        max_memory_allocated=lambda: allocated)
    cudnn = types.SimpleNamespace(is_available=lambda: bool(gpus), version=lambda: 91002)
    return types.SimpleNamespace(cuda=cuda, version=types.SimpleNamespace(cuda="13.0" if gpus else None),
                                 backends=types.SimpleNamespace(cudnn=cudnn))


def test_torch_probes():
    h200 = fake_torch(["NVIDIA H200"], allocated=4096)
    assert worker.torch_gpu_facts(h200) == {"cuda": "13.0", "hip": None, "cudnn": 91002,
                                            "gpus": [{"name": "NVIDIA H200", "capability": "9.0"}]}
    assert worker.device_used("torch", h200) == "gpu"
    assert worker.device_used("torch", fake_torch(["NVIDIA H200"], allocated=0)) == "cpu"
    assert worker.device_used("torch", fake_torch([], allocated=0)) == "cpu"
    assert worker.torch_gpu_facts(fake_torch([], 0))["gpus"] == []


def test_jax_probes():
    gpu = types.SimpleNamespace(platform="gpu", device_kind="NVIDIA H200", compute_capability="9.0")
    jax = types.SimpleNamespace(default_backend=lambda: "gpu", devices=lambda: [gpu])
    facts = worker.jax_gpu_facts(jax)
    assert facts["platform"] == "gpu"
    assert facts["gpus"] == [{"name": "NVIDIA H200", "platform": "gpu", "capability": "9.0"}]
    assert worker.device_used("jax", jax) == "gpu"
    assert worker.device_used("jax", types.SimpleNamespace(default_backend=lambda: "cpu")) == "cpu"


def test_tensorflow_probes():
    gpu = types.SimpleNamespace(name="/physical_device:GPU:0")
    experimental = types.SimpleNamespace(
        get_device_details=lambda d: {"device_name": "NVIDIA H200", "compute_capability": (9, 0)},
        get_memory_info=lambda name: {"current": 0, "peak": 1024})
    config = types.SimpleNamespace(list_physical_devices=lambda kind: [gpu], list_logical_devices=lambda kind: [gpu],
                                   experimental=experimental)
    build = {"cuda_version": "12.5.1", "cudnn_version": "9", "is_cuda_build": True}
    tf = types.SimpleNamespace(__version__="2.20.0", config=config,
                               sysconfig=types.SimpleNamespace(get_build_info=lambda: build))
    assert worker.tf_gpu_facts(tf) == {"cuda": "12.5.1", "cudnn": "9", "cuda_build": True, "gpus": [
        {"device": "/physical_device:GPU:0", "name": "NVIDIA H200", "capability": "9.0"}]}
    assert worker.device_used("tensorflow", tf) == "gpu"
    config.list_logical_devices = lambda kind: []
    assert worker.device_used("tensorflow", tf) == "cpu"


def test_a_failing_probe_is_recorded_not_raised():
    broken = types.SimpleNamespace()   # no attributes at all
    assert worker.device_used("torch", broken).startswith("unknown (AttributeError")
    assert worker.gpu_facts("torch", broken)["error"].startswith("AttributeError")

