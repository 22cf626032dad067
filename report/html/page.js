(function () {
  "use strict";
  // The sort key of a cell: its data-sort attribute (numbers), else its text.
  function sortKey(row, col) {
    var cell = row.cells[col];
    if (!cell) { return ""; }
    var key = cell.getAttribute("data-sort");
    return key !== null ? key : cell.textContent.trim().toLowerCase();
  }
  // The filter value of a cell: its data-value attribute, else its text.
  function filterValue(row, col) {
    var cell = row.cells[col];
    if (!cell) { return ""; }
    var value = cell.getAttribute("data-value");
    return value !== null ? value : cell.textContent.trim();
  }
  function makeSortable(table) {
    var headers = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headers, function (th, col) {
      th.tabIndex = 0;
      th.setAttribute("role", "columnheader button");
      function sort() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        var numeric = th.classList.contains("num");
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = sortKey(a, col), y = sortKey(b, col), d;
          if (numeric) { d = (parseFloat(x) || 0) - (parseFloat(y) || 0); } else { d = x < y ? -1 : x > y ? 1 : 0; }
          return ascending ? d : -d;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
    });
  }
  function showCount(table) {
    var label = document.querySelector('[data-count-for="' + table.id + '"]');
    if (!label) { return; }
    var rows = table.tBodies[0].rows, shown = 0;
    for (var i = 0; i < rows.length; i++) { if (!rows[i].classList.contains("hidden")) { shown++; } }
    label.textContent = shown === rows.length ? rows.length + " in all" : shown + " of " + rows.length + " shown";
  }
  function makeFilterable(bar) {
    var table = document.getElementById(bar.getAttribute("data-filter-for"));
    if (!table) { return; }
    var text = bar.querySelector("input");
    var selects = bar.querySelectorAll("select");
    function apply() {
      var words = text.value.toLowerCase().split(/\s+/).filter(Boolean);
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        var content = row.textContent.toLowerCase();
        var keep = words.every(function (w) { return content.indexOf(w) >= 0; });
        Array.prototype.forEach.call(selects, function (s) {
          if (keep && s.value !== "") { keep = filterValue(row, parseInt(s.getAttribute("data-col"), 10)) === s.value; }
        });
        row.classList.toggle("hidden", !keep);
      });
      showCount(table);
    }
    text.addEventListener("input", apply);
    Array.prototype.forEach.call(selects, function (s) { s.addEventListener("change", apply); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.data"), function (t) { makeSortable(t); showCount(t); });
  Array.prototype.forEach.call(document.querySelectorAll("[data-filter-for]"), makeFilterable);
}());
