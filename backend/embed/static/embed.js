// The embed session travels in a header, never a cookie: browsers block third-party
// cookies inside the wp-admin iframe. Every htmx request carries it.
(function () {
  "use strict";
  function meta(name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute("content") : "";
  }
  var session = meta("bikri-session");
  document.addEventListener("htmx:configRequest", function (event) {
    if (session) {
      event.detail.headers["X-Bikri-Embed-Session"] = session;
    }
  });
  document.addEventListener("htmx:responseError", function (event) {
    var alert = document.getElementById("bikri-alert");
    if (!alert) { return; }
    alert.textContent = event.detail.xhr.status === 401 ? meta("bikri-session-ended") : (event.detail.xhr.statusText || "Error");
    alert.hidden = false;
  });
})();

// fetch() with the embed session, for pages that draw charts from JSON.
window.bikri = window.bikri || {};
window.bikri.fetchJSON = function (url) {
  var el = document.querySelector('meta[name="bikri-session"]');
  return fetch(url, { headers: { "X-Bikri-Embed-Session": el ? el.getAttribute("content") : "" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    });
};
