// The delivery report chart (C7): parcels booked per day, stacked by what became of them;
// and the CSV download, fetched with the embed session header (a plain link could not send it).
(function () {
  "use strict";
  var canvas = document.getElementById("courier-chart");
  var form = document.getElementById("courier-range");
  if (!canvas || !form) { return; }
  var colours = { delivered: "#0a7d5a", partial_delivered: "#dba617", returned_cancelled: "#d63638", in_transit: "#2271b1" };
  var labels = JSON.parse(canvas.dataset.labels || "{}");
  var error = document.getElementById("courier-report-error");
  var chart = null;

  function params() { return new URLSearchParams(new FormData(form)).toString(); }

  function draw() {
    window.bikri.fetchJSON(canvas.dataset.reportUrl + "?" + params()).then(function (data) {
      error.hidden = true;
      var datasets = Object.keys(colours).map(function (group) {
        return { label: labels[group] || group, data: data.series[group], backgroundColor: colours[group], stack: "parcels" };
      });
      if (chart) { chart.destroy(); }
      canvas.dataset.drawn = String(data.booked);
      if (typeof Chart === "undefined") { return; }
      chart = new Chart(canvas, {
        type: "bar",
        data: { labels: data.days, datasets: datasets },
        options: { responsive: true, maintainAspectRatio: false, animation: false,
          scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 },
            title: { display: true, text: canvas.dataset.labelCount } } } }
      });
    }).catch(function (e) { error.textContent = e.message; error.hidden = false; });
  }

  function downloadCsv(button) {
    var session = document.querySelector('meta[name="bikri-session"]');
    fetch(button.dataset.url + "?" + params(), { headers: { "X-Bikri-Embed-Session": session ? session.getAttribute("content") : "" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        var name = (response.headers.get("Content-Disposition") || "").split("filename=")[1] || "deliveries.csv";
        return response.blob().then(function (blob) { return { blob: blob, name: name.replace(/"/g, "") }; });
      })
      .then(function (file) {
        var link = document.createElement("a");
        link.href = URL.createObjectURL(file.blob);
        link.download = file.name;
        document.body.appendChild(link);
        link.click();
        setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
      })
      .catch(function (e) { error.textContent = e.message; error.hidden = false; });
  }

  form.addEventListener("submit", function () { draw(); });
  document.getElementById("courier-csv").addEventListener("click", function (event) { downloadCsv(event.currentTarget); });
  window.addEventListener("load", draw);
})();
