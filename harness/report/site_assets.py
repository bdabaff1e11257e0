"""The site's stylesheet and script, written next to its pages (no external fetch of any kind).

The script only filters the matrix: it reads the filters from the URL's query string
(?backend=jax&python=3.11&machine=b84f&device=cpu&recipe=full&verdict=bitwise&q=text), applies
them, and writes them back to the URL as they change, so a filtered view can be shared. Without
script every row is shown.
"""
from __future__ import annotations

from ..matrix import RECIPES
from . import palette

FILTERS = ("backend", "python", "machine", "device", "recipe", "verdict", "q")

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
tbody th,td.name{position:sticky;left:0;background:#fff;z-index:1}
thead th.name{left:0;z-index:3}
tr.group-head th{background:#fafafa;text-align:left;font-weight:600;position:static}
tr.group-head th span.api{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:.4em;vertical-align:-1px}
td.v{white-space:nowrap}
td.calls code{display:inline-block;margin:1px 2px 1px 0;max-width:100%;overflow-wrap:anywhere}
td.calls{min-width:16em;max-width:30em}
td.name{white-space:nowrap}
.num{text-align:right;font-variant-numeric:tabular-nums}
form.filters{display:flex;flex-wrap:wrap;gap:.4em .8em;align-items:end;margin:.6em 0}
form.filters label{display:flex;flex-direction:column;font-size:12px;color:#333}
form.filters select,form.filters input{font:inherit;font-size:14px;padding:2px 4px;max-width:100%}
form.filters input[type=search]{width:14em}
.count{font-size:13px;color:#333;margin:.2em 0}
.key{display:flex;flex-wrap:wrap;gap:.3em 1em;font-size:13px;margin:.4em 0;padding:0;list-style:none}
.key li{display:flex;align-items:center;gap:.3em}
.swatch{display:inline-block;width:1.4em;height:1em;border:1px solid #888}
.ramp{display:inline-flex}
.ramp span{display:inline-block;width:.7em;height:1em}
.answer{border-left:4px solid #0b57a4;background:#f4f8fc;padding:.4em .8em;margin:.6em 0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.1em 1em;margin:.4em 0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0}
@media (max-width:600px){body{font-size:14px}td.name{white-space:normal;min-width:9em;max-width:11em;overflow-wrap:anywhere}main{padding:0 .5em .5em}form.filters input[type=search]{width:100%}dl.facts{grid-template-columns:1fr}}
""" + "".join(f'table[data-recipe="{r}"] .rc:not(.r-{r}){{display:none}}\n' for r in RECIPES) \
    + f"td.fail{{background:{palette.FAILURE}}}\n"

JS = """(function () {
  "use strict";
  var form = document.getElementById("filters");
  var table = document.getElementById("matrix");
  if (!form || !table) { return; }
  var KEYS = %(keys)s;
  var RECIPES = %(recipes)s;
  var rows = Array.prototype.slice.call(table.querySelectorAll("tr.row"));
  var groups = Array.prototype.slice.call(table.querySelectorAll("tbody"));
  var count = document.getElementById("count");

  function fromUrl() {
    var params = new URLSearchParams(window.location.search);
    KEYS.forEach(function (key) {
      var field = form.elements[key];
      if (!field || !params.has(key)) { return; }
      var value = params.get(key);
      field.value = value;
      if (field.tagName === "SELECT" && field.value !== value) {
        // a prefix is enough (?machine=b84f): the first option that starts with it
        var option = Array.prototype.find.call(field.options, function (o) {
          return o.value && o.value.indexOf(value) === 0;
        });
        field.value = option ? option.value : "";
      }
    });
  }
  function chosen() {
    var found = {};
    KEYS.forEach(function (key) {
      var field = form.elements[key];
      var value = field ? field.value.trim() : "";
      if (value) { found[key] = value; }
    });
    return found;
  }
  function matches(row, want) {
    var exact = ["backend", "python", "device"];
    for (var i = 0; i < exact.length; i++) {
      if (want[exact[i]] && row.getAttribute("data-" + exact[i]) !== want[exact[i]]) { return false; }
    }
    if (want.machine && row.getAttribute("data-machine").indexOf(want.machine) !== 0) { return false; }
    if (want.verdict) {
      var recipes = want.recipe ? [want.recipe] : RECIPES;
      var any = recipes.some(function (r) { return row.getAttribute("data-v-" + r) === want.verdict; });
      if (!any) { return false; }
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
    if (write) {
      var query = new URLSearchParams(want).toString();
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
  form.addEventListener("reset", function () { window.setTimeout(function () { apply(true); }, 0); });
}());
"""


def script() -> str:
    import json
    return JS % {"keys": json.dumps(list(FILTERS)), "recipes": json.dumps(list(RECIPES))}
