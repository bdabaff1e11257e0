"""The published site: static pages under results/site/, readable on a phone, with no external fetch.

    index.html          the answers first (a sentence per API generation and backend), then one row
                        per stack: the answer (weakest bitwise recipe, processes, whether it travels)
                        beside the name and a verdict square per recipe and machine linking to its
                        evidence; filters kept in the URL; data/grid.csv and grid.json beside it
    recipes.html        each recipe's exact calls per API generation and backend, from the records
    ladders.html        per ladder of releases, where the numbers changed (inline SVG and fingerprints)
    cells/<cell>.html   one cell's evidence: every replay's values, first differences, versions,
                        machines, timings, errors and traceback tails
    machines.html       each machine's facts and verdict counts; portability across machines
    figures.html        the heatmap, the agreement heatmap and the unseeded distributions

The pages about every record carry the date of the newest record, the harness version and the
commit of the records; a cell page carries its own newest record's date and no commit. Nothing
carries the clock, and a file is written only when its bytes change, so the same records give the
same bytes and a run of two cells changes only what depends on them.
"""
from __future__ import annotations

import dataclasses
import html
from pathlib import Path
from urllib.parse import quote

from .. import __version__, paths
from ..derive import verdicts
from ..derive.minimal import minimal_recipes
from ..derive.outcomes import API_ORDER, cell_sort_key
from ..derive.portability import portability
from ..matrix import API_ERA, RECIPES, natural_key, recipe_rank
from .scenarios import MAIN_SCENARIO
from . import palette, site_assets, site_cells, site_ladders, tables
from .files import Staged

SITE = "site"
GROUPS = {
    "keras1": "Keras 1, standalone (2016-2017): TensorFlow 1.x, Theano",
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
        if not self.commit:     # a cell page: its own records' date, no commit (stable bytes)
            return (f"This cell's records up to {E(self.date)} · published by keras-repro "
                    f"{E(self.version)}")
        return (f"Records up to {E(self.date)} · published by keras-repro {E(self.version)} · "
                f"records at commit <code>{E(self.commit)}</code>")


def provenance(rs, commit=None) -> Provenance:
    """The newest record's start time (not the clock: same records, same bytes)."""
    dates = [r.started for r in rs.recipes.values() if r.started]
    return Provenance(max(dates) if dates else "unknown", __version__, commit or "unknown")


def page(title: str, body: str, prov: Provenance, depth: int = 0, script: bool = False) -> str:
    up = "../" * depth
    links = (("index.html", "Matrix"), ("recipes.html", "Recipes"), ("ladders.html", "Ladders"),
             ("machines.html", "Machines"), ("figures.html", "Figures"))
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


def _select(name: str, label: str, values, labels=None, default: str = "", everything: str = "") -> str:
    """A filter; `everything` is the value of the 'all' option ('' unless a default is preselected)."""
    labels = labels or {}
    options = "".join(f'<option value="{E(v)}"{" selected" if v == default else ""}>{E(labels.get(v, v))}</option>'
                      for v in values)
    return (f'<label>{label}<select name="{name}" data-default="{E(default)}">'
            f'<option value="{E(everything)}"{" selected" if not default else ""}>all</option>{options}</select></label>')


def _versions(values) -> list:
    return sorted({v for v in values if v}, key=natural_key)


def recipes_present(found) -> list:
    """The recipes with records, in ladder order; recipes the ladder does not know come last, by
    name, so a new recipe in the records gets its column without a change here."""
    return sorted({o.recipe for o in found}, key=lambda r: (recipe_rank(r), r))


def filters_html(rs, rows, scenarios, main) -> str:
    members = [o for row in rows for o in row.members]
    cells = [o.cell for o in members]
    machines = sorted({o.machine for o in members})
    return (
        '<form class="filters" id="filters" role="search" aria-label="filter the stacks">'
        + _select("scenario", "Scenario", scenarios, default=main if main in scenarios else "", everything="all")
        + _select("keras", "Keras", _versions(str(o.observed["keras"] or "") for o in members))
        + _select("backend", "Backend", sorted({c.get("backend", "") for c in cells}))
        + _select("python", "Python", _versions(c.get("python", "") for c in cells))
        + _select("machine", "Machine", machines,
                  {m: f"{tables.short(m)} {rs.machine_label(m)[:40]}" for m in machines})
        + _select("device", "Device", sorted({c.get("device", "cpu") for c in cells}))
        + _select("recipe", "Recipe", recipes_present(members))
        + _select("verdict", "Verdict", VERDICT_CLASSES)
        + '<label>Search<input type="search" name="q" placeholder="cell, version, fingerprint…"></label>'
        '<button type="reset">Clear</button></form>'
        '<p class="filter-error" id="filter-error" role="alert" hidden></p>'
        '<p class="count" id="count" aria-live="polite"></p>')


# --------------------------------------------------------------------------------------------
# The grid: one row per stack (cell) and scenario, every machine's verdicts side by side
# --------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Stack:
    cell: str
    scenario: str
    members: list                  # its outcomes, every machine
    machines: list                 # machines with records, sorted
    answer: str | None             # the weakest recipe bitwise on every machine (None: none is)
    per_machine: dict              # {machine: weakest bitwise recipe there, or None}
    processes: int | None          # fresh processes behind the answer's verdict (fewest of its machines)
    travel: object | None          # the Portability item of the answer's recipe (several machines)
    notes: tuple = ()              # ladders that are not monotone: "machine: not monotone: ..."

    @property
    def api(self) -> str:
        return self.members[0].cell.get("api", "none")

    @property
    def backend(self) -> str:
        return self.members[0].cell.get("backend", "")


def user_scenarios(found, builtin) -> set:
    """Scenarios whose file is not one of the built-in ones: someone's own example (`harness run
    --scenario my_model.py`), kept on the cell pages and out of the grid."""
    if not builtin:
        return set()
    return {o.scenario for o in found} - set(builtin)


def stacks(found, minimal, ports) -> list:
    """One Stack per (cell, scenario), in matrix order (generation, backend, version)."""
    grouped = {}
    for outcome in found:
        grouped.setdefault((outcome.cell_name, outcome.scenario), []).append(outcome)
    result = []
    for (cell, scenario), members in grouped.items():
        machines = sorted({o.machine for o in members})
        per = {m: (minimal.get((cell, scenario, m)).bitwise if minimal.get((cell, scenario, m)) else None)
               for m in machines}
        answer = None
        if all(per.values()):
            answer = max(per.values(), key=lambda r: (recipe_rank(r), r))
        processes = None
        if answer:
            counts = [o.replays for o in members if o.recipe == answer and o.replays]
            processes = min(counts) if counts else None
        travel = next((i for i in ports.get((cell, scenario), []) if i.recipe == answer), None)
        notes = tuple(f"{tables.short(m)}: {minimal[(cell, scenario, m)].bitwise_ladder.note('bitwise')}"
                      for m in machines if minimal.get((cell, scenario, m)) is not None
                      and not minimal[(cell, scenario, m)].monotone)
        result.append(Stack(cell, scenario, members, machines, answer, per, processes, travel, notes))
    return sorted(result, key=lambda s: (cell_sort_key(s.members[0].cell), s.scenario))


def travel_text(stack) -> tuple:
    """(css class, short text, long text) of whether the answer's numbers travel between machines."""
    if not stack.answer:
        return "none", "", ""
    item = stack.travel
    if len(stack.machines) < 2 or item is None:
        return "one", "1 machine", "measured on one machine only: whether it travels is not known"
    if item.kind == "portable":
        return "travels", "travels", f"the same doubles on all {len(stack.machines)} machines"
    if item.kind == "differs":
        long = f"each machine repeats itself, but the machines' doubles differ after {item.digits} digits"
        if item.explained:   # the lists split along the machines' classes (derive/classes.py)
            by_class = " / ".join(f"{c}: {', '.join(tables.short(m) for m in ms)}" for c, ms in item.classes)
            return "differs", f"differs {item.digits}d by class", f"{long}, along their classes: {by_class}"
        return "differs", f"differs {item.digits}d", long
    return "differs", item.kind, item.kind


def evidence_href(cell: str, machine: str, scenario: str, recipe: str, depth: int = 0) -> str:
    """The recipe section of a cell page (site_cells.anchor)."""
    return cell_href(cell, depth) + "#" + quote(site_cells.anchor(machine, scenario, recipe))


def square(outcome) -> str:
    color = palette.verdict_color(outcome.verdict)
    label = tables.outcome_label(outcome)
    text = (f"{outcome.recipe} on {tables.short(outcome.machine)}: {label}, {outcome.replays} "
            f"process{'es' if outcome.replays != 1 else ''}")
    if outcome.verdict.error:
        text += f" ({outcome.verdict.error})"
    return (f'<a class="sq" href="{evidence_href(outcome.cell_name, outcome.machine, outcome.scenario, outcome.recipe)}"'
            f' style="background:{color}" title="{E(text)}" aria-label="{E(text)}"></a>')


def answer_html(rs, stack) -> str:
    kind, short, long = travel_text(stack)
    if stack.answer:
        head = (f'<b class="recipe">{E(stack.answer)}</b>'
                + (f' <span class="procs" title="fresh processes that gave the same doubles">×{stack.processes}</span>'
                   if stack.processes else "")
                + f' <span class="travel {kind}" title="{E(long)}">{E(short)}</span>')
        if len(set(stack.per_machine.values())) > 1:
            head += '<span class="per">' + " · ".join(
                f"{E(tables.short(m))}: {E(r)}" for m, r in sorted(stack.per_machine.items())) + "</span>"
        calls, _ = calls_of(rs, stack.machines[0], stack.cell, stack.scenario, stack.answer)
        more = (f'<details><summary>calls</summary>{codes(calls) if calls else "nothing to call"} '
                f'<a href="recipes.html#{quote(stack.answer)}">recipe</a></details>')
        if stack.notes:
            more += "<details><summary>not monotone</summary>" + E("; ".join(stack.notes)) + "</details>"
        return f'<td class="answer">{head}{more}</td>'
    reason = tables.failure_reason(stack.members)
    bitwise_somewhere = [m for m, r in stack.per_machine.items() if r]
    if bitwise_somewhere:
        text = "bitwise on " + ", ".join(f"{tables.short(m)} ({stack.per_machine[m]})" for m in bitwise_somewhere) \
            + " only"
    else:
        text = "no recipe is bitwise"
    more = f"<details><summary>why</summary>{E(reason)}</details>" if reason else ""
    return f'<td class="answer"><span class="never">{E(text)}</span>{more}</td>'


def grid_row(rs, stack, recipes) -> str:
    first = stack.members[0]
    cell, seen = first.cell, first.observed
    by_recipe = {}
    for o in stack.members:
        by_recipe.setdefault(o.recipe, []).append(o)
    text = " ".join(str(x) for x in (
        stack.cell, stack.scenario, cell.get("api"), cell.get("backend"), seen["python"], seen["keras"],
        seen["backend"], seen["numpy"], *stack.machines, *(rs.machine_label(m) for m in stack.machines),
        *(tables.outcome_label(o) for o in stack.members), *(o.verdict.error for o in stack.members))).lower()
    attributes = {"scenario": stack.scenario, "keras": seen["keras"] or "", "backend": cell.get("backend", ""),
                  "python": cell.get("python", ""), "machine": " ".join(stack.machines),
                  "device": cell.get("device", "cpu"), "text": text}
    attributes.update({f"v-{r}": " ".join(sorted({verdict_class(o.verdict) for o in members}))
                       for r, members in by_recipe.items()})
    attrs = "".join(f' data-{k}="{E(str(v))}"' for k, v in attributes.items())
    versions = " · ".join(x for x in (f"Keras {seen['keras']}" if seen["keras"] else "", str(seen["backend"] or ""),
                                       f"Python {seen['python']}") if x)
    device = cell.get("device", "cpu")
    cells = [f'<th scope="row" class="stack"><a href="{cell_href(stack.cell)}">{E(stack.cell)}</a>'
             f'<span class="sub">{E(versions)}{" · " + E(device.upper()) if device != "cpu" else ""}'
             f'<span class="scn"> · {E(stack.scenario)}</span></span></th>',
             answer_html(rs, stack)]
    for recipe in recipes:
        members = sorted(by_recipe.get(recipe, []), key=lambda o: o.machine)
        squares = "".join(square(o) for o in members) or '<span class="sq none" title="not run"></span>'
        cells.append(f'<td class="rc r-{E(recipe)}" data-label="{E(recipe)}">{squares}</td>')
    return f'<tr class="row"{attrs}>' + "".join(cells) + "</tr>"


def answer_sentences(rows) -> list:
    """[(api, label, text)]: one sentence per API generation and backend, read off the grid's rows
    of one scenario (the front page's answers and the console's summary of `harness publish`)."""
    groups = {}
    for stack in rows:
        groups.setdefault((stack.api, stack.backend), []).append(stack)
    sentences = []
    for (api, backend), members in groups.items():
        keras = _versions(str(s.members[0].observed["keras"] or "") for s in members)
        machines = sorted({m for s in members for m in s.machines})
        span = f"Keras {keras[0]}" + (f"–{keras[-1]}" if len(keras) > 1 else "") if keras else ""
        counts = {}
        for s in members:
            counts[s.answer] = counts.get(s.answer, 0) + 1
        parts = [f"{r} on {n}" for r, n in sorted(
            ((r, n) for r, n in counts.items() if r), key=lambda i: (recipe_rank(i[0]), i[0]))]
        never = counts.get(None, 0)
        if parts:
            first = (f"the weakest bitwise recipe is {parts[0]} of {len(members)} stack(s)"
                     + "".join(f", {p}" for p in parts[1:]))
            first += f"; {never} never bitwise" if never else ""
        elif all(o.verdict.name == verdicts.NOT_APPLICABLE for s in members for o in s.members):
            reasons = sorted({o.verdict.error for s in members for o in s.members if o.verdict.error})
            first = (f"the scenario does not apply on its {len(members)} stack(s)"
                     + (f" ({reasons[0]})" if len(reasons) == 1 else ""))
        else:
            first = f"no recipe is bitwise on any of its {len(members)} stack(s)"
        several = [s for s in members if s.answer and len(s.machines) > 1 and s.travel is not None]
        if not several:
            travel = ("measured on one machine only" if len(machines) < 2 else
                      f"no bitwise stack of it measured on more than one of the {len(machines)} machines yet")
        else:
            portable = [s for s in several if s.travel.kind == "portable"]
            differ = sorted(s.travel.digits for s in several if s.travel.kind == "differs" and s.travel.digits is not None)
            digits = (f"{differ[0]}" + (f"–{differ[-1]}" if differ[-1] != differ[0] else "")) if differ else "?"
            measured = f"{len(several)} stack(s) measured on two or more machines"
            if len(portable) == len(several):
                travel = f"the doubles travel: the same on every machine ({measured})"
            elif not portable:
                travel = f"the doubles differ between machines, agreeing to {digits} digits ({measured})"
                splits = sorted({" / ".join(f"{c} ({', '.join(tables.short(m) for m in ms)})"
                                            for c, ms in s.travel.classes)
                                 for s in several if s.travel.explained})
                if splits:
                    travel += "; they split along the machine classes: " + "; ".join(splits)
            else:
                travel = (f"the same doubles on every machine for {len(portable)} of {measured}; the others "
                          f"agree to {digits} digits")
        label = f"{API_NAMES.get(api, api)} on {backend}"
        sentences.append((api, label, f"({span}): {first}; {travel}."))
    return sentences


def answers_html(rows) -> list:
    return [f'<li><span class="api" style="background:{palette.API.get(api, "#999")}"></span>'
            f"<b>{E(label)}</b> {E(text)}</li>" for api, label, text in answer_sentences(rows)]


def grid_stacks(found, builtin=(), infos=None) -> tuple:
    """(stacks, scenarios, main scenario) of the grid: users' example scenarios left out."""
    users = user_scenarios(found, builtin)
    shown = [o for o in found if o.scenario not in users]
    minimal = {(m.cell, m.scenario, m.machine): m for m in minimal_recipes(shown)}
    ports = {}
    for item in portability(shown, infos):
        ports.setdefault((item.cell, item.scenario), []).append(item)
    rows = stacks(shown, minimal, ports)
    scenarios = sorted({s.scenario for s in rows}, key=lambda n: (n != MAIN_SCENARIO, n))
    main = MAIN_SCENARIO if MAIN_SCENARIO in scenarios else (scenarios[0] if scenarios else "")
    return rows, scenarios, main


API_NAMES = {"keras1": "Keras 1", "keras2": "Keras 2", "tf.keras": "tf.keras", "tf-keras": "tf-keras", "keras3": "Keras 3", "none": "no Keras"}


def gpu_html(found) -> str:
    gpu = {o.cell_name for o in found if o.cell.get("device") == "gpu"}
    if not gpu:
        return ('<p class="gpu"><b>GPU:</b> no GPU records yet. Every verdict on this site comes from a '
                "CPU; the matrix defines GPU cells, and they appear here once a GPU machine has run them "
                "(<code>harness run -t gpu</code>; docs/gpu.md).</p>")
    return (f'<p class="gpu"><b>GPU:</b> {len(gpu)} stack(s) with GPU records; '
            '<a href="index.html?device=gpu">the GPU rows</a>. A GPU verdict is about that GPU and '
            "driver; the CPU rows say nothing about it.</p>")


def index_page(rs, found, prov, builtin=(), present=()) -> str:
    users = user_scenarios(found, builtin)
    shown = [o for o in found if o.scenario not in users]
    recipes = recipes_present(shown)
    rows, scenarios, main = grid_stacks(found, builtin, rs.machine_infos())
    head = ('<th class="stack" scope="col">stack</th><th scope="col" class="answer">answer: weakest bitwise '
            'recipe, processes, across machines</th>'
            + "".join(f'<th scope="col" class="rc r-{E(r)}"><a href="recipes.html#{quote(r)}">{E(r)}</a></th>'
                      for r in recipes))
    width = 2 + len(recipes)
    bodies = []
    by_api = {}
    for stack in rows:
        by_api.setdefault(stack.api, []).append(stack)
    for api, members in sorted(by_api.items(), key=lambda i: API_ORDER.get(i[0], 9)):
        heading = (f'<tr class="group-head"><th colspan="{width}" scope="colgroup">'
                   f'<span class="api" style="background:{palette.API.get(api, "#999")}"></span>'
                   f"{E(GROUPS.get(api, api))}</th></tr>")
        body = "\n".join(grid_row(rs, s, recipes) for s in members)
        bodies.append(f'<tbody data-group="{E(api)}">\n{heading}\n{body}\n</tbody>')
    cells = len({s.cell for s in rows})
    machines = sorted({o.machine for o in shown})
    sentences = answers_html([s for s in rows if s.scenario == main])
    figure = ('<p class="overview"><a href="figures.html#heatmap"><b>The whole matrix as one picture</b>: the heat '
              "map of digits per stack and recipe</a>" if "matrix.png" in present else '<p class="overview">') \
        + ' · <a href="ladders.html"><b>Where did my numbers change?</b> Each ladder of releases as a picture</a></p>'

    mine = ""
    if users:
        mine = ("<p>Your own scenarios (" + ", ".join(f"<code>{E(u)}</code>" for u in sorted(users))
                + ") are examples run with <code>harness run --scenario FILE</code>; they are not rows "
                "here, but their records are on the cell pages.</p>")
    intro = (
        "<h1>Will my seeded Keras run give the same numbers again?</h1>\n"
        f'<p class="lead">{cells} Keras stacks, {len(machines)} machine(s). For each stack: the weakest '
        "seeding recipe that made every fresh process give the same doubles (<b>bitwise</b>), how many "
        "processes showed it, and whether those doubles are the same on another machine.</p>\n"
        f'<section class="answers" aria-label="answers"><h2>The answers, per Keras generation and backend '
        f"(scenario <code>{E(main)}</code>)</h2><ul>" + "".join(sentences) + "</ul>" + gpu_html(found)
        + figure + "</section>\n")
    data = ('<p class="data">The data behind this page: <a href="data/grid.csv">grid.csv</a>, '
            '<a href="data/grid.json">grid.json</a> (one row per stack, scenario, machine and recipe); '
            "every record: <code>results/records/</code>.</p>")
    return page("Matrix", intro + filters_html(rs, rows, scenarios, main) + key_html()
                + f'\n<div class="grid"><table id="matrix" data-recipe="" data-recipes="{E(" ".join(recipes))}">'
                  f'\n<thead><tr>{head}</tr></thead>\n' + "\n".join(bodies) + "\n</table></div>\n"
                + mine + data + legend_html(), prov, script=True)


def legend_html() -> str:
    return (
        "<h2>Reading a cell</h2><ul>"
        "<li><b>bitwise <code>1a2b3c4d</code></b>: every process produced identical doubles; the code is "
        "the first 8 hex digits of the SHA-256 of the values' <code>float.hex</code> text, so two rows "
        "with the same code produced the same numbers.</li>"
        "<li><b>agrees, N digits (k fp)</b>: the processes differ only from the N+1-th significant digit "
        "on; k distinct fingerprints.</li>"
        "<li><b>diverged, N digits</b>: fewer than " f"{verdicts.AGREE_MIN_DIGITS} digits agree; expected for <code>none</code>.</li>"
        "<li><b>(!)</b> after a bitwise <code>none</code>: an unseeded run that repeats itself.</li>"
        "<li><b>†</b>: made from older inputs (the scenario, its support module or the recipes' code); <b>(partial)</b>: an interrupted "
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
    items = portability(found, rs.machine_infos())
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
     "The distribution of unseeded values (each scenario's own metric) per cell, coloured by API generation as the matrix's "
     "group headings."),
)


def figures_page(prov, present: set) -> str:
    parts = ["<h1>Figures</h1>", "<p>Shown at their drawn size: scroll inside a figure to see all of it.</p>"]
    for name, title, text in FIGURES:
        if name in present:
            ident = {"matrix.png": "heatmap"}.get(name, Path(name).stem)
            parts.append(f'<h2 id="{ident}">{E(title)}</h2><p>{E(text)}</p><div class="figure">'
                         f'<img src="{name}" alt="{E(title)}"></div>')
    return page("Figures", "\n".join(parts), prov)


# --------------------------------------------------------------------------------------------
# The data behind the grid
# --------------------------------------------------------------------------------------------
DATA_COLUMNS = ("cell", "api", "backend", "python", "keras", "backend_version", "device", "scenario",
                "machine", "recipe", "verdict", "digits", "fingerprints", "processes", "label", "record",
                "evidence")


def grid_data(found) -> list:
    """One dict per (cell, scenario, machine, recipe): what the squares show, and where from."""
    rows = []
    for o in found:
        rows.append({
            "cell": o.cell_name, "api": o.cell.get("api", ""), "backend": o.cell.get("backend", ""),
            "python": str(o.observed["python"] or ""), "keras": str(o.observed["keras"] or ""),
            "backend_version": str(o.observed["backend"] or ""), "device": o.cell.get("device", "cpu"),
            "scenario": o.scenario, "machine": o.machine, "recipe": o.recipe, "verdict": o.verdict.name,
            "digits": o.verdict.digits, "fingerprints": " ".join(o.verdict.fingerprints or ()),
            "processes": o.replays, "label": tables.outcome_label(o), "record": o.record,
            "evidence": evidence_href(o.cell_name, o.machine, o.scenario, o.recipe)})
    return rows


def grid_csv(rows) -> str:
    import csv
    import io
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, DATA_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def grid_json(rows) -> str:
    import json
    return json.dumps(rows, indent=1, sort_keys=True) + "\n"


# --------------------------------------------------------------------------------------------
def matrix_cells() -> list:
    """The current matrix's cells, or [] without a valid matrix."""
    from .. import matrix
    try:
        return matrix.load(paths.root() / "matrix.toml").cells
    except (OSError, ValueError):
        return []




def builtin_scenarios() -> set:
    """The built-in scenarios (a file in the scenarios folder); others are users' examples."""
    folder = paths.scenarios_dir()
    return {p.stem for p in Path(folder).glob("*.py")} if Path(folder).is_dir() else set()


def write_if_changed(path: Path, data: bytes, staged: Staged) -> bool:
    """Stage a write only when the bytes differ (an unchanged file keeps its bytes and its time)."""
    if path.is_file() and path.read_bytes() == data:
        return False
    staged.write_bytes(path, data)
    return True


def build(rs, found: list, out: Path, commit=None, figures=(), builtin=None, staged=None) -> list:
    """Write the site under `out`/site; `figures` are PNG paths copied next to the pages. Files
    whose bytes would not change are left alone; the returned list names every file of the site,
    and `.changed` (an attribute of the list) the ones written. With `staged`
    (report/files.Staged) the pages join its all-or-nothing write; else they are written on
    their own, all or nothing."""
    if staged is None:
        with Staged() as alone:
            written = build(rs, found, out, commit, figures, builtin, alone)
            alone.commit()
        return written
    target = Path(out) / SITE
    prov = provenance(rs, commit)
    present = {Path(f).name for f in figures if staged.exists(f)}
    builtin = builtin_scenarios() if builtin is None else set(builtin)
    recipes = recipes_present(found)
    data = grid_data(found)
    defined = matrix_cells()     # read once: the ladders gather by its tags, cell pages show its scenarios
    files = {
        target / "site.css": site_assets.css(recipes),
        target / "site.js": site_assets.script(),
        target / "index.html": index_page(rs, found, prov, builtin, present),
        target / "recipes.html": recipes_page(rs, found, prov),
        target / "machines.html": machines_page(rs, found, prov),
        target / "figures.html": figures_page(prov, present),
        target / "ladders.html": page("Ladders", site_ladders.body(
            [o for o in found if o.scenario not in user_scenarios(found, builtin)],
            grid_stacks(found, builtin, rs.machine_infos())[2], cell_href, {c.name: tuple(c.tags) for c in defined}), prov),
        target / "data" / "grid.csv": grid_csv(data),
        target / "data" / "grid.json": grid_json(data),
    }
    dates = {}
    for key, record in rs.recipes.items():
        dates[record.cell_name] = max(dates.get(record.cell_name, ""), record.started or "")

    def render(title, body, members):
        own = Provenance(dates.get(title) or prov.date, prov.version, "")
        return page(title, body, own, depth=1)
    for name, text in site_cells.pages(rs, found, render, {c.name: tuple(c.scenarios) for c in defined}).items():
        files[target / "cells" / f"{name}.html"] = text
    written, changed = [], []
    for path, text in files.items():
        if write_if_changed(path, text.encode("utf-8"), staged):
            changed.append(path)
        written.append(path)
    for figure in figures:
        if staged.exists(figure):
            path = target / Path(figure).name
            if write_if_changed(path, staged.read_bytes(figure), staged):
                changed.append(path)
            written.append(path)
    stale = {p for p in (target / "cells").glob("*.html")} - set(written)
    for path in stale:   # a cell that left the records leaves the site too
        staged.remove(path)
    return Written(written, changed)


class Written(list):
    """The site's files, with `.changed`: those whose bytes this build wrote."""

    def __init__(self, files, changed):
        super().__init__(files)
        self.changed = list(changed)
