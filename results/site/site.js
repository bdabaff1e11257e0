(function () {
  "use strict";
  var form = document.getElementById("filters");
  var table = document.getElementById("matrix");
  if (!form || !table) { return; }
  var KEYS = ["backend", "python", "machine", "device", "recipe", "verdict", "q"];
  var RECIPES = ["none", "numpy", "tutorial", "full", "strict"];
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
