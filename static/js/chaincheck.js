// Live progress of the full audit check on the checkpoint page: polls the JSON endpoint while the
// check runs, then reloads once so the chain banner shows the new result. Without JavaScript the
// page offers a refresh link instead.
(function () {
  "use strict";
  var box = document.getElementById("chain-check");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-url");
  var counts = document.getElementById("c-counts");
  var template = counts.getAttribute("data-template");
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (p) {
        var total = p.total || 0;
        document.getElementById("c-status").textContent = p.state_label;
        document.getElementById("c-bar").style.width =
          (total ? Math.min(100, Math.round((p.done * 100) / total)) : 0) + "%";
        counts.textContent = template.replace("{done}", p.done).replace("{total}", total);
        if (p.running) { window.setTimeout(tick, 1500); }
        else { window.location.reload(); }
      })
      .catch(function () { window.setTimeout(tick, 5000); });
  }
  window.setTimeout(tick, 1000);
})();
