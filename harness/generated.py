"""Files derived from the matrix and checked in: tox.ini and the scheduled CI workflow.

`harness sync` writes them; `harness check` and a test fail when they are stale.
(noxfile.py reads the matrix at load time, so it cannot go stale.)

The workflow (docs/ci.md explains every choice): a `plan` job picks the cells (all of them weekly,
a tag or named cells on manual dispatch, a small subset on pull requests) and splits them by how
their interpreter reaches a runner; each group runs as N shards (`harness run --shard I/N`), each
shard writing to its own results directory and uploading only those records; `publish` merges
every artifact into the committed records (whatever the artifacts' layout), checks that the
harness itself worked, publishes, and hands the site to `pages` and, when `harness diff` sees a
change, the records to `propose` (a pull request); `tests` runs the fast lane of the test suite and
the browser tests of the site. `pages` and `propose` run when `publish` and `tests` succeeded,
whichever cell jobs were skipped. The scripts of the `run:` steps are functions here, so that
tests/test_workflow.py runs them in job order on a real (tiny) matrix.
"""
from __future__ import annotations

import dataclasses
import json

from . import paths
from .matrix import Matrix

HEADER = "# Generated from matrix.toml by `python -m harness sync`; do not edit by hand.\n"
HOST_PYTHON = "3.11"
WORKFLOW = ".github/workflows/matrix.yml"

# The orchestrator's interpreter and uv, pinned: uv also decides which CPython build
# `uv python install X.Y.Z` fetches, so one uv version gives the same interpreters every week.
UV_VERSION = "0.13.9"
HOST_PYTHON_PATCH = "3.11.7"
# Interpreters uv installs (python-build-standalone builds), pinned to the patch releases the
# reference machine's records observed. Versions not listed get uv's newest X.Y patch.
UV_PYTHONS = {"3.8": "3.8.18", "3.10": "3.10.13", "3.11": "3.11.7", "3.12": "3.12.1",
              "3.13": "3.13.0"}
# Interpreters uv cannot install (no python-build-standalone build) and that setup-python no
# longer offers on current Ubuntu images: the official Debian-based images of that exact release,
# pinned by the digest of their multi-platform manifest list. The digests are read from Docker's
# own published image records (docker-library/repo-info, repos/python/remote/<tag>.md; the date is
# the build they describe); docs/ci.md says how to check or refresh them. The tag stays in front
# for the reader; with a digest, Docker pulls by the digest alone.
CONTAINERS = {
    "2.7": "python:2.7.18-buster@sha256:8bca403e096147bb6155bb087a38ebb3c0c22a96ee907a359246af45b49bece5",
    "3.6": "python:3.6.15-bullseye@sha256:b180785d9bb8a1ad52e3d38f94c745e475d0d797a268e53240d4320e0da5662b",
    "3.7": "python:3.7.16-bullseye@sha256:1f28287096c1a96a450455e819e26a9ac096f448d653006c82846c4fe52e9014",
}
CONTAINER_BUILDS = {"2.7": "2020-04-20", "3.6": "2021-11-17", "3.7": "2023-01-24"}

# Every action pinned to a full commit (the tag it had when pinned in the comment).
ACTIONS = {
    "checkout": ("actions/checkout", "3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "setup-uv": ("astral-sh/setup-uv", "20cfd1bf945f4377ade1205e4dbc17946fc9a30d", "v10.0.1"),
    "cache": ("actions/cache", "27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
    "upload-artifact": ("actions/upload-artifact", "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "download-artifact": ("actions/download-artifact", "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c",
                          "v8.0.1"),
    "upload-pages-artifact": ("actions/upload-pages-artifact",
                              "fc324d3547104276b827a68afc52ff2a11cc49c9", "v5.0.0"),
    "deploy-pages": ("actions/deploy-pages", "cd2ce8fcbc39b97be8ca5fce6e763baed58fa128", "v5.0.0"),
    "create-pull-request": ("peter-evans/create-pull-request",
                            "5f6978faf089d4d20b00c7766989d076bb2fc7f1", "v8.1.1"),
}

RUNNER = "ubuntu-24.04"
GPU_RUNS_ON = '["self-hosted", "linux", "gpu"]'
MAX_SHARDS = 16             # shards per group: parallel jobs without flooding the runner pool
SHARD_TIMEOUT = 350         # minutes; GitHub-hosted jobs stop at 360
GPU_SHARD_TIMEOUT = 720
RUN_MARGIN = 15             # minutes the shard step leaves to the upload after it (step timeout)
RESULTS_JOB = "results-job"  # each shard's own results directory: only its records are uploaded
PR_RUN_ARGS = "--recipe full --replays 2"
PR_APIS = ("keras2", "tf.keras", "tf-keras", "keras3")
PR_PATHS = ("matrix.toml", "scenarios/**", "harness/**", "pyproject.toml", WORKFLOW)
# The test suite's fast lane (no environment builds, no browser, no old interpreters) and the
# browser tests of the site, whose screenshots are uploaded.
FAST_LANE = "not e2e and not browser and not oldpython"
SCREENSHOTS = "site-screenshots"
ARTIFACTS = "artifacts"
# The weekly run's matrix: the plan job adds the releases the matrix lacks (`harness releases
# --write`, which also regenerates tox.ini) and hands these files to every later job.
MATRIX_ARTIFACT = "matrix"
MATRIX_FILES = ("matrix.toml", "tox.ini", "locks/")   # locks/: the added cells' locks too


def tox_ini(m: Matrix) -> str:
    """One tox environment per cell; each is a thin front end over `harness run <cell>`.

    tox's own virtualenv only holds the orchestrator; the cell's environment is built by the
    harness (uv or venv + pip, reused by hash), so nox, tox and the CLI share one cache and an
    install failure becomes a recorded cell outcome instead of a tox error."""
    envs = "\n".join(f"    {c.name}" for c in m.cells)
    sections = "".join(
        f"\n[testenv:{c.name}]\ndescription = {c.api} on {c.backend}, Python {c.python}, {c.device}"
        f" [{', '.join(c.tags)}]\n" for c in m.cells)
    return (HEADER + "[tox]\nrequires = tox>=4\nenv_list =\n" + envs + "\n\n"
            "[testenv]\n"
            f"base_python = python{HOST_PYTHON}\n"
            "package = skip\n"
            "deps = -e {toxinidir}\n"
            "pass_env = HARNESS_*, PYENV_ROOT, PIP_*, UV_*, HOME\n"
            "change_dir = {toxinidir}\n"
            "commands = python -m harness run {env_name} {posargs}\n"
            + sections)


# --------------------------------------------------------------------------------------------
# The workflow
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Group:
    """Cells that share a kind of runner and a way of getting their interpreter."""

    id: str                   # job id suffix and plan output prefix
    device: str
    container: str | None     # image, or None: interpreters from uv on the runner itself
    pythons: tuple            # the cells' Python versions (X.Y)

    @property
    def job(self) -> str:
        return f"cells-{self.id}"

    @property
    def gpu(self) -> bool:
        return self.device == "gpu"

    def jq_filter(self) -> str:
        versions = ",".join(f'"{v}"' for v in self.pythons)
        return f'.device == "{self.device}" and (.python | IN({versions}))'


def groups(m: Matrix) -> list:
    """The groups present in the matrix: per device, one for runner-side interpreters and one per
    container image."""
    found = {}
    for cell in m.cells:
        image = CONTAINERS.get(cell.python)
        key = (cell.device, image)
        found.setdefault(key, set()).add(cell.python)
    result = []
    for (device, image), versions in found.items():
        ident = device if image is None else f"{device}-py" + "-".join(
            v.replace(".", "") for v in sorted(versions, key=_version_key))
        result.append(Group(ident, device, image, tuple(sorted(versions, key=_version_key))))
    return sorted(result, key=lambda g: (g.device != "cpu", g.container is not None, g.id))


def _version_key(version: str) -> tuple:
    return tuple(int(part) for part in version.split("."))


def pr_cells(m: Matrix) -> list:
    """The pull-request subset: the first default cell of each Keras API generation that runs on a
    GitHub-hosted runner."""
    chosen = []
    for api in PR_APIS:
        cell = next((c for c in m.cells if c.api == api and "default" in c.tags and c.device == "cpu"),
                    None)
        if cell is not None:
            chosen.append(cell.name)
    return chosen


def uses(name: str) -> str:
    repo, sha, tag = ACTIONS[name]
    return f"{repo}@{sha}  # {tag}"


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


def _setup_uv(cache_suffix: str | None) -> str:
    """setup-uv pinned; with a cache suffix the uv package cache (wheels) is kept between runs, one
    entry per shard (each shard builds different cells). uv's Pythons are cached apart, once per
    set of interpreters (_orchestrator), not once per shard."""
    lines = [f"- uses: {uses('setup-uv')}", "  with:", f'    version: "{UV_VERSION}"']
    if cache_suffix:
        lines += ["    enable-cache: true", "    cache-python: false", "    prune-cache: true",
                  "    cache-dependency-glob: matrix.toml", f"    cache-suffix: {cache_suffix}"]
    else:
        lines += ["    enable-cache: false"]
    return "\n".join(lines) + "\n"


def interpreter_set(pythons=()) -> list:
    """The uv-managed interpreters a job installs: the host's and the cells' (patch releases)."""
    return [HOST_PYTHON_PATCH] + [UV_PYTHONS.get(v, v) for v in pythons
                                  if UV_PYTHONS.get(v, v) != HOST_PYTHON_PATCH]


def _orchestrator(extra: str = "", pythons=()) -> str:
    """Steps: the pinned host Python and the cells' uv Pythons (one cache entry per set of
    interpreters, shared by every job and shard that needs that set), and the harness in .host/."""
    found = interpreter_set(pythons)
    install = " ".join(found)
    exports = "".join(
        f'          echo "HARNESS_PYTHON_{v.replace(".", "_")}=$(uv python find {UV_PYTHONS.get(v, v)})"'
        f' >> "$GITHUB_ENV"\n' for v in pythons)
    return (
        f"      - uses: {uses('cache')}\n"
        "        with:\n"
        "          path: ${{ runner.temp }}/uv-python\n"
        f"          key: uv-python-${{{{ runner.os }}}}-${{{{ runner.arch }}}}-uv{UV_VERSION}-{'-'.join(found)}\n"
        "      - name: interpreters (uv-managed, pinned)\n"
        "        env:\n"
        "          UV_PYTHON_INSTALL_DIR: ${{ runner.temp }}/uv-python\n"
        "        run: |\n"
        '          echo "UV_PYTHON_INSTALL_DIR=$UV_PYTHON_INSTALL_DIR" >> "$GITHUB_ENV"\n'
        f"          uv python install {install}\n" + exports +
        "      - name: orchestrator\n"
        "        run: |\n"
        f"          uv venv --seed --python {HOST_PYTHON_PATCH} .host\n"
        f'          uv pip install --python .host -e ".{extra}" "uv=={UV_VERSION}"\n')


def _checkout(full_history: bool = False) -> str:
    """With full history where the pages name the commit that last changed the records (a shallow
    clone would name the checked-out commit instead) and where `harness diff git:HEAD` reads them."""
    return (f"      - uses: {uses('checkout')}\n"
            "        with:\n"
            "          persist-credentials: false\n"
            + ("          fetch-depth: 0\n" if full_history else ""))


def plan_script(m: Matrix, found: list) -> str:
    """The plan step: choose the cells from the event, then per group its cells and shards.
    Reads EVENT, TAG, CELLS and PR_CELLS; writes to $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY."""
    calls = "".join(f"plan {g.id.replace('-', '_')} '{g.jq_filter()}'\n" for g in found)
    return f"""if [ "$EVENT" = pull_request ]; then
  read -ra selection <<< "$PR_CELLS"
  echo "run_args={PR_RUN_ARGS}" >> "$GITHUB_OUTPUT"
elif [ -n "$CELLS" ]; then
  read -ra selection <<< "$CELLS"
  echo "run_args=" >> "$GITHUB_OUTPUT"
else
  selection=(-t "${{TAG:-all}}")
  echo "run_args=" >> "$GITHUB_OUTPUT"
fi
.host/bin/python -m harness list --json "${{selection[@]}}" > selected.json
plan() {{  # group id, jq filter of its cells
  local count
  count=$(jq "[.[] | select($2)] | length" selected.json)
  echo "$1_cells=$(jq -r "[.[] | select($2) | .name] | join(\\" \\")" selected.json)" >> "$GITHUB_OUTPUT"
  echo "$1_count=$(( count < {MAX_SHARDS} ? count : {MAX_SHARDS} ))" >> "$GITHUB_OUTPUT"
  echo "$1_shards=$(jq -cn --argjson n "$count" '[range(1; ([$n, {MAX_SHARDS}] | min) + 1)]')" >> "$GITHUB_OUTPUT"
  echo "$1: $count cell(s)" >> "$GITHUB_STEP_SUMMARY"
}}
{calls}"""


def releases_script() -> str:
    """The weekly run's first step: add the releases the matrix lacks (exit 1 of `harness releases
    --write`); an index that does not answer leaves the committed matrix, with a warning."""
    return """status=0
.host/bin/python -m harness releases --write > releases.txt || status=$?
if [ "$status" -gt 1 ]; then
  echo "::warning::harness releases failed (see the log); this run uses the committed matrix"
fi
if [ "$status" -eq 1 ]; then  # the added cells' locks, resolved now (docs/locks.md)
  .host/bin/python -m harness lock --write >> releases.txt || echo "::warning::some added cells have no lock; they build unlocked"
fi
echo "found=$([ "$status" -eq 1 ] && echo true || echo false)" >> "$GITHUB_OUTPUT"
{ echo '### Releases the matrix lacked'; echo '```'; cat releases.txt; echo '```'; } >> "$GITHUB_STEP_SUMMARY"
"""


def _matrix_download() -> str:
    """The step that gives a job the matrix the plan job used (with the releases it added)."""
    return (f"      - uses: {uses('download-artifact')}\n"
            "        with:\n"
            f"          name: {MATRIX_ARTIFACT}\n"
            "          path: .\n")


def shard_script() -> str:
    """The shard step: this part of the group's cells, into the job's own results directory.
    Reads CELLS, SHARD (I/N) and RUN_ARGS."""
    return ('read -ra cells <<< "$CELLS"\n'
            'read -ra extra <<< "$RUN_ARGS"\n'
            f'.host/bin/python -m harness --results {RESULTS_JOB} run "${{cells[@]}}" '
            '--shard "$SHARD" --timings results "${extra[@]}"\n')


def merge_script() -> str:
    """The publish job's merge step, whatever the artifacts' layout: download-artifact unpacks one
    artifact straight into artifacts/, several into artifacts/<name>/. Every directory holding a
    records/ folder is a shard's results directory. `harness check --records` fails the job when
    the harness itself broke (every cell failed to install) before anything is merged."""
    return f"""mapfile -t sources < <(find {ARTIFACTS} -type d -name records -prune -printf '%h\\n' 2>/dev/null | sort)
if [ ${{#sources[@]}} -eq 0 ]; then echo "no shard uploaded records" >&2; exit 1; fi
echo "merging ${{#sources[@]}} shard result directories: ${{sources[*]}}"
.host/bin/python -m harness check --records "${{sources[@]}}"
.host/bin/python -m harness merge "${{sources[@]}}"
"""


def publish_script() -> str:
    return ".host/bin/python -m harness publish\n"


def diff_script() -> str:
    """What changed since the committed records: `changed` for `propose`, diff.md for its body and
    the job summary. Exit 0 unchanged, 1 changed, 2 an error (which fails the step)."""
    return """status=0
.host/bin/python -m harness diff git:HEAD results > diff.md || status=$?
if [ "$status" -gt 1 ]; then exit "$status"; fi
echo "changed=$([ "$status" -eq 1 ] && echo true || echo false)" >> "$GITHUB_OUTPUT"
cat diff.md >> "$GITHUB_STEP_SUMMARY"
"""


def bitwise_script() -> str:
    """Pull requests only: fail when a committed bitwise verdict is no longer bitwise (exit 1 of
    `harness diff --fail-on bitwise-lost`); other changes are reported, not failed."""
    return """status=0
.host/bin/python -m harness diff --fail-on bitwise-lost git:HEAD results > bitwise.md || status=$?
if [ "$status" -eq 1 ]; then
  echo "::error::a committed bitwise verdict is no longer bitwise (see the job summary)"
  { echo "### Bitwise verdicts lost"; cat bitwise.md; } >> "$GITHUB_STEP_SUMMARY"
fi
exit "$status"
"""


def _plan_job(m: Matrix, found: list) -> str:
    outputs = "".join(
        f"      {g.id.replace('-', '_')}_{name}: ${{{{ steps.plan.outputs.{g.id.replace('-', '_')}_{name} }}}}\n"
        for g in found for name in ("cells", "shards", "count"))
    return f"""  plan:
    name: plan (which cells, which shards)
    runs-on: {RUNNER}
    timeout-minutes: 10
    permissions:
      contents: read
    outputs:
      run_args: ${{{{ steps.plan.outputs.run_args }}}}
      releases: ${{{{ steps.releases.outputs.found }}}}
{outputs}    steps:
{_checkout()}{_indent(_setup_uv(None), 6)}{_orchestrator()}      - id: releases
        name: releases the matrix lacks, added to it (weekly run)
        if: ${{{{ github.event_name == 'schedule' }}}}
        run: |
{_indent(releases_script(), 10)}      - uses: {uses('upload-artifact')}
        with:
          name: {MATRIX_ARTIFACT}
          path: |
{"".join(f"            {name}{chr(10)}" for name in MATRIX_FILES)}          retention-days: 30
      - id: plan
        env:
          EVENT: ${{{{ github.event_name }}}}
          TAG: ${{{{ inputs.tag }}}}
          CELLS: ${{{{ inputs.cells }}}}
          PR_CELLS: {" ".join(pr_cells(m))}
        run: |
{_indent(plan_script(m, found), 10)}"""


def _group_job(g: Group) -> str:
    out = g.id.replace("-", "_")
    condition = f"needs.plan.outputs.{out}_cells != ''"
    if g.gpu:
        condition = f"vars.HARNESS_GPU_RUNNER == 'true' && {condition}"
        runs_on = f"${{{{ fromJSON(vars.HARNESS_GPU_RUNS_ON || '{GPU_RUNS_ON}') }}}}"
    else:
        runs_on = RUNNER
    container = ""
    if g.container:
        container = f"    container:\n      image: {g.container}\n"
        if g.gpu:
            container += "      options: --gpus all\n"
    uv_pythons = () if g.container else g.pythons
    pip_cache = ""
    if g.container and any(v in ("2.7", "3.6") for v in g.pythons):
        # one entry per shard (each shard installs different cells); a new shard split starts
        # from any earlier entry of the group
        pip_cache = (f"      - uses: {uses('cache')}\n"
                     "        with:\n"
                     "          path: ~/.cache/pip\n"
                     f"          key: pip-{g.id}-${{{{ matrix.shard }}}}-${{{{ hashFiles('matrix.toml') }}}}\n"
                     "          restore-keys: |\n"
                     f"            pip-{g.id}-${{{{ matrix.shard }}}}-\n"
                     f"            pip-{g.id}-\n")
    timeout = GPU_SHARD_TIMEOUT if g.gpu else SHARD_TIMEOUT
    return f"""  {g.job}:
    name: {g.id} shard ${{{{ matrix.shard }}}}/${{{{ needs.plan.outputs.{out}_count }}}}
    needs: plan
    if: ${{{{ {condition} }}}}
    runs-on: {runs_on}
{container}    timeout-minutes: {timeout}
    permissions:
      contents: read
    strategy:
      fail-fast: false
      matrix:
        shard: ${{{{ fromJSON(needs.plan.outputs.{out}_shards) }}}}
    steps:
{_checkout()}{_matrix_download()}{_indent(_setup_uv(f"{g.id}-${{{{ matrix.shard }}}}"), 6)}{pip_cache}{_orchestrator(pythons=uv_pythons)}      - name: run the shard's cells
        timeout-minutes: {timeout - RUN_MARGIN}
        env:
          CELLS: ${{{{ needs.plan.outputs.{out}_cells }}}}
          SHARD: ${{{{ matrix.shard }}}}/${{{{ needs.plan.outputs.{out}_count }}}}
          RUN_ARGS: ${{{{ needs.plan.outputs.run_args }}}}
        run: |
{_indent(shard_script(), 10)}      - uses: {uses('upload-artifact')}
        if: ${{{{ always() }}}}
        with:
          name: records-{g.id}-${{{{ matrix.shard }}}}
          path: {RESULTS_JOB}/
          if-no-files-found: warn
          retention-days: 14
"""


def _publish_job(found: list) -> str:
    needs = ", ".join(["plan"] + [g.job for g in found])
    return f"""  publish:
    name: merge, check, publish, diff
    needs: [{needs}]
    if: ${{{{ !cancelled() && needs.plan.result == 'success' }}}}
    runs-on: {RUNNER}
    timeout-minutes: 30
    permissions:
      contents: read
    outputs:
      changed: ${{{{ steps.diff.outputs.changed == 'true' || needs.plan.outputs.releases == 'true' }}}}
    steps:
{_checkout(full_history=True)}{_matrix_download()}{_indent(_setup_uv(None), 6)}{_orchestrator("[publish]")}      - uses: {uses('download-artifact')}
        with:
          pattern: records-*
          path: {ARTIFACTS}
      - name: merge every shard's records into the committed ones (fails when the harness broke)
        run: |
{_indent(merge_script(), 10)}      - name: publish
        run: {publish_script().strip()}
      - id: diff
        name: what changed since the committed records
        run: |
{_indent(diff_script(), 10)}      - uses: {uses('upload-artifact')}
        with:
          name: published
          path: |
            results/
            README.md
            diff.md
          retention-days: 30
      - uses: {uses('upload-pages-artifact')}
        if: ${{{{ github.event_name != 'pull_request' }}}}
        with:
          path: results/site/
      - name: every committed bitwise verdict is still bitwise
        if: ${{{{ github.event_name == 'pull_request' }}}}
        run: |
{_indent(bitwise_script(), 10)}"""


def _tests_job() -> str:
    return f"""  tests:
    name: test suite (fast lane) and the site in a browser
    runs-on: {RUNNER}
    timeout-minutes: 40
    permissions:
      contents: read
    steps:
{_checkout(full_history=True)}{_indent(_setup_uv(None), 6)}{_orchestrator("[publish,test]", pythons=(HOST_PYTHON,))}      - name: fast lane
        run: .host/bin/python -m pytest -q -m "{FAST_LANE}"
      - name: the site in headless Chromium (screenshots at 1600 and 400 px)
        env:
          HARNESS_SCREENSHOTS: {SCREENSHOTS}
        run: .host/bin/python -m pytest -q -m browser tests/test_site.py
      - uses: {uses('upload-artifact')}
        if: ${{{{ always() }}}}
        with:
          name: site-screenshots
          path: {SCREENSHOTS}/
          if-no-files-found: warn
          retention-days: 14
"""


def _pages_job() -> str:
    return f"""  pages:
    name: deploy the site to GitHub Pages
    needs: [publish, tests]
    if: ${{{{ !cancelled() && needs.publish.result == 'success' && needs.tests.result == 'success' && (github.event_name == 'schedule' || (github.event_name == 'workflow_dispatch' && github.ref == format('refs/heads/{{0}}', github.event.repository.default_branch))) }}}}
    runs-on: {RUNNER}
    timeout-minutes: 10
    permissions:
      pages: write
      id-token: write
    concurrency:
      group: pages
      cancel-in-progress: false
    environment:
      name: github-pages
      url: ${{{{ steps.deploy.outputs.page_url }}}}
    steps:
      - id: deploy
        uses: {uses('deploy-pages')}
"""


def _propose_job() -> str:
    return f"""  propose:
    name: pull request with the new records
    needs: [publish, tests]
    if: ${{{{ !cancelled() && needs.publish.result == 'success' && needs.tests.result == 'success' && github.event_name != 'pull_request' && needs.publish.outputs.changed == 'true' }}}}
    runs-on: {RUNNER}
    timeout-minutes: 10
    permissions:
      contents: write
      pull-requests: write
    steps:
      - uses: {uses('checkout')}
      - uses: {uses('download-artifact')}
        with:
          name: published
          path: .
{_matrix_download()}      - uses: {uses('create-pull-request')}
        with:
          branch: matrix/records
          delete-branch: true
          add-paths: |
            results/
            README.md
{"".join(f"            {name}{chr(10)}" for name in MATRIX_FILES)}          commit-message: "records: scheduled matrix run ${{{{ github.run_id }}}}"
          title: "Matrix records: verdicts or fingerprints changed"
          body-path: diff.md
"""


def workflow(m: Matrix) -> str:
    found = groups(m)
    tags = sorted({t for c in m.cells for t in c.tags} - {"all"})
    options = "".join(f"          - {json.dumps(t)}\n" for t in ["all"] + tags)
    paths_filter = "".join(f"      - {json.dumps(p)}\n" for p in PR_PATHS)
    jobs = _plan_job(m, found) + "".join(_group_job(g) for g in found) + _publish_job(found) \
        + _tests_job() + _pages_job() + _propose_job()
    return HEADER + f"""# Weekly: every cell. Manual: a tag or named cells. Pull requests: {len(pr_cells(m))} cells, {PR_RUN_ARGS}.
# Setup (docs/ci.md): Pages source "GitHub Actions"; "Allow GitHub Actions to create and approve
# pull requests"; optional repository variables HARNESS_GPU_RUNNER=true and HARNESS_GPU_RUNS_ON.
name: reproducibility-matrix
on:
  schedule:
    - cron: "17 3 * * 1"
  workflow_dispatch:
    inputs:
      tag:
        description: run the cells with this tag (ignored when cells are named)
        type: choice
        default: all
        options:
{options}      cells:
        description: cell names separated by spaces (default none; then the tag decides)
        type: string
        default: ""
  pull_request:
    paths:
{paths_filter}permissions: {{}}
concurrency:
  group: ${{{{ github.workflow }}}}-${{{{ github.event_name == 'pull_request' && github.ref || 'records' }}}}
  cancel-in-progress: ${{{{ github.event_name == 'pull_request' }}}}
defaults:
  run:
    shell: bash
env:
  PYTHONUNBUFFERED: "1"
jobs:
{jobs}"""


def targets(m: Matrix) -> dict:
    root = paths.root()
    return {root / "tox.ini": tox_ini(m), root / WORKFLOW: workflow(m)}


def stale_files(m: Matrix) -> list:
    """Messages naming derived files that differ from what the matrix gives."""
    problems = []
    for path, text in targets(m).items():
        if not path.is_file() or path.read_text() != text:
            problems.append(f"{path}: stale or missing; run `python -m harness sync` and commit it")
    return problems


def write_all(m: Matrix) -> list:
    written = []
    for path, text in targets(m).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    return written
