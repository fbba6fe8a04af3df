// The reasons chart (U4): how many shoppers gave each reason, for the list's date range.
(function () {
  "use strict";
  var canvas = document.getElementById("reasons-chart");
  var form = document.getElementById("abandoned-filter");
  if (!canvas || !form) { return; }
  var chart = null;

  function draw() {
    var params = new URLSearchParams(new FormData(form)).toString();
    var error = document.getElementById("reasons-error");
    var others = document.getElementById("reasons-other");
    window.bikri.fetchJSON(canvas.dataset.url + "?" + params).then(function (data) {
      error.hidden = true;
      others.textContent = "";
      data.other_texts.forEach(function (text) {
        var item = document.createElement("li");
        item.textContent = text;
        others.appendChild(item);
      });
      canvas.dataset.counts = data.counts.join(",");
      if (chart) { chart.destroy(); }
      if (typeof Chart === "undefined") { return; }
      chart = new Chart(canvas, {
        type: "bar",
        data: { labels: data.labels, datasets: [{ label: canvas.dataset.label, data: data.counts, backgroundColor: "#2271b1" }] },
        options: { indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false,
          plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
      });
    }).catch(function (e) { error.textContent = e.message; error.hidden = false; });
  }
  form.addEventListener("submit", function () { draw(); });
  window.addEventListener("load", draw);
})();
