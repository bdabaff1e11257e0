"""The published site: static pages under results/site/, readable on a phone, with no external fetch.

    index.html          the matrix, grouped by era and API generation, with filters kept in the URL
                        and, per row, the weakest bitwise recipe and the calls it made there
    recipes.html        each recipe's exact calls per API generation and backend, from the records
    cells/<cell>.html   one cell's evidence: every replay's values, first differences, versions,
                        machines, timings, errors and traceback tails
    machines.html       each machine's facts and verdict counts; portability across machines
    figures.html        the heatmap, the agreement heatmap and the unseeded distributions

Every page carries the date of the newest record, the harness version and the commit of the
records, so the same records give the same bytes.
"""
from __future__ import annotations

import dataclasses
import html
from pathlib import Path
from urllib.parse import quote

from .. import __version__
from ..derive import verdicts
from ..derive.minimal import minimal_recipes
from ..derive.outcomes import API_ORDER
from ..derive.portability import portability
from ..matrix import API_ERA, RECIPES
from . import palette, site_assets, site_cells, tables

SITE = "site"
GROUPS = {
    "keras2": "Keras 2, standalone (2017-2019): TensorFlow 1.x / 2.x, Theano, CNTK",
    "tf.keras": "TensorFlow 2: tf.keras (Keras 2 inside TensorFlow)",
    "tf-keras": "TensorFlow 2: tf-keras (Keras 2 for TensorFlow >= 2.16)",
    "keras3": "Keras 3: TensorFlow, JAX, PyTorch",
    "none": "No Keras",
}
RECIPE_INTENT = {
    "none": "nothing: the unseeded baseline (expected to diverge)",
    "numpy": "seed NumPy's global generator: the tutorial's answer for Theano",
    "tutorial": "NumPy plus the backend's global seed: the tutorial's answer for TensorFlow",
    "full": "every seed there is: PYTHONHASHSEED from interpreter start, random, NumPy, the backend, "
            "and Keras's own set_random_seed where it exists",
    "strict": "full, plus one thread everywhere and the backend's deterministic-ops switches",
}
VERDICT_CLASSES = ("bitwise", "agrees", "diverged", "failed", "other")
E = html.escape


@dataclasses.dataclass(frozen=True)
class Provenance:
    date: str
    version: str
    commit: str

    def html(self) -> str:
        return (f"Records up to {E(self.date)} · published by keras-repro {E(self.version)} · "
                f"records at commit <code>{E(self.commit)}</code>")


def provenance(rs, commit=None) -> Provenance:
    """The newest record's start time (not the clock: same records, same bytes)."""
    dates = [r.started for r in rs.recipes.values() if r.started]
    return Provenance(max(dates) if dates else "unknown", __version__, commit or "unknown")


def page(title: str, body: str, prov: Provenance, depth: int = 0, script: bool = False) -> str:
    up = "../" * depth
    links = (("index.html", "Matrix"), ("recipes.html", "Recipes"), ("machines.html", "Machines"),
             ("figures.html", "Figures"))
    nav = " ".join(f'<a href="{up}{href}">{text}</a>' for href, text in links)
    tail = f'<script src="{up}site.js"></script>\n' if script else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{E(title)} · Keras reproducibility matrix</title>\n"
            f"<link rel=\"stylesheet\" href=\"{up}site.css\"></head>\n<body>\n"
            f"<header class=\"site\"><span class=\"brand\">Keras reproducibility matrix</span> {nav}</header>\n"
            f"<main>\n{body}\n</main>\n<footer>{prov.html()}</footer>\n{tail}</body></html>\n")


def cell_href(name: str, depth: int = 0) -> str:
    return "../" * depth + f"cells/{quote(name)}.html"


def verdict_class(verdict) -> str:
    if verdict.name in ("bitwise", "agrees", "diverged"):
        return verdict.name
    return "failed" if verdict.is_failure else "other"


def verdict_td(outcome, extra_class: str = "") -> str:
    color = palette.verdict_color(outcome.verdict)
    text = tables.outcome_label(outcome)
    title = outcome.verdict.error or outcome.record
    return (f'<td class="v{extra_class}" style="background:{color};color:{palette.text_color(color)}"'
            f' title="{E(title)}">{E(text)}</td>')


def calls_of(rs, machine, cell, scenario, recipe) -> tuple:
    """The seed calls and unavailable calls recorded by the first ok replay of a record (else the
    first that recorded calls); (None, ()) when no replay recorded any."""
    record = rs.recipes.get((machine, cell, scenario, recipe))
    replays = record.replays if record else ()
    replay = next((r for r in replays if r.get("status") == "ok"), None) or \
        next((r for r in replays if r.get("seed_calls")), None)
    if replay is None:
        return None, ()
    missing = tuple(f"{u.get('call')} ({u.get('why')})" if isinstance(u, dict) else str(u)
                    for u in replay.get("seed_unavailable") or [])
    return tuple(replay.get("seed_calls") or ()), missing


def codes(calls) -> str:
    return " ".join(f"<code>{E(c)}</code>" for c in calls or ()) or "—"


# --------------------------------------------------------------------------------------------
# The matrix
# --------------------------------------------------------------------------------------------
def key_html() -> str:
    ramp = "".join(f'<span style="background:{c}" title="{i} digits"></span>'
                   for i, c in enumerate(palette.DIGITS))
    items = [
        f'<li><span class="ramp" aria-hidden="true">{ramp}</span> digits of agreement across fresh '
        f'processes, 0 (left) to 17 (right)</li>',
        f'<li><span class="swatch" style="background:{palette.DIGITS[-1]}"></span> bitwise: the same doubles</li>',
        f'<li><span class="swatch" style="background:{palette.DIGITS[6]}"></span> agrees, N digits (N >= '
        f'{verdicts.AGREE_MIN_DIGITS}; 6 shown)</li>',
        f'<li><span class="swatch" style="background:{palette.DIGITS[0]}"></span> diverged (&lt; '
        f'{verdicts.AGREE_MIN_DIGITS} digits)</li>',
        f'<li><span class="swatch" style="background:{palette.FAILURE}"></span> failed (install, import, '
        'crash, timeout, …)</li>',
        f'<li><span class="swatch" style="background:{palette.NEUTRAL}"></span> single run / not run / not applicable</li>',
    ]
    return '<ul class="key" aria-label="colour key">' + "".join(items) + "</ul>"


def _select(name: str, label: str, values, labels=None) -> str:
    labels = labels or {}
    options = "".join(f'<option value="{E(v)}">{E(labels.get(v, v))}</option>' for v in values)
    return (f'<label>{label}<select name="{name}"><option value="">all</option>{options}</select></label>')


def filters_html(rs, found) -> str:
    cells = [o.cell for o in found]
    backends = sorted({c.get("backend", "") for c in cells})
    pythons = sorted({c.get("python", "") for c in cells}, key=lambda v: [int(p) for p in v.split(".")])
    machines = sorted({o.machine for o in found})
    devices = sorted({c.get("device", "cpu") for c in cells})
    recipes = [r for r in RECIPES if any(o.recipe == r for o in found)]
    return (
        '<form class="filters" id="filters" role="search">'
        + _select("backend", "Backend", backends) + _select("python", "Python", pythons)
        + _select("machine", "Machine", machines,
                  {m: f"{tables.short(m)} {rs.machine_label(m)[:40]}" for m in machines})
        + _select("device", "Device", devices) + _select("recipe", "Recipe", recipes)
        + _select("verdict", "Verdict", VERDICT_CLASSES)
        + '<label>Search<input type="search" name="q" placeholder="cell, version, fingerprint…"></label>'
        '<button type="reset">Clear</button></form>'
        '<p class="count" id="count" aria-live="polite"></p>')


def matrix_rows(rs, found) -> list:
    """[(api, [(key, [outcomes])])]: one row per (cell, scenario, machine), grouped by API."""
    rows = {}
    for outcome in found:
        rows.setdefault((outcome.cell_name, outcome.scenario, outcome.machine), []).append(outcome)
    grouped = {}
    for key, members in rows.items():
        grouped.setdefault(members[0].cell.get("api", "none"), []).append((key, members))
    return sorted(grouped.items(), key=lambda item: API_ORDER.get(item[0], 9))


def _row(rs, key, members, recipes, several_scenarios, minimal, ports) -> str:
    cell_name, scenario, machine = key
    first = members[0]
    cell, seen = first.cell, first.observed
    by_recipe = {o.recipe: o for o in members}
    answer = minimal.get(key)
    if answer and answer.bitwise:
        calls, _ = calls_of(rs, machine, cell_name, scenario, answer.bitwise)
        weakest = (f'<a href="recipes.html#{answer.bitwise}"><b>{E(answer.bitwise)}</b></a>: '
                   + (codes(calls) if calls else "nothing to call"))
    else:
        weakest = "no recipe is bitwise here"
    if answer and not answer.monotone:
        weakest += f" <small>({E(answer.bitwise_ladder.note('bitwise'))})</small>"
    runs = [o.seconds_per_run for o in members if o.seconds_per_run is not None]
    installs = [o.install_seconds for o in members if o.install_seconds is not None]
    text = " ".join(str(x) for x in (
        cell_name, scenario, cell.get("api"), cell.get("backend"), seen["python"], seen["keras"],
        seen["backend"], seen["numpy"], machine, rs.machine_label(machine),
        *(tables.outcome_label(o) for o in members), *(o.verdict.error for o in members))).lower()
    attributes = {"backend": cell.get("backend", ""), "python": cell.get("python", ""),
                  "machine": machine, "device": cell.get("device", "cpu"), "text": text}
    attributes.update({f"v-{o.recipe}": verdict_class(o.verdict) for o in members})
    attrs = "".join(f' data-{k}="{E(str(v))}"' for k, v in attributes.items())
    tds = [f'<td class="name"><a href="{cell_href(cell_name)}">{E(cell_name)}</a></td>']
    if several_scenarios:
        tds.append(f"<td>{E(scenario)}</td>")
    tds += [f"<td>{E(str(seen[k] or '—'))}</td>" for k in ("python", "keras", "backend")]
    tds.append(f'<td title="{E(rs.machine_label(machine))}"><code>{E(tables.short(machine))}</code></td>')
    tds.append(f"<td>{E(cell.get('device', 'cpu'))}</td>")
    for recipe in recipes:
        outcome = by_recipe.get(recipe)
        tds.append(verdict_td(outcome, f" rc r-{recipe}") if outcome else
                   f'<td class="v rc r-{recipe}">—</td>')
    tds.append(f'<td class="calls">{weakest}</td>')
    tds.append(f"<td>{E(tables.portability_summary(ports.get((cell_name, scenario), [])))}</td>")
    tds.append(f'<td class="num">{E(tables._seconds(sorted(runs)[len(runs) // 2] if runs else None))}</td>')
    tds.append(f'<td class="num">{E(tables._seconds(max(installs) if installs else None))}</td>')
    tds.append(f"<td>{E(tables.failure_reason(members))}</td>")
    return f'<tr class="row"{attrs}>' + "".join(tds) + "</tr>"


def index_page(rs, found, prov) -> str:
    recipes = [r for r in RECIPES if any(o.recipe == r for o in found)]
    several = len({o.scenario for o in found}) > 1
    minimal = {(m.cell, m.scenario, m.machine): m for m in minimal_recipes(found)}
    ports = {}
    for item in portability(found):
        ports.setdefault((item.cell, item.scenario), []).append(item)
    head = (['<th class="name" scope="col">cell</th>'] + (['<th scope="col">scenario</th>'] if several else [])
            + [f'<th scope="col">{h}</th>' for h in ("Python", "Keras", "backend", "machine", "device")]
            + [f'<th scope="col" class="rc r-{r}"><a href="recipes.html#{r}">{r}</a></th>' for r in recipes]
            + [f'<th scope="col">{h}</th>' for h in ("weakest bitwise recipe: what it calls", "portability",
                                                    "s/run", "install s", "first failure")])
    width = len(head)
    bodies = []
    for api, rows in matrix_rows(rs, found):
        era = API_ERA.get(api, api)
        heading = (f'<tr class="group-head"><th colspan="{width}" scope="colgroup">'
                   f'<span class="api" style="background:{palette.API.get(api, "#999")}"></span>'
                   f'{E(GROUPS.get(api, api))} <small>(era <code>{E(era)}</code>, API <code>{E(api)}</code>)'
                   "</small></th></tr>")
        body = "\n".join(_row(rs, key, members, recipes, several, minimal, ports) for key, members in rows)
        bodies.append(f'<tbody data-group="{E(api)}">\n{heading}\n{body}\n</tbody>')
    cells = len({o.cell_name for o in found})
    machines = sorted({o.machine for o in found})
    intro = (
        "<h1>Will my seeded Keras run give the same numbers again?</h1>\n"
        f"<p>{cells} Keras stacks on {len(machines)} machine(s). Each stack runs its scenarios (the 2017 "
        "tutorial's model first) in several fresh processes, unseeded and under a ladder of seeding "
        '<a href="recipes.html">recipes</a>; a cell of the table says whether the processes gave the '
        "same doubles (<b>bitwise</b>), agreed to N significant digits, or diverged. One row per stack "
        "and machine; the <i>portability</i> column says whether the numbers travel between machines "
        '(<a href="machines.html">machines</a>). A row\'s name opens its evidence.</p>\n'
        '<div class="answer"><b>The answer you came for:</b> the column <i>weakest bitwise recipe</i> '
        "names the least you must do on that stack for bitwise repeats, and lists the exact calls the "
        "harness made there.</div>\n")
    return page("Matrix", intro + filters_html(rs, found) + key_html()
                + f'\n<div class="scroll tall"><table id="matrix" data-recipe="">\n<thead><tr>{"".join(head)}'
                  "</tr></thead>\n" + "\n".join(bodies) + "\n</table></div>\n"
                + legend_html(), prov, script=True)


def legend_html() -> str:
    return (
        "<h2>Reading a cell</h2><ul>"
        "<li><b>bitwise <code>1a2b3c4d</code></b>: every process produced identical doubles; the code is "
        "the first 8 hex digits of the SHA-256 of the values' <code>float.hex</code> text, so two rows "
        "with the same code produced the same numbers.</li>"
        "<li><b>agrees, N digits (k fp)</b>: the processes differ only from the N+1-th significant digit "
        "on; k distinct fingerprints.</li>"
        "<li><b>diverged, N digits</b>: fewer than 3 digits agree; expected for <code>none</code>.</li>"
        "<li><b>(!)</b> after a bitwise <code>none</code>: an unseeded run that repeats itself.</li>"
        "<li><b>†</b>: made with an older version of the scenario file; <b>(partial)</b>: an interrupted "
        "record.</li>"
        "<li>A failure (<code>install-failed</code>, <code>import-failed</code>, <code>crashed</code>, "
        "<code>timed-out</code>, …) names what stopped the run; the cell's page has the error and the "
        "traceback tail.</li>"
        "<li><b>portability</b>: the seeded recipes that give the same fingerprint on every machine "
        "(<i>portable</i>) or different ones (<i>differs</i>, with the digits they share).</li>"
        "<li><b>s/run</b>: median seconds of one worker process; <b>install s</b>: seconds the "
        "environment took to build.</li></ul>")


# --------------------------------------------------------------------------------------------
# Recipes, machines, figures
# --------------------------------------------------------------------------------------------
def recipes_page(rs, found, prov) -> str:
    """Per recipe: the calls actually recorded, grouped by API generation, backend and call list."""
    parts = ["<h1>The recipes</h1>",
             "<p>A ladder from nothing to everything, applied in each fresh worker process before "
             "<code>import keras</code> (calls that need the keras module come right after the import, "
             "before any model exists). The calls below are not a description: they are what the "
             "replays recorded, grouped by API generation and backend, with the calls that do not exist "
             "on that stack.</p>"]
    for recipe in [r for r in RECIPES if any(o.recipe == r for o in found)]:
        groups = {}
        for o in found:
            if o.recipe != recipe:
                continue
            calls, missing = calls_of(rs, o.machine, o.cell_name, o.scenario, recipe)
            if calls is None:   # no replay ran (the environment did not build)
                continue
            key = (API_ORDER.get(o.cell.get("api"), 9), o.cell.get("api"), o.cell.get("backend"), calls, missing)
            groups.setdefault(key, set()).add(o.cell_name)
        rows = "".join(
            f"<tr><td>{E(api)}</td><td>{E(backend)}</td><td>{codes(calls) if calls else 'none'}</td>"
            f"<td>{codes(missing)}</td><td>{cell_list(names)}</td></tr>"
            for (_, api, backend, calls, missing), names in sorted(groups.items(), key=lambda i: i[0][:3] + (str(i[0][3:]),)))
        parts.append(f'<h2 id="{recipe}"><code>{recipe}</code>: {E(RECIPE_INTENT.get(recipe, ""))}</h2>')
        parts.append('<div class="scroll"><table><thead><tr><th>API</th><th>backend</th>'
                     "<th>calls made (in order)</th><th>not available there</th><th>cells</th></tr></thead>"
                     f"<tbody>{rows or '<tr><td colspan=5>no replay recorded its calls</td></tr>'}</tbody>"
                     "</table></div>")
    return page("Recipes", "\n".join(parts), prov)


def cell_list(names) -> str:
    links = ", ".join(f'<a href="{cell_href(n)}">{E(n)}</a>' for n in sorted(names))
    if len(names) <= 4:
        return links
    return f"<details><summary>{len(names)} cells</summary>{links}</details>"


def machines_page(rs, found, prov) -> str:
    parts = ["<h1>Machines</h1>",
             "<p>The same seeded stack need not give the same doubles on two machines: instruction "
             "sets (AVX2, FMA, AVX-512, AMX), thread counts and libraries change the rounding. Each "
             "machine's facts were measured once; its rows are the matrix filtered to it.</p>"]
    for machine in sorted({o.machine for o in found}):
        mine = [o for o in found if o.machine == machine]
        info = rs.machines[machine].info if machine in rs.machines else {}
        facts = [("id", machine), ("label", rs.machine_label(machine))] + [
            (k, ", ".join(map(str, v)) if isinstance(v, list) else v)
            for k, v in sorted(info.items()) if k != "cpu_flags"]
        counts = {}
        for o in mine:
            counts[verdict_class(o.verdict)] = counts.get(verdict_class(o.verdict), 0) + 1
        parts.append(f'<h2 id="m-{E(machine)}"><code>{E(machine)}</code></h2>')
        parts.append('<dl class="facts">' + "".join(f"<dt>{E(str(k))}</dt><dd>{E(str(v))}</dd>"
                                                    for k, v in facts) + "</dl>")
        parts.append(f"<p>{len({o.cell_name for o in mine})} cells; outcomes: "
                     + ", ".join(f"{counts[c]} {c}" for c in VERDICT_CLASSES if c in counts)
                     + f'. <a href="index.html?machine={quote(machine)}">The matrix on this machine</a>.</p>')
    items = portability(found)
    parts.append("<h2 id=\"portability\">Across machines</h2>")
    if items:
        headers, rows = tables.portability_rows(items, {})
        parts.append("<p>For every (cell, scenario, recipe) with records on two or more machines: "
                     "<i>portable</i> when every replay on every machine gave the same doubles; "
                     "<i>differs</i> when each machine repeats itself but the machines differ (digits "
                     "they share, and which machines give which list); <i>not repeatable</i> when some "
                     "machine does not even agree with itself; <i>failed on M</i>.</p>")
        parts.append('<div class="scroll tall"><table><thead><tr>'
                     + "".join(f"<th>{E(h)}</th>" for h in headers) + "</tr></thead><tbody>"
                     + "".join("<tr>" + "".join(f"<td>{E(str(v).replace('`', ''))}</td>" for v in row) + "</tr>"
                               for row in rows) + "</tbody></table></div>")
    else:
        parts.append("<p>No cell has records on two machines yet.</p>")
    return page("Machines", "\n".join(parts), prov)


FIGURES = (
    ("matrix.png", "Digits of agreement per cell and recipe",
     "One row per cell (and machine), one column per recipe: the digits of agreement across fresh "
     "processes, coloured as in the matrix ('=' bitwise, 'x' failure)."),
    ("agreement.png", "Agreement between cells (recipe full)",
     "Digits of agreement between the seeded value lists of every pair of cells measured on the "
     "same machine, ordered by lineage; same colours."),
    ("stats.png", "Unseeded values per cell",
     "The distribution of unseeded MSE values per cell, coloured by API generation as the matrix's "
     "group headings."),
)


def figures_page(prov, present: set) -> str:
    parts = ["<h1>Figures</h1>", "<p>Shown at their drawn size: scroll inside a figure to see all of it.</p>"]
    for name, title, text in FIGURES:
        if name in present:
            parts.append(f'<h2>{E(title)}</h2><p>{E(text)}</p><div class="figure">'
                         f'<img src="{name}" alt="{E(title)}"></div>')
    return page("Figures", "\n".join(parts), prov)


# --------------------------------------------------------------------------------------------
def build(rs, found: list, out: Path, commit=None, figures=()) -> list:
    """Write the site under `out`/site; `figures` are PNG paths copied next to the pages."""
    target = Path(out) / SITE
    prov = provenance(rs, commit)
    present = {Path(f).name for f in figures if Path(f).is_file()}
    files = {
        target / "site.css": site_assets.CSS,
        target / "site.js": site_assets.script(),
        target / "index.html": index_page(rs, found, prov),
        target / "recipes.html": recipes_page(rs, found, prov),
        target / "machines.html": machines_page(rs, found, prov),
        target / "figures.html": figures_page(prov, present),
    }
    for name, text in site_cells.pages(rs, found, lambda title, body: page(title, body, prov, depth=1)).items():
        files[target / "cells" / f"{name}.html"] = text
    written = []
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    for figure in figures:
        if Path(figure).is_file():
            (target / Path(figure).name).write_bytes(Path(figure).read_bytes())
            written.append(target / Path(figure).name)
    stale = {p for p in (target / "cells").glob("*.html")} - set(written)
    for path in stale:   # a cell that left the records leaves the site too
        path.unlink()
    return written
