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

// Phones: the navigation strip shows the current page, and a table wider than its box says so
// in words above it (the first column stays put, see embed.css). Tables come from htmx swaps and
// from scripts (the dashboard), so this runs again whenever the page changes.
(function () {
  "use strict";
  var hintText = (document.querySelector('meta[name="bikri-scroll-hint"]') || {}).content || "";

  function showCurrentPage() {
    var strip = document.querySelector("#bikri-nav ul");
    var current = strip && strip.querySelector('[aria-current="page"]');
    if (current && strip.scrollWidth > strip.clientWidth) {
      var item = current.parentElement;
      strip.scrollLeft = item.offsetLeft - (strip.clientWidth - item.offsetWidth) / 2;
    }
  }

  function markWideTables() {
    document.querySelectorAll(".scroll-hint").forEach(function (hint) {
      var box = hint.nextElementSibling;
      if (!box || !box.classList.contains("table-scroll") || box.scrollWidth <= box.clientWidth + 1) {
        hint.remove();
      }
    });
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      var wide = box.scrollWidth > box.clientWidth + 1;
      box.classList.toggle("is-wide", wide);
      var before = box.previousElementSibling;
      if (wide && hintText && !(before && before.classList.contains("scroll-hint"))) {
        var hint = document.createElement("p");
        hint.className = "scroll-hint";
        hint.textContent = hintText;
        box.parentNode.insertBefore(hint, box);
      }
    });
  }

  var queued = false;
  function soon() {
    if (queued) { return; }
    queued = true;
    window.requestAnimationFrame(function () { queued = false; markWideTables(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    showCurrentPage();
    markWideTables();
    new MutationObserver(function (changes) {
      // our own hints change the page too; only other changes need a new look
      var other = changes.some(function (change) {
        return [].some.call(change.addedNodes, function (node) { return !(node.classList && node.classList.contains("scroll-hint")); }) ||
          [].some.call(change.removedNodes, function (node) { return !(node.classList && node.classList.contains("scroll-hint")); });
      });
      if (other) { soon(); }
    }).observe(document.body, { childList: true, subtree: true });
    window.addEventListener("resize", soon);
  });
})();
