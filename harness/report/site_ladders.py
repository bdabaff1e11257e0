"""The site's ladder page: each ladder of releases as a picture of where the numbers changed.

A ladder is a tag (`ladder-tf`, `ladder-keras3-jax`, …) on cells that differ by one release. For
each ladder and machine, an inline SVG (no plotting library, no external file, stable bytes) plots
the releases in version order on x and, per recipe, the digits of agreement across fresh processes
on y (17: bitwise), as asv plots a benchmark against commits; where a recipe is bitwise on two
neighbouring releases with different fingerprints, a dashed line between them marks "the numbers
changed here". Under it, a table gives each release's fingerprint per recipe, each fingerprint
lineage in its own colour, so the answer to "in which release did my numbers change?" is read off.
"""
from __future__ import annotations

import html
from urllib.parse import quote

from ..derive.outcomes import cell_sort_key
from ..matrix import recipe_rank
from . import palette

E = html.escape
LADDER_PREFIX = "ladder-"
# recipes' lines: the Okabe-Ito palette, as the API generations, distinct in greyscale by dash
LINES = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
DASHES = ("", "6 3", "2 2", "8 3 2 3", "1 3", "10 2", "4 4")
LINEAGE = ("#cfe8ff", "#ffe0b3", "#d4f0d4", "#f5d0e6", "#fff3b0", "#e0d4f5", "#d9d9d9", "#ffd1d1")
COLUMN, LEFT, TOP, HEIGHT = 64, 44, 14, 150


def ladders(found, scenario: str, current_tags=None) -> list:
    """[(tag, machine, [cell names in version order], {(cell, recipe): outcome})] for every ladder
    tag with at least three releases recorded on a machine, in the given scenario. A cell's tags
    are the matrix's current ones (`current_tags`: {cell: tags}) where it still has the cell, else
    those its records carry (a ladder tag added later still gathers older records)."""
    current_tags = current_tags or {}
    tags_of = lambda o: tuple(current_tags.get(o.cell_name, o.cell.get("tags") or ()))
    tags = sorted({t for o in found for t in tags_of(o) if t.startswith(LADDER_PREFIX)})
    result = []
    for tag in tags:
        mine = [o for o in found if tag in tags_of(o) and o.scenario == scenario]
        for machine in sorted({o.machine for o in mine}):
            here = [o for o in mine if o.machine == machine]
            cells = sorted({o.cell_name: o.cell for o in here}.items(), key=lambda i: cell_sort_key(i[1]))
            if len(cells) < 3:
                continue
            result.append((tag, machine, [name for name, _ in cells],
                           {(o.cell_name, o.recipe): o for o in here}))
    return result


def release(outcome) -> str:
    """The x label of a release: the Keras and backend versions observed."""
    seen = outcome.observed
    backend = str(seen["backend"] or "").split()
    return f"{seen['keras'] or '?'} / {backend[1] if len(backend) > 1 else (backend[0] if backend else '?')}"


def changes(cells, by, recipe) -> list:
    """Indexes i where the recipe is bitwise on releases i-1 and i with different fingerprints."""
    found = []
    for i in range(1, len(cells)):
        a, b = by.get((cells[i - 1], recipe)), by.get((cells[i], recipe))
        if a and b and a.verdict.name == b.verdict.name == "bitwise" and a.verdict.fingerprints != b.verdict.fingerprints:
            found.append(i)
    return found


def svg(cells, by, recipes) -> str:
    width = LEFT + COLUMN * len(cells) + 10
    y = lambda digits: TOP + HEIGHT - HEIGHT * digits / 17
    x = lambda i: LEFT + COLUMN * i + COLUMN / 2
    parts = [f'<svg class="ladder" role="img" width="{width}" height="{TOP + HEIGHT + 20}" '
             f'viewBox="0 0 {width} {TOP + HEIGHT + 20}" xmlns="http://www.w3.org/2000/svg">']
    for digits in (0, 3, 6, 9, 12, 17):
        parts.append(f'<line x1="{LEFT}" x2="{width - 10}" y1="{y(digits):.1f}" y2="{y(digits):.1f}" stroke="#e3e3e3"/>'
                     f'<text x="{LEFT - 4}" y="{y(digits) + 4:.1f}" font-size="10" text-anchor="end">'
                     f'{"=" if digits == 17 else digits}</text>')
    for n, recipe in enumerate(recipes):
        color, dash = LINES[n % len(LINES)], DASHES[n % len(DASHES)]
        for i in changes(cells, by, recipe):
            mid = LEFT + COLUMN * i
            parts.append(f'<line class="change" data-recipe="{E(recipe)}" x1="{mid}" x2="{mid}" y1="{TOP}" '
                         f'y2="{TOP + HEIGHT}" stroke="{color}" stroke-dasharray="3 3"/>')
        points = []
        for i, cell in enumerate(cells):
            o = by.get((cell, recipe))
            if o is None or not o.verdict.has_values or o.verdict.digits is None:
                if points:
                    parts.append(_polyline(points, color, dash))
                points = []
                if o is not None:   # a failure: an x on the axis
                    parts.append(f'<text x="{x(i):.1f}" y="{TOP + HEIGHT + 4}" font-size="11" text-anchor="middle" '
                                 f'fill="{color}">×<title>{E(recipe)} on {E(cell)}: {E(o.verdict.name)}</title></text>')
                continue
            points.append((x(i), y(o.verdict.digits)))
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(o.verdict.digits):.1f}" r="3.5" fill="{color}">'
                         f'<title>{E(recipe)} on {E(cell)}: {E(o.verdict.name)} {o.verdict.digits} digits '
                         f'{E(" ".join(o.verdict.fingerprints[:3]))}</title></circle>')
        if points:
            parts.append(_polyline(points, color, dash))
    parts.append("</svg>")
    return "".join(parts)


def _polyline(points, color, dash) -> str:
    coords = " ".join(f"{a:.1f},{b:.1f}" for a, b in points)
    style = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="1.6"{style}/>'


def fingerprint_table(cells, by, recipes, cell_href) -> str:
    lineages = {}
    head = "<tr><th scope=\"col\">recipe</th>" + "".join(
        f'<th scope="col"><a href="{cell_href(c)}">{E(release(next(o for (n, _), o in by.items() if n == c)))}</a></th>'
        for c in cells) + "</tr>"
    rows = []
    for n, recipe in enumerate(recipes):
        tds = []
        for cell in cells:
            o = by.get((cell, recipe))
            if o is None:
                tds.append("<td>—</td>")
            elif o.verdict.name == "bitwise":
                fp = o.verdict.fingerprints[0]
                color = lineages.setdefault(fp, LINEAGE[len(lineages) % len(LINEAGE)])
                tds.append(f'<td style="background:{color}"><code>{E(fp)}</code></td>')
            else:
                tds.append(f"<td>{E(o.verdict.name)}{'' if o.verdict.digits is None else f' {o.verdict.digits}d'}</td>")
        rows.append(f'<tr><th scope="row"><span class="line" style="border-color:{LINES[n % len(LINES)]}"></span>'
                    f"{E(recipe)}</th>" + "".join(tds) + "</tr>")
    return f'<div class="scroll"><table class="ladder"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table></div>'


def body(found, scenario: str, cell_href, current_tags=None) -> str:
    parts = ["<h1>Ladders: where did the numbers change?</h1>",
             f"<p>Each ladder is a row of releases that differ by one version (scenario <code>{E(scenario)}</code>). "
             "The picture plots, per recipe, the digits of agreement across fresh processes against the "
             "release (<code>=</code>: bitwise); a dashed vertical line marks where a recipe stays bitwise "
             "but its fingerprint changes: the numbers changed in that release. The table gives each "
             "release's fingerprint, one colour per lineage. <code>harness bisect --tag TAG --recipe R</code> "
             "finds the first change by running as few releases as it can.</p>"]
    found_any = False
    for tag, machine, cells, by in ladders(found, scenario, current_tags):
        found_any = True
        recipes = sorted({r for (_, r) in by}, key=lambda r: (recipe_rank(r), r))
        moved = {r: [release(by[(cells[i], r)]) for i in changes(cells, by, r)] for r in recipes}
        said = "; ".join(f"<code>{E(r)}</code> changes at {', '.join(E(v) for v in vs)}" for r, vs in moved.items() if vs)
        parts.append(f'<h2 id="{E(tag)}-{E(machine)}"><code>{E(tag)}</code> on <code>{E(machine[:10])}</code></h2>')
        parts.append(f"<p>{len(cells)} releases. " + (f"Bitwise numbers change: {said}." if said else
                                                         "No bitwise fingerprint changes along this ladder.") + "</p>")
        key = " ".join(f'<span class="line" style="border-color:{LINES[n % len(LINES)]}"></span>{E(r)}'
                       for n, r in enumerate(recipes))
        parts.append(f'<p class="linekey">{key}</p><div class="figure">{svg(cells, by, recipes)}</div>')
        parts.append(fingerprint_table(cells, by, recipes, cell_href))
    if not found_any:
        parts.append("<p>No ladder has three or more releases recorded on one machine yet.</p>")
    return "\n".join(parts)
