// The SMS cost chart (S7): cost per day, stacked by purpose, for the chosen range.
(function () {
  "use strict";
  var canvas = document.getElementById("sms-cost-chart");
  var form = document.getElementById("sms-range");
  if (!canvas || !form) { return; }
  var colours = { manual: "#0a7d5a", otp: "#2271b1", order_status: "#dba617", abandoned_cart: "#d63638", marketing: "#8c5fc7", campaign: "#00a0a0" };
  var chart = null;
  var labels = JSON.parse(canvas.dataset.purposes || "{}");

  function draw() {
    var params = new URLSearchParams(new FormData(form)).toString();
    var error = document.getElementById("sms-usage-error");
    window.bikri.fetchJSON(canvas.dataset.usageUrl + "?" + params).then(function (data) {
      error.hidden = true;
      var datasets = Object.keys(data.purposes).map(function (purpose) {
        return { label: labels[purpose] || purpose, data: data.purposes[purpose].cost, backgroundColor: colours[purpose] || "#646970", stack: "cost" };
      });
      if (chart) { chart.destroy(); }
      if (typeof Chart === "undefined") { return; }
      chart = new Chart(canvas, {
        type: "bar",
        data: { labels: data.days, datasets: datasets },
        options: { responsive: true, maintainAspectRatio: false, animation: false,
          scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: canvas.dataset.labelCost } } } }
      });
      canvas.dataset.drawn = String(data.totals.messages);
    }).catch(function (e) { error.textContent = e.message; error.hidden = false; });
  }
  form.addEventListener("submit", function () { draw(); });
  window.addEventListener("load", draw);
})();
