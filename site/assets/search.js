// Search across every package of the registry, from _site/search.json.
// Pages work without it: repository pages list every package.
(function () {
  "use strict";
  var form = document.querySelector("form.search");
  if (!form) return;
  var input = form.querySelector("input");
  var list = form.querySelector(".results");
  var status = form.querySelector(".hint");
  var root = form.getAttribute("data-root") || "";
  var repo = form.getAttribute("data-repo");
  var loading = null;
  var limit = 50;

  // The index is fetched once, on the first keystroke.
  function load() {
    if (!loading) {
      loading = fetch(root + "_site/search.json").then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      }).then(function (idx) {
        return idx.packages.filter(function (p) { return !repo || p[1] === repo; });
      });
      loading.catch(function () { loading = null; });
    }
    return loading;
  }

  function show(q) {
    q = q.trim().toLowerCase();
    while (list.firstChild) list.removeChild(list.firstChild);
    if (!q) { status.textContent = ""; return; }
    load().then(function (all) {
      if (input.value.trim().toLowerCase() !== q) return; // typed on since
      var exact = [], rest = [];
      all.forEach(function (p) {
        var name = p[0].toLowerCase();
        if (name === q) exact.push(p);
        else if (name.indexOf(q) >= 0 || p[4].toLowerCase().indexOf(q) >= 0) rest.push(p);
      });
      var hits = exact.concat(rest);
      while (list.firstChild) list.removeChild(list.firstChild);
      hits.slice(0, limit).forEach(function (p) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = root + p[5];
        a.textContent = p[0];
        li.appendChild(a);
        li.appendChild(document.createTextNode(" " + p[3] + " (" + p[1] + ", " + p[2] + ")" + (p[4] ? " — " + p[4] : "")));
        list.appendChild(li);
      });
      status.textContent = hits.length === 0 ? "No package matches." :
        hits.length > limit ? "Showing " + limit + " of " + hits.length + " matches." :
        hits.length + (hits.length === 1 ? " match." : " matches.");
    }).catch(function () {
      if (input.value.trim().toLowerCase() !== q) return;
      status.textContent = "Search is unavailable; browse the repositories instead.";
    });
  }

  input.addEventListener("input", function () { show(input.value); });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var first = list.querySelector("a");
    if (first) window.location.href = first.href;
  });
  var q = new URLSearchParams(window.location.search).get("q");
  if (q) { input.value = q; show(q); }
})();
