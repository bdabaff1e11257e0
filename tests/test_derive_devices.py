"""CPU against GPU on synthetic records (no GPU here: the GPU side is recorded data, written
by the test; the real GPU path is exercised only where a GPU machine runs the cells)."""
import json

from harness.derive import devices
from support import load, write_record

A, B = [0.5, 0.25], [0.5, 0.25 * (1 + 3e-6)]          # 5 digits apart


def observe(path, backend_version, device_used):
    data = json.loads(path.read_text())
    for replay in data["replays"]:
        replay["observed"] = {"python": "3.12.3", "keras": "3.15.1",
                              "backend_library": {"torch": backend_version}, "device_used": device_used}
    path.write_text(json.dumps(data))


def cell(tmp_path, name, device, lists, machine, version, recipe="full", statuses=None):
    path = write_record(tmp_path, name, recipe, lists, machine=machine, backend="torch",
                        statuses=statuses)
    data = json.loads(path.read_text())
    data["cell"]["device"] = device
    path.write_text(json.dumps(data))
    observe(path, version, device)


def test_same_stack_on_both_devices_compares_on_the_same_machine_first(tmp_path):
    cell(tmp_path, "t-gpu", "gpu", [B, B], "gpu-box", "2.11.0+cu130")
    cell(tmp_path, "t-cpu", "cpu", [A, A], "gpu-box", "2.11.0+cpu")
    cell(tmp_path, "t-cpu", "cpu", [B, B], "laptop", "2.11.0+cpu")
    (item,) = devices.compare_devices(load(tmp_path)[1])
    assert item.stack == "keras3 3.15.1 on torch 2.11.0, Python 3.12"
    assert item.same_machine and item.kind == "differs" and item.digits == 5
    assert devices.label(item) == "differs, 5 digits"


def test_identical_other_machine_fallback_and_failures(tmp_path):
    cell(tmp_path, "t-gpu", "gpu", [A, A], "gpu-box", "2.11.0+cu130")
    cell(tmp_path, "t-cpu", "cpu", [A, A], "laptop", "2.11.0+cpu")
    cell(tmp_path, "t-gpu", "gpu", [A], "gpu-box", "2.11.0+cu130", recipe="strict", statuses=["gpu-fallback"])
    cell(tmp_path, "t-cpu", "cpu", [A, A], "laptop", "2.11.0+cpu", recipe="strict")
    cell(tmp_path, "t-gpu", "gpu", [A, B], "gpu-box", "2.11.0+cu130", recipe="numpy")
    cell(tmp_path, "t-cpu", "cpu", [A, A], "laptop", "2.11.0+cpu", recipe="numpy")
    found = {i.recipe: i for i in devices.compare_devices(load(tmp_path)[1])}
    assert found["full"].kind == "identical" and not found["full"].same_machine
    assert devices.label(found["full"]) == "identical (CPU of another machine)"
    assert devices.label(found["strict"]) == "failed on the GPU: gpu-fallback"
    assert found["numpy"].kind == "not repeatable"


def test_other_stacks_do_not_pair(tmp_path):
    cell(tmp_path, "t-gpu", "gpu", [A, A], "gpu-box", "2.11.0+cu130")
    cell(tmp_path, "t-cpu", "cpu", [A, A], "laptop", "2.13.0+cpu")
    assert devices.compare_devices(load(tmp_path)[1]) == []
