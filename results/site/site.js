(function () {
  "use strict";
  var form = document.getElementById("filters");
  var table = document.getElementById("matrix");
  if (!form || !table) { return; }
  var KEYS = ["scenario", "keras", "backend", "python", "machine", "device", "recipe", "verdict", "q"];
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
      if (KEYS.indexOf(key) < 0) { problems.push("unknown filter \u201c" + key + "\u201d"); }
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
          problems.push("no " + label + " \u201c" + value + "\u201d in the records (showing " +
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
