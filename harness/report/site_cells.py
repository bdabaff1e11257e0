"""The site's page per cell: everything recorded about it, per machine (the evidence behind a row).

Definition, environment (installer, build time, installed packages, the install error), observed
versions, and per scenario and recipe the verdict, the calls made, every replay's exact values side
by side (differences from the first replay in bold), where replays first differ, timings, and for
failures the error with its traceback tail.
"""
from __future__ import annotations

import html
import itertools

from ..derive import classes
from ..derive import verdicts
from ..matrix import recipe_rank
from . import palette, tables

E = html.escape
TAIL_LINES = 25


def anchor(machine: str, scenario: str, recipe: str) -> str:
    """The id of one (machine, scenario, recipe)'s evidence on its cell page; the front page's
    verdict squares link to it."""
    return f"{machine}-{scenario}-{recipe}"


def pages(rs, found: list, render, defined=None) -> dict:
    """{cell name: page html}; `render(title, body, members)` wraps a body in the site's page
    (the members: the cell's outcomes, whose newest record dates the page); `defined`: {cell:
    its scenarios in the matrix now}."""
    by_cell = {}
    for outcome in found:
        by_cell.setdefault(outcome.cell_name, []).append(outcome)
    return {name: render(name, cell_body(rs, name, members, (defined or {}).get(name)), members)
            for name, members in by_cell.items()}


def cell_body(rs, name: str, members: list, scenarios=None) -> str:
    """A cell's page: its definition as recorded, with its scenarios as the matrix defines them
    (`scenarios`: records of `harness run --scenario` runs made before runs kept the definition
    whole name that scenario as the cell's own), every scenario with records, and the evidence
    per machine."""
    cell = dict(members[0].cell)
    if scenarios is not None:
        cell["scenarios"] = list(scenarios)
    parts = [f"<h1>{E(name)}</h1>",
             f"<p>{E(cell.get('api', ''))} on {E(cell.get('backend', ''))}, Python "
             f"{E(str(cell.get('python', '')))}, {E(cell.get('device', 'cpu'))}. "
             f'<a href="../index.html?q={E(name)}">Its rows in the matrix</a>.</p>',
             definition(cell, sorted({o.scenario for o in members}))]
    machines = sorted({o.machine for o in members})
    if len(machines) > 1:
        parts.append("<p>Measured on " + ", ".join(
            f'<a href="#m-{E(m)}"><code>{E(m)}</code></a>' for m in machines) + ".</p>")
    for machine in machines:
        mine = sorted((o for o in members if o.machine == machine),
                      key=lambda o: (o.scenario, recipe_rank(o.recipe)))
        parts.append(machine_section(rs, name, machine, mine))
    return "\n".join(parts)


def definition(cell: dict, recorded=()) -> str:
    facts = [("requirements", " ".join(cell.get("requirements") or [])),
             ("tags", ", ".join(cell.get("tags") or [])),
             ("environment variables", " ".join(f"{k}={v}" for k, v in sorted((cell.get("env") or {}).items()))),
             ("scenarios", ", ".join(cell.get("scenarios") or [])),
             ("scenarios with records", ", ".join(recorded)),
             ("recipes", ", ".join(cell.get("recipes") or [])),
             ("replays per recipe", cell.get("replays")), ("timeout (s)", cell.get("timeout")),
             ("notes", cell.get("notes"))]
    return '<dl class="facts">' + "".join(f"<dt>{E(k)}</dt><dd>{E(str(v))}</dd>" for k, v in facts
                                          if v not in (None, "")) + "</dl>"


def machine_section(rs, name: str, machine: str, mine: list) -> str:
    parts = [f'<h2 id="m-{E(machine)}">On <code>{E(machine)}</code>: {E(rs.machine_label(machine))}</h2>']
    env = rs.environments.get((machine, name))
    if env is not None:
        parts.append(environment(env))
    drift = tables.closure_text(next((o.closure for o in mine if o.closure), ()))
    if drift:
        parts.append(f'<p class="closure">{E(tables.CLOSURE_MARK)} {E(drift)}: these numbers were '
                     f"made from another closure than <code>locks/{E(name)}.txt</code>.</p>")
    seen = mine[0].observed
    parts.append('<dl class="facts">' + "".join(
        f"<dt>observed {E(k)}</dt><dd>{E(str(v))}</dd>" for k, v in (
            ("Python", seen["python"]), ("Keras", seen["keras"]), ("backend", seen["backend"]),
            ("NumPy", seen["numpy"]), ("backend Keras reports", seen["keras_reports"]),
            ("devices", ", ".join(seen["devices"]) if seen["devices"] else None)) if v) + "</dl>")
    path_facts = codepath_facts(next((o.codepath for o in mine if o.codepath), {}))
    info = rs.machines.get(machine)
    if info is not None:
        onednn = next((classes.onednn_of(o.codepath) for o in mine if o.recipe != "portable"
                       and classes.onednn_of(o.codepath) is not None), None)
        path_facts.insert(0, ("class", classes.cell_class(info.info, mine[0].cell, onednn)))
    if path_facts:
        parts.append('<h3 id="codepath-' + E(machine) + '">Code path</h3><p>What decided the arithmetic '
                     'here, as the libraries reported it in the replays (the repository\'s docs/codepath.md says '
                     'why it matters):</p><dl class="facts">'
                     + "".join(f"<dt>{E(k)}</dt><dd>{E(v)}</dd>" for k, v in path_facts) + "</dl>")
    with_records = {o.recipe + "\0" + o.scenario for o in mine
                    if (machine, name, o.scenario, o.recipe) in rs.recipes}
    parts.append(summary(machine, mine, with_records))
    for outcome in mine:
        record = rs.recipes.get((machine, name, outcome.scenario, outcome.recipe))
        if record is not None:
            parts.append(recipe_section(machine, outcome, record))
    return "\n".join(parts)


def codepath_facts(path: dict) -> list:
    """[(fact, text)] of a replay's recorded code path (worker schema 3); [] before it."""
    if not isinstance(path, dict) or not path:
        return []
    facts = []
    tf = path.get("tensorflow")
    if isinstance(tf, dict):
        on = tf.get("onednn_on")
        facts.append(("TensorFlow oneDNN", "unknown" if on is None else ("on" if on else "off")))
    torch = path.get("torch")
    if isinstance(torch, dict):
        facts.append(("torch", f"CPU capability {torch.get('cpu_capability')}, BLAS {torch.get('blas_info')}"
                               f" {torch.get('mkl_version') or ''}, {torch.get('threads')} threads".replace("  ", " ")))
    jax = path.get("jax")
    if isinstance(jax, dict):
        facts.append(("XLA", f"platform {jax.get('platform')}, XLA_FLAGS {jax.get('xla_flags') or 'unset'}"))
    blas = path.get("blas")
    if isinstance(blas, list) and blas:
        facts.append(("BLAS", "; ".join(f"{b.get('library')}: {b.get('core') or b.get('auto_branch') or '?'}"
                                        f" ({b.get('threads')} threads)" for b in blas if isinstance(b, dict))))
    simd = path.get("numpy_simd")
    if isinstance(simd, dict):
        facts.append(("NumPy SIMD", "dispatch " + " ".join(simd.get("dispatch") or []) or "baseline only"))
    if path.get("env"):
        facts.append(("variables", " ".join(f"{k}={v}" for k, v in sorted(path["env"].items()))))
    facts.append(("CPUs", str(path.get("cpu_count"))))
    return facts


def environment(env) -> str:
    outcome = env.outcome
    seconds = outcome.get("install_seconds")
    text = (f"<p>Environment: <b>{E(str(outcome.get('status')))}</b>, built by "
            f"{E(str(outcome.get('installer')))}"
            + (f" in {seconds:.1f} s" if isinstance(seconds, (int, float)) else "")
            + f" (<code>{E(env.path)}</code>).</p>")
    if outcome.get("error"):
        text += "<p>Install error (tail):</p>" + tail(outcome["error"])
    if outcome.get("packages"):
        text += (f"<details><summary>{len(outcome['packages'])} installed packages</summary><p>"
                 + " ".join(f"<code>{E(p)}</code>" for p in outcome["packages"]) + "</p></details>")
    return text


def summary(machine: str, mine: list, with_records=None) -> str:
    """The verdicts of one machine; an outcome with no recipe section (its environment did not
    build) carries its evidence anchor on its row, so every front-page square lands somewhere."""
    several = len({o.scenario for o in mine}) > 1
    rows = []
    for o in mine:
        color = palette.verdict_color(o.verdict)
        target = anchor(machine, o.scenario, o.recipe)
        has_section = with_records is None or (o.recipe + "\0" + o.scenario) in with_records
        row_id = "" if has_section else f' id="{E(target)}"'
        rows.append(
            f"<tr{row_id}>" + (f"<td>{E(o.scenario)}</td>" if several else "")
            + (f'<td><a href="#{E(target)}">{E(o.recipe)}</a></td>' if has_section else f"<td>{E(o.recipe)}</td>")
            + f'<td style="background:{color};color:{palette.text_color(color)}">{E(tables.outcome_label(o))}</td>'
            f'<td class="num">{o.replays}</td>'
            + "".join(f'<td class="num">{E(tables._seconds(v))}</td>'
                      for v in (o.seconds_per_run, o.import_seconds, o.seconds_per_fit))
            + f"<td>{E(o.verdict.error)}</td></tr>")
    head = ("<tr>" + ("<th>scenario</th>" if several else "") + "<th>recipe</th><th>verdict</th>"
            "<th>replays</th><th>s/run</th><th>import s</th><th>s/fit</th><th>error</th></tr>")
    return f'<div class="scroll"><table><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table></div>'


def recipe_section(machine: str, outcome, record) -> str:
    parts = [f'<h3 id="{E(anchor(machine, outcome.scenario, outcome.recipe))}">{E(outcome.scenario)} / {E(outcome.recipe)}: '
             f"{E(tables.outcome_label(outcome))}</h3>",
             f"<p>Record <code>{E(record.path)}</code>, started {E(record.started or '?')}"
             f" by harness {E(record.harness or '?')}.</p>"]
    replays = list(record.replays)
    calls = next((r.get("seed_calls") for r in replays if r.get("seed_calls")), None)
    missing = next((r.get("seed_unavailable") for r in replays if r.get("seed_unavailable")), None)
    if calls:
        parts.append("<p>Calls made: " + " ".join(f"<code>{E(c)}</code>" for c in calls) + "</p>")
    own = next((r.get("codepath") for r in replays if isinstance(r.get("codepath"), dict)), None)
    if own:
        facts = [f for f in codepath_facts(own) if f[0] in ("TensorFlow oneDNN", "torch", "variables")]
        if facts:
            parts.append("<p>Code path: " + "; ".join(f"{E(k)} {E(v)}" for k, v in facts) + "</p>")
    if missing:
        parts.append("<p>Not available here: " + "; ".join(
            f"<code>{E(str(m.get('call')))}</code> ({E(str(m.get('why')))})" if isinstance(m, dict)
            else f"<code>{E(str(m))}</code>" for m in missing) + "</p>")
    parts.append(values_table(replays))
    parts += differences(replays)
    shown = {}
    for replay in replays:
        if replay.get("status") != "ok":
            parts.append(failure(replay, shown))
    return "\n".join(parts)


def _values(replay) -> list:
    values = replay.get("values") or []
    hexes = replay.get("values_hex") or []
    count = max(len(values), len(hexes))
    out = []
    for i in range(count):
        value = values[i] if i < len(values) else None
        out.append(repr(float(value)) if isinstance(value, (int, float)) else
                   (hexes[i] if i < len(hexes) else "—"))
    return out


def values_table(replays: list) -> str:
    """Repeats down, replays across; values that differ from the first replay's in bold."""
    columns = [(r.get("index", i), _values(r), r) for i, r in enumerate(replays)]
    depth = max((len(v) for _, v, _ in columns), default=0)
    head = "<tr><th>repeat</th>" + "".join(
        f"<th>replay {E(str(index))}: {E(str(r.get('status')))}, {E(tables._seconds(r.get('wall_seconds')))} s"
        + (f", <code>{verdicts.fingerprint(r['values'])}</code>" if r.get("status") == "ok" and r.get("values") else "")
        + "</th>" for index, _, r in columns) + "</tr>"
    rows = []
    base = columns[0][1] if columns else []
    for i in range(depth):
        cells = []
        for _, values, _ in columns:
            value = values[i] if i < len(values) else "—"
            differs = i < len(base) and value != base[i]
            cells.append(f"<td><code>{'<b>' if differs else ''}{E(value)}{'</b>' if differs else ''}</code></td>")
        rows.append(f'<tr><td class="num">{i}</td>' + "".join(cells) + "</tr>")
    if not rows:
        return "<p>No values were recorded.</p>"
    return f'<div class="scroll"><table><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table></div>'


def differences(replays: list) -> list:
    ok = [r for r in replays if r.get("status") == "ok" and r.get("values")]
    found = []
    for a, b in itertools.combinations(ok, 2):
        index = verdicts.first_difference(a["values"], b["values"])
        if index is not None:
            found.append(f"<li>replays {E(str(a.get('index')))} and {E(str(b.get('index')))} first differ "
                         f"at repeat {index} ({verdicts.digits_words(verdicts.list_digits(a['values'], b['values']))}"
                         " of agreement over the list)</li>")
    if len(ok) >= 2 and not found:
        return ["<p>Every ok replay gave the same doubles.</p>"]
    return ["<ul>" + "".join(found) + "</ul>"] if found else []


def failure(replay: dict, shown: dict) -> str:
    """A failed replay: status, exit code, summary and traceback tail (once per distinct tail)."""
    error = replay.get("error")
    trace = error.get("traceback") if isinstance(error, dict) else (error if isinstance(error, str) else None)
    text = (f"<p>Replay {E(str(replay.get('index')))}: <b>{E(str(replay.get('status')))}</b>"
            + (f", exit code {E(str(replay.get('exit_code')))}" if replay.get("exit_code") is not None else "")
            + f": {E(str(replay.get('error_summary') or ''))}</p>")
    if trace and trace in shown:
        text += f"<p>Same traceback as replay {E(str(shown[trace]))}.</p>"
    elif trace:
        shown[trace] = replay.get("index")
        text += "<p>Traceback (tail):</p>" + tail(trace)
    if replay.get("stderr_tail"):
        text += "<details><summary>stderr (tail)</summary>" + tail(replay["stderr_tail"]) + "</details>"
    return text


def tail(text: str, lines: int = TAIL_LINES) -> str:
    kept = str(text).rstrip().splitlines()[-lines:]
    return f"<pre>{E(chr(10).join(kept))}</pre>"
