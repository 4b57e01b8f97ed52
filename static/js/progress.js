// Live progress of a certificate batch: polls the JSON endpoint until the batch is finished, then
// reloads once so the page shows the final list and the print file. Without JavaScript the page
// offers a refresh link instead.
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-url");
  var wasRunning = false;
  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (p) {
        var total = p.total || 0;
        document.getElementById("p-status").textContent = p.status_label;
        document.getElementById("p-bar").style.width = (total ? Math.round((p.done * 100) / total) : 0) + "%";
        document.getElementById("p-counts").textContent = p.counts_text;
        var running = !p.finished;
        if (running) { wasRunning = true; window.setTimeout(tick, 1500); }
        else if (wasRunning) { window.location.reload(); }
      })
      .catch(function () { window.setTimeout(tick, 5000); });
  }
  tick();
})();
