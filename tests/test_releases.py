"""`harness releases`, offline: the index's recorded answers (tests/data/index/, PyPI's PEP 691
JSON of 2026-12-01, trimmed) served by a real HTTP server on 127.0.0.1, asked by the real client
in a real `python -m harness` process, compared with small matrices written here."""
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import pytest

from harness import matrix
from harness.derive import releases

ROOT = Path(__file__).resolve().parent.parent
INDEX = ROOT / "tests" / "data" / "index"

# What the recorded index offers beyond this matrix: TensorFlow 2.14.1 (tf.keras ladder),
# tf-keras 2.21.0 with TensorFlow 2.21.0 (tf-keras ladder, with an override), torch 2.15.0 and
# jax 0.12.0.1 (Keras 3 cells). Keras 3.15.1 on TensorFlow 2.21.0 is the newest final pair there
# (2.22.0rc0 is a pre-release), so it adds nothing.
MATRIX = '''# A small matrix in the project's layout.
schema = 1

[defaults]
replays = 5
recipes = ["full"]

# --- Keras 3 ---
[[cell]]
name = "keras3.15.1-tensorflow2.21.0-python3.11"
api = "keras3"
backend = "tensorflow"
python = "3.11"
requirements = ["keras==3.15.1", "tensorflow==2.21.0"]
tags = ["default"]

[[cell]]
name = "keras3.15.1-torch2.13.0-python3.11"
api = "keras3"
backend = "torch"
python = "3.11"
requirements = ["keras==3.15.1", "torch==2.13.0"]
tags = ["default"]

[[cell]]
name = "keras3.15.1-jax0.10.2-python3.11"
api = "keras3"
backend = "jax"
python = "3.11"
requirements = ["keras==3.15.1", "jax[cpu]==0.10.2"]
tags = ["default", "ladder-keras3-jax"]

[[cell]]
name = "tf.keras-tensorflow2.15.1-python3.11"
api = "tf.keras"
backend = "tensorflow"
python = "3.11"
requirements = ["tensorflow==2.15.1"]

[[cell]]
name = "tf-keras2.20.1-tensorflow2.20.0-python3.11"
api = "tf-keras"
backend = "tensorflow"
python = "3.11"
requirements = ["tensorflow==2.20.0", "tf-keras==2.20.1"]
env = { TF_USE_LEGACY_KERAS = "1" }
tags = ["ladder-tf-keras"]

# --- Ladders ---
# tf.keras on Python 3.11 (the comment stays).
[[ladder]]
name_template = "tf.keras-tensorflow{version}-python3.11"
versions = ["2.13.1", "2.14.0"]   # the newest patch of each minor
api = "tf.keras"
backend = "tensorflow"
python = "3.11"
requirements = ["tensorflow=={version}"]
tags = ["ladder-tf"]

# tf.keras on Python 3.7: TensorFlow 2.11.1 has no Python 3.7 wheels, so 2.11.0 stays the newest.
[[ladder]]
name_template = "tf.keras-tensorflow{version}-python3.7"
versions = ["2.10.1", "2.11.0"]
api = "tf.keras"
backend = "tensorflow"
python = "3.7"
requirements = ["tensorflow=={version}", "protobuf<4"]
tags = ["ladder-tf"]

# tf-keras on TensorFlow 2.18-2.19.
[[ladder]]
name_template = "tf-keras-tensorflow{version}-python3.11"
versions = ["2.18.1", "2.19.1"]
api = "tf-keras"
backend = "tensorflow"
python = "3.11"
requirements = ["tensorflow=={version}"]
env = { TF_USE_LEGACY_KERAS = "1" }
tags = ["ladder-tf-keras"]
[ladder.overrides]
"2.18.1" = { name = "tf-keras2.18.0-tensorflow2.18.1-python3.11", requirements = ["tensorflow==2.18.1", "tf-keras==2.18.0"] }
"2.19.1" = { name = "tf-keras2.19.0-tensorflow2.19.1-python3.11", requirements = ["tensorflow==2.19.1", "tf-keras==2.19.0"] }

# --- The end ---
'''

EXPECTED = {
    "tf.keras-tensorflow2.14.1-python3.11": ("tensorflow==2.14.1",),
    "tf-keras2.21.0-tensorflow2.21.0-python3.11": ("tensorflow==2.21.0", "tf-keras==2.21.0"),
    "keras3.15.1-torch2.15.0-python3.11": ("keras==3.15.1", "torch==2.15.0"),
    "keras3.15.1-jax0.12.0.1-python3.12": ("keras==3.15.1", "jax[cpu]==0.12.0.1"),
}


def recorded(project):
    return json.loads((INDEX / f"{project}.json").read_text())["files"]


def answers():
    return {project: recorded(project) for project in releases.PROJECTS}


class IndexHandler(http.server.BaseHTTPRequestHandler):
    """/simple/NAME/ answers the recorded PEP 691 JSON of NAME (/FOLDER/NAME/ that of another
    folder of answers); everything else is 404."""
    accepts = []
    folders = {"simple": INDEX}

    def do_GET(self):
        IndexHandler.accepts.append(self.headers.get("Accept"))
        if self.path.startswith("/html/"):          # an index that only speaks PEP 503 HTML
            body = b"<html><body><a href='keras-3.15.1.tar.gz'>keras-3.15.1.tar.gz</a></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        parts = self.path.strip("/").split("/")
        folder = self.folders.get(parts[0]) if len(parts) == 2 else None
        source = folder / f"{parts[1]}.json" if folder else None
        if source is None or not source.is_file():
            self.send_error(404)
            return
        body = source.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def index_url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), IndexHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "matrix.toml").write_text(MATRIX)
    return tmp_path


def harness(cwd, *args, **env):
    environ = {k: v for k, v in os.environ.items() if k not in ("PIP_INDEX_URL", "HARNESS_ROOT")}
    environ.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, "-m", "harness", *args], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=120)


# --- the comparison (pure) -----------------------------------------------------------------
def test_pre_releases_and_yanked_files_are_ignored():
    tensorflow = releases.releases(recorded("tensorflow"))
    assert "2.22.0rc0" not in tensorflow and "2.21.0" in tensorflow
    assert any("2.22.0rc0" in f["filename"] for f in recorded("tensorflow"))
    tf_keras = releases.releases(recorded("tf-keras"))
    assert any(f["filename"].startswith("tf_keras-2.20.0") and f["yanked"] for f in recorded("tf-keras"))
    assert "2.20.0" not in tf_keras and "2.20.1" in tf_keras
    assert "0.4.32" not in releases.releases(recorded("jax"))


def test_pythons_come_from_wheel_tags_and_requires_python():
    known = releases.index_releases(answers())
    assert "3.7" in known["tensorflow"]["2.11.0"].pythons
    assert "3.7" not in known["tensorflow"]["2.11.1"].pythons     # no cp37 wheel
    assert {"3.9", "3.10", "3.11"} <= known["tensorflow"]["2.15.1"].pythons
    assert "3.12" not in known["tensorflow"]["2.15.1"].pythons
    assert "3.11" not in known["jax"]["0.12.0.1"].pythons          # its jaxlib starts at cp312
    keras = known["keras"]["3.15.1"].pythons                      # py3-none-any, requires-python
    assert "3.11" in keras and "3.9" not in keras and "2.7" not in keras


def test_the_comparison_finds_what_the_matrix_lacks_and_nothing_it_has(tmp_path):
    (tmp_path / "matrix.toml").write_text(MATRIX)
    m = matrix.load(tmp_path / "matrix.toml")
    found = releases.find_new(m.cells, tomllib.loads(MATRIX)["ladder"], answers())
    assert {p.name: p.requirements for p in found} == EXPECTED
    where = {p.name: (p.ladder, p.version, p.override) for p in found}
    assert where["tf.keras-tensorflow2.14.1-python3.11"] == ("tf.keras-tensorflow{version}-python3.11", "2.14.1", False)
    assert where["tf-keras2.21.0-tensorflow2.21.0-python3.11"] == ("tf-keras-tensorflow{version}-python3.11", "2.21.0", True)
    assert where["keras3.15.1-torch2.15.0-python3.11"] == ("", "", False)
    by_name = {p.name: p for p in found}
    assert by_name["keras3.15.1-jax0.12.0.1-python3.12"].python == "3.12"   # JAX 0.12 needs 3.12
    assert dict(by_name["tf-keras2.21.0-tensorflow2.21.0-python3.11"].env) == {"TF_USE_LEGACY_KERAS": "1"}
    # the matrix at the index's newest releases: nothing new
    cells = m.cells + [matrix.Cell(name=p.name, api=p.api, backend=p.backend, python=p.python,
                                   requirements=p.requirements) for p in found]
    assert releases.find_new(cells, tomllib.loads(MATRIX)["ladder"], answers()) == []


# --- the command against a real server ---------------------------------------------------------
def test_the_command_lists_new_cells_and_exits_1(project, index_url):
    IndexHandler.accepts.clear()
    done = harness(project, "releases", "--index-url", index_url, "--json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert {c["name"] for c in report["new"]} == set(EXPECTED) and not report["written"]
    assert set(IndexHandler.accepts) == {"application/vnd.pypi.simple.v1+json"}
    assert len(IndexHandler.accepts) == len(releases.PROJECTS)
    assert (project / "matrix.toml").read_text() == MATRIX
    # PIP_INDEX_URL is the index when no option names one
    text = harness(project, "releases", PIP_INDEX_URL=index_url)
    assert text.returncode == 1 and "keras3.15.1-torch2.15.0-python3.11" in text.stdout


def test_write_adds_ladder_versions_and_cells_keeps_the_text_and_syncs(project, index_url):
    done = harness(project, "releases", "--index-url", index_url, "--write")
    assert done.returncode == 1, done.stderr
    text = (project / "matrix.toml").read_text()
    m = matrix.load(project / "matrix.toml")
    for name, requirements in EXPECTED.items():
        assert m.get(name).requirements == requirements
    ladders = {lad["name_template"]: lad for lad in tomllib.loads(text)["ladder"]}
    assert ladders["tf.keras-tensorflow{version}-python3.11"]["versions"] == ["2.13.1", "2.14.0", "2.14.1"]
    assert ladders["tf.keras-tensorflow{version}-python3.7"]["versions"] == ["2.10.1", "2.11.0"]
    assert ladders["tf-keras-tensorflow{version}-python3.11"]["versions"][-1] == "2.21.0"
    assert m.get("tf-keras2.21.0-tensorflow2.21.0-python3.11").env_dict["TF_USE_LEGACY_KERAS"] == "1"
    # every other line of the old text is still there, comments included, in order
    old = [line for line in MATRIX.splitlines() if not line.startswith("versions = ")]
    kept = iter(text.splitlines())
    assert all(any(line == new for new in kept) for line in old)
    assert 'versions = ["2.13.1", "2.14.0", "2.14.1"]   # the newest patch of each minor' in text
    # a new cell follows the cell of its stack it was derived from
    assert text.index('"keras3.15.1-torch2.13.0-python3.11"') < text.index('"keras3.15.1-torch2.15.0-python3.11"') \
        < text.index('"keras3.15.1-jax0.10.2-python3.11"')
    # the generated files of that project are regenerated
    assert "keras3.15.1-torch2.15.0-python3.11" in (project / "tox.ini").read_text()
    assert (project / ".github/workflows/matrix.yml").is_file()
    assert "wrote" in done.stdout and "tox.ini" in done.stdout
    again = harness(project, "releases", "--index-url", index_url, "--write")
    assert again.returncode == 0 and "every release" in again.stdout
    assert (project / "matrix.toml").read_text() == text


def test_a_write_that_would_break_the_matrix_is_refused(project, index_url):
    """A cell already carries the name the ladder would give TensorFlow 2.14.1 (mislabelled: it
    pins 2.14.0): appending the version would duplicate it, so nothing is written."""
    broken = MATRIX.replace("# --- The end ---\n", '''[[cell]]
name = "tf.keras-tensorflow2.14.1-python3.11"
api = "tf.keras"
backend = "tensorflow"
python = "3.11"
requirements = ["tensorflow==2.13.0"]
''')
    (project / "matrix.toml").write_text(broken)
    done = harness(project, "releases", "--index-url", index_url, "--write")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "duplicate cell name" in lines[0] and "not changed" in lines[0]
    assert "tf.keras-tensorflow2.14.1-python3.11" in lines[0]
    assert (project / "matrix.toml").read_text() == broken
    assert sorted(p.name for p in project.iterdir()) == ["matrix.toml"]   # no temporary left


def test_an_unreachable_index_is_one_line_and_exit_2(project):
    with socket.socket() as probe:          # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = harness(project, "releases", "--index-url", f"http://user:secret@127.0.0.1:{port}/simple/",
                   "--timeout", "5")
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "unreachable" in lines[0] and f"127.0.0.1:{port}" in lines[0]
    assert "secret" not in lines[0]


def test_an_index_without_the_json_api_is_named(project, index_url):
    done = harness(project, "releases", "--index-url", index_url.replace("/simple/", "/nothing/"))
    assert done.returncode == 2 and "HTTP 404" in done.stderr and len(done.stderr.strip().splitlines()) == 1


LADDERS = '''schema = 1

# Keras 3 on JAX, one line too long for one more version.
[[ladder]]
name_template = "keras{version}-jax-python3.11"
versions = ["3.0.5", "3.1.1", "3.2.1", "3.3.3", "3.4.1", "3.5.0", "3.6.0", "3.7.0", "3.8.0"]
api = "keras3"
backend = "jax"
python = "3.11"
requirements = ["keras=={version}"]
overrides = { "3.0.5" = { name = "keras3.0.5-jax0.4.23-python3.11", requirements = ["keras==3.0.5", "jax[cpu]==0.4.23"] } }

# Keras 3 on torch, no overrides yet, the list over two lines.
[[ladder]]
name_template = "keras{version}-torch-python3.11"
versions = ["3.0.5",
            "3.1.1"]  # [sic]
api = "keras3"
backend = "torch"
python = "3.11"
requirements = ["keras=={version}"]
tags = ["ladder-keras3-torch"]
'''


def proposal(name, requirements, ladder, version, backend):
    return releases.Proposal(name=name, api="keras3", backend=backend, python="3.11",
                             requirements=requirements, reason="test", ladder=ladder,
                             version=version, override=True)


def test_the_editor_extends_inline_overrides_adds_missing_ones_and_wraps_long_lists(tmp_path):
    found = [proposal("keras3.9.2-jax0.5.3-python3.11", ("keras==3.9.2", "jax[cpu]==0.5.3"),
                      "keras{version}-jax-python3.11", "3.9.2", "jax"),
             proposal("keras3.2.1-torch2.2.2-python3.11", ("keras==3.2.1", "torch==2.2.2"),
                      "keras{version}-torch-python3.11", "3.2.1", "torch")]
    text = releases.edit(LADDERS, found)
    path = tmp_path / "matrix.toml"
    path.write_text(text)
    m = matrix.load(path)
    assert m.get("keras3.9.2-jax0.5.3-python3.11").requirements == ("keras==3.9.2", "jax[cpu]==0.5.3")
    assert m.get("keras3.2.1-torch2.2.2-python3.11").requirements == ("keras==3.2.1", "torch==2.2.2")
    assert m.get("keras3.0.5-jax0.4.23-python3.11").requirements == ("keras==3.0.5", "jax[cpu]==0.4.23")
    assert "keras3.8.0-jax-python3.11" in m.names() and "keras3.1.1-torch-python3.11" in m.names()
    assert max(len(line) for line in text.splitlines() if "versions" in line or line.startswith("   ")) <= 100
    assert '            "3.9.2"]' in text.splitlines()                       # wrapped, aligned
    assert '            "3.1.1", "3.2.1"]  # [sic]' in text.splitlines()     # the comment stays
    assert "ladder-keras3-torch" in m.get("keras3.2.1-torch2.2.2-python3.11").tags


def run_step(project, index):
    """The scheduled workflow's releases step, as the plan job runs it (bash, .host/bin/python)."""
    from harness import generated
    (project / ".host" / "bin").mkdir(parents=True)
    (project / ".host" / "bin" / "python").symlink_to(sys.executable)
    output, summary = project / "output.txt", project / "summary.md"
    environ = {k: v for k, v in os.environ.items() if k != "HARNESS_ROOT"}
    # The step's `harness lock --write` resolves the added cells with uv: keep it off the network
    # (the recorded index has no simple pages; uv reads UV_*, not PIP_INDEX_URL), so it answers at
    # once, from uv's cache or with a warning, and the step goes on either way.
    environ.update(PYTHONPATH=str(ROOT), PIP_INDEX_URL=index, UV_INDEX_URL=index, UV_OFFLINE="1",
                   GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary))
    done = subprocess.run(["bash", "-eo", "pipefail", "-c", generated.releases_script()], cwd=project,
                          env=environ, capture_output=True, text=True, timeout=120)
    return done, output.read_text(), summary.read_text()


def test_the_workflow_step_adds_the_releases_to_the_matrix(project, index_url):
    done, output, summary = run_step(project, index_url)
    assert done.returncode == 0, done.stderr
    assert output == "found=true\n"
    assert "keras3.15.1-torch2.15.0-python3.11" in summary
    assert "keras3.15.1-torch2.15.0-python3.11" in matrix.load(project / "matrix.toml").names()
    assert "keras3.15.1-torch2.15.0-python3.11" in (project / "tox.ini").read_text()


def test_the_workflow_step_keeps_the_committed_matrix_when_the_index_is_away(project):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done, output, _ = run_step(project, f"http://127.0.0.1:{port}/simple/")
    assert done.returncode == 0 and output == "found=false\n"
    assert "::warning::harness releases failed" in done.stdout and "unreachable" in done.stderr
    assert (project / "matrix.toml").read_text() == MATRIX


def test_a_project_the_index_lacks_is_a_warning_not_an_error(project, index_url, tmp_path):
    """A mirror without torch: the other projects are still compared."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for source in INDEX.glob("*.json"):
        if source.stem != "torch":
            (mirror / source.name).write_bytes(source.read_bytes())
    IndexHandler.folders["mirror"] = mirror
    done = harness(project, "releases", "--index-url", index_url.replace("/simple/", "/mirror/"), "--json")
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"warning: {index_url.replace('/simple/', '/mirror/')} has no project torch (HTTP 404); "
        "its releases are not compared"]
    report = json.loads(done.stdout)
    assert report["missing"] == ["torch"]
    assert {c["name"] for c in report["new"]} == set(EXPECTED) - {"keras3.15.1-torch2.15.0-python3.11"}


def test_an_index_that_answers_html_only_is_named(project, index_url):
    done = harness(project, "releases", "--index-url", index_url.replace("/simple/", "/html/"))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "answered text/html, not the JSON simple API (PEP 691)" in done.stderr


def test_an_index_that_never_answers_times_out(project):
    with socket.socket() as silent:           # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        done = harness(project, "releases", "--index-url", f"http://127.0.0.1:{port}/simple/",
                       "--timeout", "1")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "no answer within 1 s" in done.stderr


def test_the_real_index_when_reachable():
    """The recorded answers have the live index's shape: PyPI's keras answer, parsed the same way
    (skipped where PyPI cannot be reached, e.g. an offline CI runner)."""
    from harness.provision import index
    try:
        files = index.project_files("keras", index.PYPI_SIMPLE, timeout=20)
    except index.IndexUnreachable as exc:
        pytest.skip(f"PyPI not reachable here: {exc}")
    live = releases.releases(files)
    assert "3.15.1" in live and "3.11" in live["3.15.1"].pythons
    assert set(releases.releases(recorded("keras"))) <= set(live)


def test_the_weekly_run_adds_releases_and_every_later_job_uses_that_matrix():
    """The generated workflow: the plan job's releases step runs on the schedule only and hands
    matrix.toml and tox.ini on; the cell jobs, publish and propose take them; the pull request
    carries them; a proposal is made when releases were added even if no record changed."""
    import re
    from harness import generated
    text = generated.workflow(matrix.load(ROOT / "matrix.toml"))
    body = text.split("\njobs:\n", 1)[1]
    parts = re.split(r"(?m)^  ([A-Za-z0-9_-]+):\n", body)
    jobs = dict(zip(parts[1::2], parts[2::2]))
    plan = jobs["plan"]
    step = plan.split("      - id: releases\n", 1)[1]
    assert step.startswith("        name: releases the matrix lacks, added to it (weekly run)\n"
                           "        if: ${{ github.event_name == 'schedule' }}\n")
    assert "harness releases --write" in step.split("      - id: plan")[0]
    assert plan.index("harness releases --write") < plan.index("harness list --json")
    assert "          name: matrix\n          path: |\n            matrix.toml\n            tox.ini\n" in plan
    assert "      releases: ${{ steps.releases.outputs.found }}\n" in plan
    download = "        with:\n          name: matrix\n          path: .\n"
    users = [name for name in jobs if name.startswith("cells-")] + ["publish", "propose"]
    assert len(users) > 2
    for name in users:
        assert download in jobs[name], name
        if name != "propose":
            assert jobs[name].index(download) < jobs[name].index("- name: orchestrator"), name
    assert "needs.plan.outputs.releases == 'true'" in jobs["publish"].split("    steps:")[0]
    assert "            results/\n            README.md\n            matrix.toml\n            tox.ini\n" \
        in jobs["propose"]
    assert "tests" in jobs and download not in jobs["tests"]      # the suite tests the commit
