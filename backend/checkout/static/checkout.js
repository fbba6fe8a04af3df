// Checkout pages: tell wp-admin when the checkout settings or the blacklist changed (so the
// plugin fetches its copy at once), page through lists, and download the OTP report as CSV
// (a plain link cannot carry the embed session header).
(function () {
  "use strict";
  function meta(name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute("content") : "";
  }

  document.body.addEventListener("bikri-checkout-changed", function () {
    var origin = meta("bikri-shop-origin");
    if (origin && window.parent !== window) {
      window.parent.postMessage({ bikri: "checkout-changed" }, origin);
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-page]");
    if (!button) { return; }
    var section = button.closest("section");
    var form = section && section.querySelector("form[hx-get]");
    if (!form || !window.htmx) { return; }
    var params = new URLSearchParams(new FormData(form));
    params.set("page", button.getAttribute("data-page"));
    window.htmx.ajax("GET", form.getAttribute("hx-get") + "?" + params.toString(), { target: form.getAttribute("hx-target") });
  });

  var csv = document.getElementById("report-csv");
  if (csv) {
    csv.addEventListener("click", function () {
      var form = document.getElementById("report-filter");
      var error = document.getElementById("report-csv-error");
      var url = csv.getAttribute("data-url") + "?" + new URLSearchParams(new FormData(form)).toString();
      fetch(url, { headers: { "X-Bikri-Embed-Session": meta("bikri-session") } })
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status === 401 ? meta("bikri-session-ended") : "HTTP " + response.status); }
          return response.blob();
        })
        .then(function (blob) {
          error.hidden = true;
          var link = document.createElement("a");
          link.href = URL.createObjectURL(blob);
          link.download = "otp-report.csv";
          document.body.appendChild(link);
          link.click();
          setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
        })
        .catch(function (e) { error.textContent = e.message; error.hidden = false; });
    });
  }
})();
