"""The published site, from the committed records: self-contained, byte-identical, its facts traced
back to the raw records, and tried in a real headless Chromium (filters from the URL, screenshots
at 1600 and 400 px, no sideways scroll of the page at 400 px)."""
import base64
import fcntl
import html.parser
import json
import os
import re
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from harness import __version__
from harness.derive import outcomes
from harness.report import publish, site
from harness.store.resultset import ResultSet

COMMIT = "0123456789ab"
# A few committed records, copied into a fixture result set (never the whole results/ folder,
# whose machines change as records are added): (machine, cell, scenarios).
SELECTION = (
    ("b84f6cf6f9", "keras2.0.3-tensorflow1.1.0-python3.6", ("canonical_mlp",)),
    ("dc84521ea4", "keras2.0.3-tensorflow1.1.0-python3.6", ("canonical_mlp",)),
    ("b84f6cf6f9", "keras2.0.3-theano0.9.0-python3.6", ("canonical_mlp",)),
    ("dc84521ea4", "keras2.0.3-theano0.9.0-python3.6", ("canonical_mlp",)),
    ("b84f6cf6f9", "keras2.3.1-tensorflow2.3.4-python3.8", ("canonical_mlp",)),
    ("b84f6cf6f9", "tf.keras-tensorflow2.9.3-python3.7", ("canonical_mlp",)),
    ("b84f6cf6f9", "tf.keras-tensorflow2.12.1-python3.11", ("canonical_mlp",)),
    ("b84f6cf6f9", "tf.keras-tensorflow2.15.1-python3.11", ("canonical_mlp",)),
    ("dc84521ea4", "tf.keras-tensorflow2.15.1-python3.11", ("canonical_mlp", "shuffle")),
    ("b84f6cf6f9", "tf-keras2.21.0-tensorflow2.21.0-python3.11", ("canonical_mlp",)),
    ("b84f6cf6f9", "keras3.15.1-jax0.10.2-python3.11", ("canonical_mlp",)),
    ("dc84521ea4", "keras3.15.1-jax0.10.2-python3.11", ("canonical_mlp", "shuffle", "my_model")),
)
BUILTIN = ("canonical_mlp", "shuffle")          # my_model is a user's example scenario


def copy_records(root: Path, target: Path, selection=SELECTION) -> Path:
    """The selected committed record files, as a results directory of their own."""
    source = root / "results"
    for machine, cell, scenarios in selection:
        folder = source / "records" / machine / cell
        destination = target / "records" / machine / cell
        destination.mkdir(parents=True, exist_ok=True)
        shutil.copy(folder / "environment.json", destination)
        for scenario in scenarios:
            shutil.copytree(folder / scenario, destination / scenario, dirs_exist_ok=True)
        (target / "machines").mkdir(parents=True, exist_ok=True)
        shutil.copy(source / "machines" / f"{machine}.json", target / "machines")
    return target


@pytest.fixture(scope="module")
def fixture_results(root, tmp_path_factory):
    return copy_records(root, tmp_path_factory.mktemp("fixture") / "results")


@pytest.fixture(scope="module")
def records(fixture_results):
    rs = ResultSet.load(fixture_results)
    return rs, outcomes.outcomes(rs)


@pytest.fixture(scope="module")
def built(records, tmp_path_factory, monkeypatch_module):
    """The whole publish (tables, figures, site) of the fixture records, once."""
    rs, found = records
    out = tmp_path_factory.mktemp("published")
    publish.publish(rs, found, out, commit=COMMIT)
    return out / site.SITE


@pytest.fixture(scope="module")
def monkeypatch_module():
    """The built-in scenarios as the fixture has them (the site reads the scenarios folder)."""
    patch = pytest.MonkeyPatch()
    patch.setattr(site, "builtin_scenarios", lambda: set(BUILTIN))
    yield patch
    patch.undo()


def pages(folder: Path) -> list:
    return sorted(folder.rglob("*.html"))


def raw(results, *parts) -> dict:
    return json.loads((results / "records").joinpath(*parts).read_text())


# --------------------------------------------------------------------------------------------
# Static checks
# --------------------------------------------------------------------------------------------
def test_every_page_is_self_contained_and_its_links_resolve(built):
    for page in pages(built):
        text = page.read_text()
        assert not re.search(r"(src|href)=\"(https?:)?//", text), page
        for target in re.findall(r'(?:src|href)="([^"#?]+)', text):
            assert (page.parent / target.replace("%2B", "+")).resolve().is_file(), f"{page}: {target}"
    for asset in ("site.css", "site.js"):
        assert "http" not in (built / asset).read_text() and "@import" not in (built / asset).read_text()


def test_every_page_says_when_which_version_and_which_commit(built, records):
    """The pages about every record carry the newest record's date and the records' commit; a cell
    page carries its own newest record's date and no commit, so that a run of other cells leaves
    it byte for byte (the footer's date is never the clock)."""
    rs, _ = records
    newest = max(r.started for r in rs.recipes.values())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", newest)
    for page in pages(built):
        text = page.read_text()
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text, page
        footer = text.split("<footer>", 1)[1]
        assert f"keras-repro {__version__}" in footer, page
        if page.parent.name == "cells":
            own = max(r.started for r in rs.recipes.values() if r.cell_name == page.stem)
            assert f"This cell's records up to {own} " in footer and COMMIT not in footer, page
        else:
            assert newest in footer and COMMIT in footer, page


def test_unknown_commit_is_said_so(records, tmp_path):
    rs, found = records
    site.build(rs, found, tmp_path)
    assert "records at commit <code>unknown</code>" in (tmp_path / "site" / "index.html").read_text()


def test_the_site_is_byte_identical_when_rebuilt(records, tmp_path):
    rs, found = records
    first = site.build(rs, found, tmp_path / "a", COMMIT)
    second = site.build(rs, found, tmp_path / "b", COMMIT)
    assert [p.relative_to(tmp_path / "a") for p in first] == [p.relative_to(tmp_path / "b") for p in second]
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a


def test_one_page_per_cell_and_the_grid_has_one_row_per_stack_grouped_by_api(built, records):
    _, found = records
    names = {o.cell_name for o in found}
    assert {p.stem for p in (built / "cells").glob("*.html")} == names
    index = (built / "index.html").read_text()
    groups = re.findall(r'<tbody data-group="([^"]+)">', index)
    assert groups == ["keras2", "tf.keras", "tf-keras", "keras3"]
    stacks = {(o.cell_name, o.scenario) for o in found if o.scenario in BUILTIN}
    assert index.count('<tr class="row"') == len(stacks)          # machines side by side, not rows
    rows = re.findall(r'<tr class="row"[^>]*><th scope="row" class="stack"><a href="cells/([^"]+)\.html"', index)
    assert len(rows) == len(stacks)
    # version order within a generation: tf.keras 2.9 before 2.15
    tf = [r for r in rows if r.startswith("tf.keras-")]
    assert tf.index("tf.keras-tensorflow2.9.3-python3.7") < tf.index("tf.keras-tensorflow2.15.1-python3.11")


def test_a_users_example_scenario_is_not_a_row_of_the_grid(built, records):
    _, found = records
    assert any(o.scenario == "my_model" for o in found)
    index = (built / "index.html").read_text()
    assert 'data-scenario="my_model"' not in index and '<option value="my_model"' not in index
    assert "<code>my_model</code>" in index                        # said where it went
    cell = (built / "cells" / "keras3.15.1-jax0.10.2-python3.11.html").read_text()
    assert 'id="dc84521ea4-my_model-full"' in cell                 # its evidence stays


def row_of(index: str, cell: str, scenario: str = "canonical_mlp") -> str:
    return next(r for r in index.split('<tr class="row"')[1:]
                if f'data-scenario="{scenario}"' in r and f'href="cells/{cell}.html"' in r).split("</tr>", 1)[0]


def test_the_answer_beside_the_name_weakest_recipe_processes_and_travel(built, fixture_results):
    """Keras 3 + JAX: numpy and tutorial diverge, full is bitwise on both machines with the same
    doubles; the answer says `full`, the processes behind it, that it travels, and its calls are
    one click away."""
    cell = "keras3.15.1-jax0.10.2-python3.11"
    records = [raw(fixture_results, m, cell, "canonical_mlp", "full.json") for m in ("b84f6cf6f9", "dc84521ea4")]
    calls = records[0]["replays"][0]["seed_calls"]
    assert "keras.utils.set_random_seed(1)" in calls
    answer = row_of((built / "index.html").read_text(), cell).split('<td class="answer">', 1)[1].split("</td>", 1)[0]
    assert answer.startswith('<b class="recipe">full</b> ')
    processes = min(len(r["replays"]) for r in records)
    assert f">×{processes}</span>" in answer
    assert '<span class="travel travels" title="the same doubles on all 2 machines">travels</span>' in answer
    details = answer.split("<details><summary>calls</summary>", 1)[1]
    assert re.findall(r"<code>([^<]*)</code>", details) == [c.replace('"', "&quot;") for c in calls]


def test_the_answer_when_machines_differ_and_when_nothing_is_bitwise(built, fixture_results):
    index = (built / "index.html").read_text()
    # Keras 2.0.3 + TF 1.1: only strict is bitwise, on each machine, with different doubles
    tf1 = row_of(index, "keras2.0.3-tensorflow1.1.0-python3.6").split('<td class="answer">', 1)[1]
    fingerprints = {raw(fixture_results, m, "keras2.0.3-tensorflow1.1.0-python3.6", "canonical_mlp",
                        "strict.json")["replays"][0]["values"][0] for m in ("b84f6cf6f9", "dc84521ea4")}
    assert len(fingerprints) == 2
    assert tf1.startswith('<b class="recipe">strict</b>') and '<span class="travel differs"' in tf1
    # Keras 2.3.1 + TF 2.3.4 crashes: no recipe, and why
    crashed = row_of(index, "keras2.3.1-tensorflow2.3.4-python3.8").split('<td class="answer">', 1)[1]
    assert crashed.startswith('<span class="never">no recipe is bitwise</span><details><summary>why</summary>')
    assert "crashed" in crashed.split("</td>", 1)[0]


def test_the_answers_at_the_top_are_read_off_the_records(built, records):
    _, found = records
    index = (built / "index.html").read_text()
    answers = index.split('<section class="answers"', 1)[1].split("</section>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", answers)
    pairs = {(o.cell.get("api"), o.cell.get("backend")) for o in found}
    assert len(items) == len(pairs)
    jax = next(re.sub(r"<[^>]+>", "", i) for i in items if "Keras 3 on jax" in i)
    assert "the weakest bitwise recipe is full on 1 of 1 stack(s)" in jax
    assert "the doubles travel: the same on every machine (1 stack(s) measured on two or more machines)" in jax
    tf = next(re.sub(r"<[^>]+>", "", i) for i in items if "tf.keras on tensorflow" in i)
    assert "tutorial on 1 of 3 stack(s), full on 2" in tf            # TF 2.9: tutorial; 2.12, 2.15: full
    assert "no GPU records yet" in answers
    assert 'href="figures.html#heatmap"' in answers and 'id="heatmap"' in (built / "figures.html").read_text()


def test_the_grid_reads_its_recipes_from_the_records(records, tmp_path, fixture_results):
    """A recipe the ladder does not know (a record of a future recipe) gets its own column and
    squares without a code change."""
    results = tmp_path / "results"
    shutil.copytree(fixture_results, results)
    folder = results / "records" / "dc84521ea4" / "keras3.15.1-jax0.10.2-python3.11" / "canonical_mlp"
    record = json.loads((folder / "full.json").read_text())
    record["recipe"] = "portable"
    (folder / "portable.json").write_text(json.dumps(record))
    rs = ResultSet.load(results)
    assert not rs.problems, rs.problems
    site.build(rs, outcomes.outcomes(rs), tmp_path, COMMIT, builtin=BUILTIN)
    index = (tmp_path / "site" / "index.html").read_text()
    assert '<th scope="col" class="rc r-portable">' in index
    assert 'href="cells/keras3.15.1-jax0.10.2-python3.11.html#dc84521ea4-canonical_mlp-portable"' in index
    assert 'table[data-recipe="portable"] .rc:not(.r-portable){display:none}' in (tmp_path / "site" / "site.css").read_text()


def test_every_verdict_square_links_to_an_existing_anchor(built):
    index = (built / "index.html").read_text()
    links = re.findall(r'<a class="sq" href="([^"#]+)#([^"]+)"', index)
    assert links
    ids = {}
    for target, anchor in links:
        if target not in ids:
            ids[target] = set(re.findall(r' id="([^"]+)"', (built / target.replace("%2B", "+")).read_text()))
        assert anchor in ids[target], f"{target}#{anchor}"


def test_the_data_behind_the_grid_is_published(built, records):
    import csv
    _, found = records
    rows = list(csv.DictReader((built / "data" / "grid.csv").open()))
    assert len(rows) == len(found)
    assert json.loads((built / "data" / "grid.json").read_text()) == [
        {k: (int(v) if k in ("digits", "processes") and v else (None if k == "digits" and v == "" else v))
         for k, v in row.items()} for row in rows]
    jax = next(r for r in rows if r["cell"] == "keras3.15.1-jax0.10.2-python3.11" and r["machine"] == "dc84521ea4"
               and r["scenario"] == "canonical_mlp" and r["recipe"] == "full")
    assert jax["verdict"] == "bitwise" and jax["evidence"].endswith("#dc84521ea4-canonical_mlp-full")
    assert 'href="data/grid.csv"' in (built / "index.html").read_text()


def test_a_run_of_two_cells_changes_only_the_pages_that_depend_on_them(records, root, tmp_path):
    """Rebuilt over the same folder, the site rewrites only what depends on the two cells that
    got new records (the cells' pages and the pages about every record); other cells' pages and
    unchanged figures keep their bytes."""
    before = copy_records(root, tmp_path / "before", [s for s in SELECTION if s[0] == "b84f6cf6f9"])
    after = copy_records(root, tmp_path / "after", [s for s in SELECTION if s[0] == "b84f6cf6f9"] + [
        ("dc84521ea4", "keras2.0.3-theano0.9.0-python3.6", ("canonical_mlp",)),
        ("dc84521ea4", "tf.keras-tensorflow2.15.1-python3.11", ("canonical_mlp",))])
    out = tmp_path / "out"
    figure = tmp_path / "matrix.png"
    figure.write_bytes(b"\x89PNG\r\n\x1a\nsame")
    for results in (before, after):
        rs = ResultSet.load(results)
        written = site.build(rs, outcomes.outcomes(rs), out, COMMIT, [figure], builtin=BUILTIN)
    changed = {str(p.relative_to(out / "site")) for p in written.changed}
    assert changed == {"index.html", "recipes.html", "ladders.html", "machines.html", "figures.html", "data/grid.csv",
                       "data/grid.json", "cells/keras2.0.3-theano0.9.0-python3.6.html",
                       "cells/tf.keras-tensorflow2.15.1-python3.11.html"}, changed
    assert len(written) > len(changed) + 5


def test_the_recipes_page_lists_recorded_calls_per_api(built, fixture_results):
    text = (built / "recipes.html").read_text()
    tf1 = raw(fixture_results, "b84f6cf6f9", "keras2.0.3-tensorflow1.1.0-python3.6", "canonical_mlp", "tutorial.json")
    tf2 = raw(fixture_results, "b84f6cf6f9", "tf.keras-tensorflow2.15.1-python3.11", "canonical_mlp", "tutorial.json")
    section = text.split('<h2 id="tutorial">', 1)[1].split("<h2", 1)[0]
    for record in (tf1, tf2):
        calls = record["replays"][0]["seed_calls"]
        assert " ".join(f"<code>{c}</code>" for c in calls) in section
    assert "tf.set_random_seed(2)" in section and "tf.random.set_seed(2)" in section
    assert "jax has no global seed" in section   # an unavailable call, with the reason recorded


def test_a_failed_cell_page_shows_the_error_and_the_traceback_tail(built, fixture_results):
    cell = "keras2.3.1-tensorflow2.3.4-python3.8"
    replay = raw(fixture_results, "b84f6cf6f9", cell, "canonical_mlp", "full.json")["replays"][0]
    last = replay["error"]["traceback"].strip().splitlines()[-1]
    text = (built / "cells" / f"{cell}.html").read_text()
    assert "crashed" in text and "Traceback (tail):" in text
    assert last.replace("'", "&#x27;") in text
    assert "Same traceback as replay 0." in text


def test_a_cell_page_shows_every_replays_values_and_where_they_first_differ(built, fixture_results):
    cell = "keras2.0.3-tensorflow1.1.0-python3.6"
    replays = raw(fixture_results, "b84f6cf6f9", cell, "canonical_mlp", "numpy.json")["replays"]
    text = (built / "cells" / f"{cell}.html").read_text()
    section = text.split('id="b84f6cf6f9-canonical_mlp-numpy"', 1)[1].split("<h3", 1)[0]
    for replay in replays:
        for value in replay["values"]:
            assert repr(float(value)) in section
    first = next(i for i, (a, b) in enumerate(zip(replays[0]["values"], replays[1]["values"]))
                 if float(a).hex() != float(b).hex())
    assert f"replays 0 and 1 first differ at repeat {first} " in section
    for name in ("observed Python", "observed NumPy", "Environment: <b>ok</b>", "installed packages"):
        assert name in text
    assert 'id="m-dc84521ea4"' in text   # the second machine's evidence too


def test_figures_are_copied_next_to_the_pages(built):
    for name in ("matrix.png", "agreement.png", "stats.png"):
        data = (built / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert (built.parent / name).read_bytes() == data


# --------------------------------------------------------------------------------------------
# Headless Chromium over the DevTools protocol (--remote-debugging-pipe: NUL-separated JSON)
# --------------------------------------------------------------------------------------------
class Browser:
    def __init__(self, binary: str, profile: Path):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        # above 3 and 4, so that the child can put them exactly there
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_chrome_r, from_chrome_w)]

        def wire():   # in the child: fd 3 reads our commands, fd 4 carries the answers
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.process = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=wire, close_fds=False)
        for fd in (to_chrome_r, from_chrome_w, *high):
            os.close(fd)
        self.buffer, self.next_id, self.events = b"", 0, []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", session=True)

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            ready, _, _ = select.select([self.from_chrome], [], [], max(0.0, deadline - time.time()))
            if not ready:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, session: bool = False, timeout: float = 60, **params):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def open(self, url: str, width: int, height: int = 900):
        """Load a page in a `width` px wide viewport (a phone below 600 px) and let scripts run."""
        self.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=height,
                  deviceScaleFactor=1, mobile=width < 600)
        self.events.clear()
        self.call("Page.navigate", session=True, url=url)
        deadline = time.time() + 60
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._read(deadline))
        return self

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        return result["result"].get("value")

    def screenshot(self, path: Path, full_page: bool = True) -> Path:
        data = self.call("Page.captureScreenshot", session=True, format="png",
                         captureBeyondViewport=full_page)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self):
        try:
            self.call("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.to_chrome)
        os.close(self.from_chrome)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    binary = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if binary is None:
        pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium)")
    opened = Browser(binary, tmp_path_factory.mktemp("chromium-profile"))
    yield opened
    opened.close()


class Rows(html.parser.HTMLParser):
    """The matrix rows of a serialized DOM: their data attributes and whether they are hidden."""

    def __init__(self):
        super().__init__()
        self.rows = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and attrs.get("class") == "row":
            self.rows.append(attrs)


def dom_rows(browser) -> list:
    parser = Rows()
    parser.feed(browser.evaluate("document.documentElement.outerHTML"))
    return parser.rows


def screenshots(tmp_path) -> Path:
    """Where screenshots go: $HARNESS_SCREENSHOTS (the CI job uploads it), else the test's folder."""
    folder = Path(os.environ.get("HARNESS_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stacks_of(found, scenario="canonical_mlp") -> set:
    return {(o.cell_name, o.scenario) for o in found if o.scenario == scenario}


def visible(rows) -> list:
    return [r for r in rows if "hidden" not in r]


BOXES = """JSON.stringify(Array.prototype.map.call(document.querySelectorAll('#matrix tr.row:not([hidden])'),
  function (row) {
    function box(e) { var r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }
    var cells = row.querySelectorAll('th, td');
    return {cell: row.querySelector('th.stack a').textContent, stack: box(row.querySelector('th.stack')),
            answer: box(row.querySelector('td.answer')), last: box(cells[cells.length - 1]),
            row: box(row)};
  }))"""


@pytest.mark.browser
def test_at_1600_px_the_whole_row_and_its_answer_are_on_screen(browser, built, records, tmp_path):
    """From the DOM's boxes: every default stack's answer, and its last verdict column, end inside
    the 1600 px viewport, with no sideways scroll of the page."""
    _, found = records
    browser.open((built / "index.html").as_uri(), 1600)
    assert browser.evaluate("document.documentElement.scrollWidth") <= 1600
    boxes = json.loads(browser.evaluate(BOXES))
    assert {b["cell"] for b in boxes} == {c for c, _ in stacks_of(found)}
    for b in boxes:
        assert 0 <= b["answer"][0] and b["answer"][2] <= 1600, b
        assert b["last"][2] <= 1600, b
        assert b["answer"][0] - b["stack"][2] < 2, b             # the answer sits beside the name
    browser.screenshot(screenshots(tmp_path) / "index-1600.png", full_page=False)


@pytest.mark.browser
def test_at_400_px_each_stack_is_a_card_and_nothing_scrolls_sideways(browser, built, records, tmp_path):
    _, found = records
    browser.open((built / "index.html").as_uri(), 400)
    assert browser.evaluate("document.documentElement.scrollWidth") <= 400
    boxes = json.loads(browser.evaluate(BOXES))
    assert len(boxes) == len(stacks_of(found))
    for b in boxes:
        assert b["row"][0] >= 0 and b["row"][2] <= 400, b
        assert b["answer"][1] >= b["stack"][3] - 1, b           # the answer under the name: a card
        assert b["answer"][2] <= 400 and b["last"][2] <= 400, b
    assert browser.evaluate("getComputedStyle(document.querySelector('#matrix thead')).display") == "none"
    browser.screenshot(screenshots(tmp_path) / "index-400.png")


@pytest.mark.browser
def test_every_verdict_square_opens_its_evidence(browser, built):
    browser.open((built / "index.html").as_uri(), 1600)
    hrefs = json.loads(browser.evaluate(
        "JSON.stringify(Array.prototype.map.call(document.querySelectorAll('#matrix a.sq'), function (a) {"
        " return a.href; }))"))
    assert hrefs
    by_page = {}
    for href in hrefs:
        page, _, anchor = href.partition("#")
        by_page.setdefault(page, set()).add(anchor)
    for page, anchors in by_page.items():
        browser.open(page, 1600)
        missing = [a for a in anchors if not browser.evaluate(
            f"!!document.getElementById(decodeURIComponent({json.dumps(a)}))")]
        assert not missing, f"{page}: no element with id {missing}"


@pytest.mark.browser
@pytest.mark.parametrize("query, said", [
    ("?scenario=no_such_scenario", "no scenario “no_such_scenario” in the records"),
    ("?keras=9.9.9", "no keras “9.9.9” in the records"),
    ("?colour=blue", "unknown filter “colour”"),
])
def test_a_bad_filter_value_shows_a_message(browser, built, records, query, said):
    _, found = records
    browser.open((built / "index.html").as_uri() + query, 1600)
    assert browser.evaluate("document.getElementById('filter-error').hidden") is False
    message = browser.evaluate("document.getElementById('filter-error').textContent")
    assert message.startswith("Filter not applied: ") and said in message, message
    assert len(visible(dom_rows(browser))) == len(stacks_of(found))   # the default view, not nothing


@pytest.mark.browser
def test_a_filter_in_the_url_shows_only_matching_rows(browser, built, records):
    _, found = records
    jax = {s for s in stacks_of(found) if any(o.cell_name == s[0] and o.cell.get("backend") == "jax" for o in found)}
    browser.open((built / "index.html").as_uri() + "?backend=jax", 1600)
    rows = dom_rows(browser)
    shown = visible(rows)
    assert shown and all(r["data-backend"] == "jax" and r["data-scenario"] == "canonical_mlp" for r in shown)
    assert len(shown) == len(jax)
    assert browser.evaluate("document.querySelector('select[name=backend]').value") == "jax"
    assert browser.evaluate("document.getElementById('count').textContent") == f"{len(jax)} of {len(rows)} rows shown"
    assert browser.evaluate("document.getElementById('filter-error').hidden") is True


@pytest.mark.browser
def test_scenario_keras_recipe_verdict_machine_and_text_filters_combine(browser, built, records):
    _, found = records
    browser.open((built / "index.html").as_uri() + "?scenario=shuffle", 1600)
    shown = visible(dom_rows(browser))
    assert {(r["data-scenario"]) for r in shown} == {"shuffle"} and len(shown) == len(stacks_of(found, "shuffle"))
    browser.open((built / "index.html").as_uri() + "?scenario=all&keras=3.15.1", 1600)
    shown = visible(dom_rows(browser))
    assert shown and {r["data-keras"] for r in shown} == {"3.15.1"}
    assert len(shown) == len({(o.cell_name, o.scenario) for o in found if o.observed["keras"] == "3.15.1"
                              and o.scenario in BUILTIN})
    wanted = {(o.cell_name, o.scenario) for o in found if o.recipe == "numpy" and o.verdict.name == "bitwise"
              and o.machine.startswith("dc84") and o.scenario == "canonical_mlp"}
    browser.open((built / "index.html").as_uri() + "?recipe=numpy&verdict=bitwise&machine=dc84", 1600)
    shown = visible(dom_rows(browser))
    assert len(shown) == len(wanted) and all("bitwise" in r["data-v-numpy"].split() for r in shown)
    assert browser.evaluate("getComputedStyle(document.querySelector('th.r-full')).display") == "none"
    assert browser.evaluate("getComputedStyle(document.querySelector('th.r-numpy')).display") != "none"
    browser.open((built / "index.html").as_uri() + "?q=theano0.9.0", 1600)
    shown = visible(dom_rows(browser))
    assert shown and all("theano0.9.0" in r["data-text"] for r in shown)


@pytest.mark.browser
def test_changing_a_filter_writes_it_to_the_url(browser, built):
    browser.open((built / "index.html").as_uri(), 1600)
    browser.evaluate("var s = document.querySelector('select[name=python]'); s.value = '3.6';"
                     "s.dispatchEvent(new Event('change', {bubbles: true})); 0")
    assert browser.evaluate("location.search") == "?python=3.6"
    browser.evaluate("var s = document.querySelector('select[name=scenario]'); s.value = 'all';"
                     "s.dispatchEvent(new Event('change', {bubbles: true})); 0")
    assert browser.evaluate("location.search") == "?scenario=all&python=3.6"


@pytest.mark.browser
@pytest.mark.parametrize("width", [1600, 400])
def test_pages_fit_the_width_and_are_photographed(browser, built, tmp_path, width):
    """No sideways scroll of the page itself (tables of the evidence pages scroll inside their box)."""
    for name in ("index.html", "recipes.html", "machines.html", "figures.html",
                 "cells/keras2.3.1-tensorflow2.3.4-python3.8.html"):
        browser.open((built / name).as_uri(), width)
        scroll = browser.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{name} at {width} px: the page is {scroll} px wide"
        shot = browser.screenshot(screenshots(tmp_path) / f"{Path(name).stem}-{width}-full.png")
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(shot.read_bytes()[16:20], "big") == width   # PNG width


def test_the_commit_of_the_records(tmp_path):
    from harness.store import gitref
    records_dir = tmp_path / "results" / "records"
    records_dir.mkdir(parents=True)
    (records_dir / "a.json").write_text("{}")
    assert gitref.records_commit(tmp_path / "results") is None          # not a git checkout
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(git + ["init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(git + ["add", "."], cwd=tmp_path, check=True)
    subprocess.run(git + ["commit", "-q", "-m", "records"], cwd=tmp_path, check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True,
                          text=True).stdout.strip()
    assert gitref.records_commit(tmp_path / "results") == head[:12]
    (records_dir / "b.json").write_text("{}")
    assert gitref.records_commit(tmp_path / "results") == head[:12] + " + uncommitted records"


def test_publish_reports_findings_and_redraws_only_figures_whose_data_changed(root, tmp_path, capsys):
    """`harness publish` ends with what the records say, not a list of files; run again on the same
    records it changes nothing (no figure redrawn); with new records the figures that plot them
    are redrawn."""
    from harness import cli
    from harness.report import stamp
    results = copy_records(root, tmp_path / "results", [s for s in SELECTION if s[0] == "b84f6cf6f9"])
    assert cli.main(["--results", str(results), "publish", "--no-readme"]) == 0
    first = capsys.readouterr().out.splitlines()
    assert first[0].startswith("8 stack(s) on 1 machine(s), scenario canonical_mlp:")
    assert "  Keras 3 on jax (Keras 3.15.1): the weakest bitwise recipe is full on 1 of 1 stack(s); " \
           "measured on one machine only." in first
    assert "  GPU: no GPU records yet (every verdict is a CPU's)" in first
    assert not any(line.startswith("wrote /") for line in first)
    count = next(line for line in first if line.startswith("wrote "))
    total = int(count.split()[1])
    assert count.startswith(f"wrote {total} file(s), {total} changed")
    figures = {name: (results / name).stat().st_mtime_ns for name in ("agreement.png", "stats.png")}
    hashes = {name: stamp.sidecar(results / name).read_text() for name in figures}

    assert cli.main(["--results", str(results), "publish", "--no-readme"]) == 0
    again = capsys.readouterr().out
    assert f"wrote {total} file(s), 0 changed" in again
    assert {name: (results / name).stat().st_mtime_ns for name in figures} == figures   # not redrawn

    copy_records(root, results, [("dc84521ea4", "keras3.15.1-jax0.10.2-python3.11", ("canonical_mlp",))])
    assert cli.main(["--results", str(results), "publish", "--no-readme", "--list"]) == 0
    third = capsys.readouterr().out
    assert "on 2 machine(s)" in third.splitlines()[0] and f"wrote {results / 'site' / 'index.html'}" in third
    assert stamp.sidecar(results / "agreement.png").read_text() != hashes["agreement.png"]


def test_the_ladder_page_marks_the_release_where_the_numbers_changed(built, records):
    """tf.keras on one machine: `full` is bitwise on TF 2.9, 2.12 and 2.15; 2.12 and 2.15 give the
    same doubles (one list from TF 2.11 on), 2.9 others: one change, at the 2.12 release."""
    _, found = records
    full = {o.cell_name: o.verdict for o in found if o.machine == "b84f6cf6f9" and o.recipe == "full"
            and o.scenario == "canonical_mlp" and o.cell_name.startswith("tf.keras-")}
    assert {v.name for v in full.values()} == {"bitwise"}
    assert full["tf.keras-tensorflow2.12.1-python3.11"].fingerprints == full["tf.keras-tensorflow2.15.1-python3.11"].fingerprints
    assert full["tf.keras-tensorflow2.9.3-python3.7"].fingerprints != full["tf.keras-tensorflow2.12.1-python3.11"].fingerprints
    text = (built / "ladders.html").read_text()
    section = text.split('<h2 id="ladder-tf-b84f6cf6f9">', 1)[1].split("<h2", 1)[0]
    assert "<p>3 releases." in section and "<code>full</code> changes at 2.12.0 / 2.12.1" in section
    assert section.count('<line class="change" data-recipe="full"') == 1
    # one point per release and recipe with values (the 2.12 record predates the ladder tag: the
    # matrix's current tags gather it)
    assert section.count("<circle ") == sum(1 for o in found if o.machine == "b84f6cf6f9" and o.scenario == "canonical_mlp"
                                            and o.cell_name in full and o.verdict.has_values)
    assert 'id="ladder-tf-dc84521ea4"' not in text               # two releases there: no ladder yet
    assert 'href="ladders.html"' in (built / "index.html").read_text()
