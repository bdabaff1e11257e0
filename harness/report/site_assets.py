"""The site's stylesheet and script, written next to its pages (no external fetch of any kind).

The script only filters the grid: it reads the filters from the URL's query string
(?scenario=shuffle&keras=3.15.1&backend=jax&python=3.11&machine=b84f&device=cpu&recipe=full&
verdict=bitwise&q=text), applies them, and writes them back to the URL as they change, so a
filtered view can be shared. The scenario filter starts on the canonical scenario. A value that
matches nothing in the records, or an unknown filter, is reported in a message above the grid
(and that filter is not applied). Without script every row is shown. The recipes come from the
page (the table's data-recipes), so a new recipe in the records needs no change here.
"""
from __future__ import annotations

from ..matrix import RECIPES
from . import palette

FILTERS = ("scenario", "keras", "backend", "python", "machine", "device", "recipe", "verdict", "q")

CSS = """*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1b1b;background:#fff}
header.site{background:#1b1b1b;color:#fff;padding:.5em 1em;display:flex;flex-wrap:wrap;gap:.3em 1.2em;align-items:baseline}
header.site a{color:#fff}
header.site .brand{font-weight:600;margin-right:auto}
main{padding:0 1em 1em;max-width:100%}
footer{border-top:1px solid #ccc;padding:.6em 1em;color:#444;font-size:13px}
h1{font-size:1.5em;margin:.6em 0 .3em}
h2{font-size:1.2em;margin:1.2em 0 .4em}
h3{font-size:1.05em;margin:1em 0 .3em}
p,li,dd{overflow-wrap:anywhere}
code{font:13px/1.3 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f3f3f3;padding:0 .2em;border-radius:3px}
pre{font:12px/1.35 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f6f6f6;padding:.6em;overflow:auto;max-width:100%;border:1px solid #ddd}
a{color:#0b57a4}
[hidden]{display:none!important}
.scroll{overflow:auto;max-width:100%;border:1px solid #ccc}
.scroll.tall{max-height:80vh}
.figure{overflow:auto;max-width:100%;border:1px solid #ddd;background:#fff}
.figure img{display:block;max-width:none}
table{border-collapse:separate;border-spacing:0;font-size:13px}
th,td{border-right:1px solid #ddd;border-bottom:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
thead th{position:sticky;top:0;background:#e9e9e9;z-index:2}
tr.group-head th{background:#fafafa;text-align:left;font-weight:600}
span.api{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:.4em;vertical-align:-1px}
td.v{white-space:nowrap}
.num{text-align:right;font-variant-numeric:tabular-nums}
.lead{max-width:60em}
section.answers{border-left:4px solid #0b57a4;background:#f4f8fc;padding:.2em .8em .4em;margin:.6em 0}
section.answers h2{font-size:1.05em;margin:.5em 0 .2em}
section.answers ul{margin:.2em 0;padding-left:1.2em}
section.answers li{margin:.15em 0}
.gpu,.overview{margin:.3em 0}
form.filters{display:flex;flex-wrap:wrap;gap:.4em .8em;align-items:end;margin:.6em 0}
form.filters label{display:flex;flex-direction:column;font-size:12px;color:#333}
form.filters select,form.filters input{font:inherit;font-size:14px;padding:2px 4px;max-width:100%}
form.filters input[type=search]{width:14em}
.filter-error{background:#fff3cd;border:1px solid #c9a227;padding:.3em .6em;margin:.3em 0}
.count{font-size:13px;color:#333;margin:.2em 0}
.key{display:flex;flex-wrap:wrap;gap:.3em 1em;font-size:13px;margin:.4em 0;padding:0;list-style:none}
.key li{display:flex;align-items:center;gap:.3em}
.swatch{display:inline-block;width:1.4em;height:1em;border:1px solid #888}
.ramp{display:inline-flex}
.ramp span{display:inline-block;width:.7em;height:1em}
.answer{border-left:4px solid #0b57a4;background:#f4f8fc;padding:.4em .8em;margin:.6em 0}
#matrix th.stack{min-width:30em;max-width:36em;font-weight:normal;background:#fff}
#matrix th.stack a{font-weight:600;overflow-wrap:anywhere}
#matrix th.stack .sub{display:block;color:#444;font-size:12px}
#matrix td.answer{border-left:0;margin:0;padding:3px 6px;background:#f4f8fc;min-width:12em;max-width:22em}
#matrix thead th.answer{background:#dfe9f4;margin:0;padding:3px 6px;border-left:0}
#matrix td.answer .recipe{font-size:14px}
#matrix td.answer .procs{color:#333}
#matrix td.answer .travel{font-size:12px;padding:0 .3em;border-radius:3px;background:#e6e6e6}
#matrix td.answer .travel.travels{background:#d4edda}
#matrix td.answer .travel.differs{background:#fde2c8}
#matrix td.answer .per{display:block;font-size:12px;color:#444}
#matrix td.answer .never{color:#5a1a1a}
#matrix details{font-size:12px}
#matrix details summary{cursor:pointer;color:#0b57a4}
#matrix td.rc{white-space:nowrap;text-align:center}
a.sq,span.sq{display:inline-block;width:1.15em;height:1.15em;margin:1px;border:1px solid #666;vertical-align:middle}
span.sq.none{background:#f2f2f2;border-color:#ccc}
a.sq:focus,a.sq:hover{outline:2px solid #000;outline-offset:1px}
.grid{max-width:100%}
svg.ladder{display:block;font-family:system-ui,sans-serif}
span.line{display:inline-block;width:1.6em;border-top:3px solid;vertical-align:middle;margin:0 .3em 0 .6em}
table.ladder td{white-space:nowrap}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.1em 1em;margin:.4em 0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0}
@media (max-width:700px){body{font-size:14px}main{padding:0 .5em .5em}form.filters input[type=search]{width:100%}dl.facts{grid-template-columns:1fr}
#matrix,#matrix tbody,#matrix tr,#matrix th,#matrix td{display:block;width:auto;max-width:100%;min-width:0;border:0}
#matrix thead{display:none}
#matrix tr.row{border:1px solid #ccc;border-radius:4px;margin:.4em 0;padding:.3em .4em}
#matrix tr.row[hidden],#matrix tbody[hidden]{display:none!important}
#matrix tr.group-head th{background:none;padding:.6em 0 0}
#matrix th.stack{padding:0;min-width:0;max-width:100%}
#matrix td.answer{padding:.2em .3em;margin:.2em 0;min-width:0;max-width:100%}
#matrix td.rc{display:inline-block;text-align:left;padding:0 .5em 0 0}
#matrix td.rc::before{content:attr(data-label) " ";font-size:12px;color:#333}}
"""


def css(recipes=()) -> str:
    """The stylesheet; a recipe filter shows only that recipe's column, for every recipe present
    (read from the records, not from a fixed list)."""
    names = list(dict.fromkeys(list(recipes) + list(RECIPES)))
    return CSS + "".join(f'table[data-recipe="{r}"] .rc:not(.r-{r}){{display:none}}\n' for r in names) \
        + f"td.fail{{background:{palette.FAILURE}}}\n"


JS = """(function () {
  "use strict";
  var form = document.getElementById("filters");
  var table = document.getElementById("matrix");
  if (!form || !table) { return; }
  var KEYS = %(keys)s;
  var RECIPES = (table.getAttribute("data-recipes") || "").split(" ").filter(Boolean);
  var rows = Array.prototype.slice.call(table.querySelectorAll("tr.row"));
  var groups = Array.prototype.slice.call(table.querySelectorAll("tbody"));
  var count = document.getElementById("count");
  var error = document.getElementById("filter-error");
  var problems = [];

  function fieldDefault(field) {
    return field.getAttribute("data-default") || "";
  }
  function fromUrl() {
    var params = new URLSearchParams(window.location.search);
    params.forEach(function (value, key) {
      if (KEYS.indexOf(key) < 0) { problems.push("unknown filter \\u201c" + key + "\\u201d"); }
    });
    KEYS.forEach(function (key) {
      var field = form.elements[key];
      if (!field || !params.has(key)) { return; }
      var value = params.get(key);
      field.value = value;
      if (field.tagName === "SELECT" && field.value !== value) {
        // a prefix is enough (?machine=b84f): the first option that starts with it
        var option = Array.prototype.find.call(field.options, function (o) {
          return o.value && value && o.value.indexOf(value) === 0;
        });
        if (option) {
          field.value = option.value;
        } else {
          field.value = fieldDefault(field);
          var label = field.parentNode.firstChild.textContent.toLowerCase();
          problems.push("no " + label + " \\u201c" + value + "\\u201d in the records (showing " +
                        (field.value ? field.value : "every " + label) + ")");
        }
      }
    });
  }
  function chosen() {
    var found = {};
    KEYS.forEach(function (key) {
      var field = form.elements[key];
      var value = field ? field.value.trim() : "";
      if (value && value !== "all") { found[key] = value; }
    });
    return found;
  }
  function has(row, name, value) {
    return (row.getAttribute("data-" + name) || "").split(" ").indexOf(value) >= 0;
  }
  function matches(row, want) {
    var exact = ["scenario", "keras", "backend", "python", "device"];
    for (var i = 0; i < exact.length; i++) {
      if (want[exact[i]] && row.getAttribute("data-" + exact[i]) !== want[exact[i]]) { return false; }
    }
    if (want.machine && !(row.getAttribute("data-machine") || "").split(" ").some(function (m) {
      return m.indexOf(want.machine) === 0; })) { return false; }
    if (want.verdict) {
      var recipes = want.recipe ? [want.recipe] : RECIPES;
      if (!recipes.some(function (r) { return has(row, "v-" + r, want.verdict); })) { return false; }
    }
    if (want.q && row.getAttribute("data-text").indexOf(want.q.toLowerCase()) < 0) { return false; }
    return true;
  }
  function apply(write) {
    var want = chosen();
    var shown = 0;
    rows.forEach(function (row) {
      var ok = matches(row, want);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    groups.forEach(function (group) {
      group.hidden = !group.querySelector("tr.row:not([hidden])");
    });
    table.setAttribute("data-recipe", want.recipe || "");
    count.textContent = shown + " of " + rows.length + " rows shown";
    error.hidden = problems.length === 0;
    error.textContent = problems.length ? "Filter not applied: " + problems.join("; ") + "." : "";
    if (write) {
      problems = [];
      error.hidden = true;
      var query = new URLSearchParams();
      KEYS.forEach(function (key) {
        var field = form.elements[key];
        if (field && field.value !== fieldDefault(field) && field.value !== "") { query.set(key, field.value); }
      });
      query = query.toString();
      try {
        window.history.replaceState(null, "", query ? "?" + query : window.location.pathname);
      } catch (e) { /* file:// pages may refuse; the filters still apply */ }
    }
  }
  fromUrl();
  apply(false);
  form.addEventListener("input", function () { apply(true); });
  form.addEventListener("change", function () { apply(true); });
  form.addEventListener("submit", function (event) { event.preventDefault(); apply(true); });
  form.addEventListener("reset", function () {
    window.setTimeout(function () {
      Array.prototype.forEach.call(form.querySelectorAll("select"), function (s) { s.value = fieldDefault(s); });
      apply(true);
    }, 0);
  });
}());
"""


def script() -> str:
    import json
    return JS % {"keys": json.dumps(list(FILTERS))}
