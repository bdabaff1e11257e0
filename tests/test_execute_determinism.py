"""The strict recipe on each backend and device, and ops that refuse determinism at run time.

The error texts are those the frameworks raise, as quoted in their sources, tests and bug reports:
PyTorch ATen Context::alertNotDeterministic and the CuBLAS check; TensorFlow's
errors::Unimplemented texts in its GPU kernels (tested in its determinism tests); XLA's check
under --xla_gpu_deterministic_ops (google/flax#4233); Keras 3 on TF with XLA (keras-team/keras#20315)."""
import json
import subprocess
import sys
import types

import pytest

from conftest import TEST_SCENARIOS, plain_cell
from harness import paths
from harness.execute import runner, worker

TORCH_OP = ("adaptive_avg_pool2d_backward_cuda does not have a deterministic implementation, but you set "
            "'torch.use_deterministic_algorithms(True)'. You can turn off determinism just for this operation, or "
            "you can use the 'warn_only=True' option, if that's acceptable for your application. You can also file "
            "an issue at https://github.com/pytorch/pytorch/issues to help us prioritize adding deterministic "
            "support for this operation.")
TORCH_CUBLAS = ("Deterministic behavior was enabled with either `torch.use_deterministic_algorithms(True)` or "
                "`at::Context::setDeterministicAlgorithms(true)`, but this operation is not deterministic because it "
                "uses CuBLAS and you have CUDA >= 10.2. To enable deterministic behavior in this case, you must set an "
                "environment variable before running your PyTorch application: CUBLAS_WORKSPACE_CONFIG=:4096:8 or "
                "CUBLAS_WORKSPACE_CONFIG=:16:8. For more information, go to "
                "https://docs.nvidia.com/cuda/cublas/index.html#results-reproducibility")
XLA_HLO = ("UNIMPLEMENTED: HLO instruction select-and-scatter.401.0 does not have a deterministic implementation, "
           "but run-to-run determinism is required by --xla_gpu_deterministic_ops.")
TF_EAGER = ("{{function_node __wrapped__AdjustContrastv2_device_/job:localhost/replica:0/task:0/device:GPU:0}} "
            "A deterministic GPU implementation of AdjustContrastv2 is not currently available. "
            "[Op:AdjustContrastv2] name: ")
TF_KERAS3_XLA = ("Graph execution error:\n\nDetected at node gradient_tape/sequential_1/max_pooling2d_1_2/MaxPool2d/"
                 "MaxPoolGrad defined at (most recent call last):\n<stack traces unavailable>\nGPU MaxPool gradient "
                 "ops do not yet have a deterministic XLA implementation.\n\t [[{{node gradient_tape/sequential_1/"
                 "max_pooling2d_1_2/MaxPool2d/MaxPoolGrad}}]]\n\ttf2xla conversion failed while converting "
                 "__inference_one_step_on_data_2978[]. Run with TF_DUMP_GRAPH_PREFIX=/path/to/dump/dir and "
                 "--vmodule=xla_compiler=2 to obtain a dump of the compiled functions.\n\t [[StatefulPartitionedCall]] "
                 "[Op:__inference_one_step_on_iterator_3061]")
TF_SEGMENT = "Deterministic GPU implementation of unsorted segment reduction op not available."
TF_SEGMENT_NODE = TF_SEGMENT + " [[{{node UnsortedSegmentSum}}]]"
TF_BATCHNORM = ("A deterministic GPU implementation of fused batch-norm backprop, when training is disabled, is not "
                "currently available.")
TF_SOFTMAX = "Deterministic GPU implementation of SoftmaxCrossEntropyWithLogits not available."
TF_SPARSE = "A deterministic GPU implementation of SparseTensorDenseMatmulOp is not currently available."


@pytest.mark.parametrize("message,op", [
    (TORCH_OP, "adaptive_avg_pool2d_backward_cuda"), (TORCH_CUBLAS, "CuBLAS"),
    (XLA_HLO, "select-and-scatter.401.0"), (TF_EAGER, "AdjustContrastv2"), (TF_KERAS3_XLA, "MaxPoolGrad"),
    (TF_SEGMENT, "unsorted segment reduction op"), (TF_SEGMENT_NODE, "UnsortedSegmentSum"),
    (TF_BATCHNORM, "fused batch-norm backprop"), (TF_SOFTMAX, "SoftmaxCrossEntropyWithLogits"),
    (TF_SPARSE, "SparseTensorDenseMatmulOp"),
])
def test_the_refusing_op_is_named(message, op):
    assert worker.determinism_refusal(message) == op


@pytest.mark.parametrize("message", [
    "division by zero", "CUDA out of memory. Tried to allocate 2.00 GiB",
    "Random ops require a seed to be set when determinism is enabled. Please set a seed before running the op, "
    "e.g. by calling tf.random.set_seed(1).",
])
def test_other_errors_are_not_refusals(message):
    assert worker.determinism_refusal(message) is None


def test_a_refusal_is_its_own_outcome_with_the_op(tmp_path):
    out = tmp_path / "r.json"
    done = subprocess.run([sys.executable, str(paths.WORKER), "--scenario", str(TEST_SCENARIOS / "refuses_determinism.py"),
                           "--recipe", "strict", "--api", "none", "--backend", "none", "--out", str(out)],
                          capture_output=True, text=True, timeout=60)
    result = json.loads(out.read_text())
    assert done.returncode == 1
    assert result["status"] == "determinism-unavailable"
    assert result["error"]["op"] == "scatter_add_cuda_kernel" and result["error"]["type"] == "RuntimeError"
    replay = runner.run_replay(sys.executable, plain_cell(), TEST_SCENARIOS / "refuses_determinism.py", "strict", 60)
    assert replay["status"] == "determinism-unavailable" and replay["error"]["op"] == "scatter_add_cuda_kernel"
    assert replay["error_summary"].startswith("RuntimeError: scatter_add_cuda_kernel does not have")


def test_strict_environment_per_backend_and_device():
    env = worker.recipe_environment
    tf = env("strict", "tensorflow", "gpu", {})
    assert tf["TF_DETERMINISTIC_OPS"] == "1" and tf["TF_CUDNN_DETERMINISTIC"] == "1"
    assert env("strict", "jax", "gpu", {})["XLA_FLAGS"] == "--xla_gpu_deterministic_ops=true"
    assert env("strict", "torch", "gpu", {})["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    assert "CUBLAS_WORKSPACE_CONFIG" not in env("strict", "torch", "cpu", {})
    assert "XLA_FLAGS" not in env("full", "jax", "gpu", {})   # determinism switches belong to strict only


class Cudnn:
    deterministic, benchmark = False, True


def fake_torch():
    calls = []
    return types.SimpleNamespace(
        use_deterministic_algorithms=lambda flag: calls.append(("deterministic", flag)),
        set_num_threads=lambda n: calls.append(("threads", n)),
        set_num_interop_threads=lambda n: calls.append(("interop", n)),
        backends=types.SimpleNamespace(cudnn=Cudnn()), calls=calls)


def test_strict_torch_on_gpu_pins_cudnn_and_records_it(monkeypatch):
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch, log = fake_torch(), worker.SeedLog()
    worker.strict_before_keras("torch", torch, log, "gpu")
    assert torch.backends.cudnn.deterministic is True and torch.backends.cudnn.benchmark is False
    assert ("deterministic", True) in torch.calls
    assert log.calls[-3:] == ["torch.backends.cudnn.deterministic = True", "torch.backends.cudnn.benchmark = False",
                              "env CUBLAS_WORKSPACE_CONFIG=:4096:8"]
    torch, log = fake_torch(), worker.SeedLog()
    worker.strict_before_keras("torch", torch, log, "cpu")
    assert torch.backends.cudnn.benchmark is True and not any("cudnn" in c for c in log.calls)


def test_strict_tensorflow_on_gpu_records_its_switches(monkeypatch):
    monkeypatch.setenv("TF_DETERMINISTIC_OPS", "1")
    monkeypatch.setenv("TF_CUDNN_DETERMINISTIC", "1")
    for version, missing in (("1.15.5", True), ("2.7.4", False)):
        log = worker.SeedLog()
        worker.strict_on_gpu("tensorflow", types.SimpleNamespace(__version__=version), log)
        assert log.calls == ["env TF_DETERMINISTIC_OPS=1 TF_CUDNN_DETERMINISTIC=1"]
        assert bool(log.unavailable) is missing


def test_strict_jax_on_gpu_records_xla_flags(monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", "--xla_gpu_deterministic_ops=true")
    log = worker.SeedLog()
    worker.strict_before_keras("jax", None, log, "gpu")
    assert log.calls[-1] == "env XLA_FLAGS=--xla_gpu_deterministic_ops=true"
