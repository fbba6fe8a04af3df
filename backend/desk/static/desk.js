// The order desk (O1–O7): select all, form rows, and the new-order sound.
(function () {
  "use strict";
  var MUTE_KEY = "bikri.orders.muted";

  // --- select all / product and discount rows ------------------------------------------
  document.addEventListener("change", function (event) {
    if (event.target.id === "desk-select-all") {
      document.querySelectorAll("#order-rows input[name=order]").forEach(function (box) { box.checked = event.target.checked; });
    }
  });
  // The list is redrawn by filters, by the new-order poll and after every change: the orders
  // ticked before a redraw stay ticked when they are still listed, so a poll arriving
  // mid-selection does not silently empty the selection the next bulk action will use.
  var ticked = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "order-rows") {
      ticked = Array.prototype.map.call(document.querySelectorAll("#order-rows input[name=order]:checked"),
        function (box) { return box.value; });
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!ticked || !event.detail.target || event.detail.target.id !== "order-rows") { return; }
    document.querySelectorAll("#order-rows input[name=order]").forEach(function (box) {
      box.checked = ticked.indexOf(box.value) !== -1;
    });
    ticked = null;
    var all = document.getElementById("desk-select-all");
    var boxes = document.querySelectorAll("#order-rows input[name=order]");
    if (all) { all.checked = boxes.length > 0 && document.querySelectorAll("#order-rows input[name=order]:checked").length === boxes.length; }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-row]");
    if (!button) { return; }
    var template = document.getElementById(button.dataset.addRow);
    var into = document.getElementById(button.dataset.into);
    into.appendChild(template.content.cloneNode(true));
    if (window.htmx) { window.htmx.process(into); window.htmx.trigger(document.body, "rows-changed"); }
  });

  // --- status tabs, the Incomplete tab, the filters drawer, the New-order dialog -------------
  var tabs = document.getElementById("desk-tabs");
  var statusSelect = document.getElementById("f-status");
  var mineInput = document.getElementById("f-mine");  // the "My orders" tab: orders assigned to me
  var ordersBox = document.getElementById("desk-orders");
  var incompleteBox = document.getElementById("desk-incomplete");
  function markTab(key) {
    if (!tabs) { return; }
    tabs.querySelectorAll(".desk-tab").forEach(function (tab) {
      tab.setAttribute("aria-pressed", tab.dataset.tab === key ? "true" : "false");
    });
  }
  function tabOfStatus(value) {
    var found = "all";
    if (tabs && value) {
      tabs.querySelectorAll(".desk-tab").forEach(function (tab) { if (tab.dataset.status === value) { found = tab.dataset.tab; } });
      if (found === "all") { found = null; }  // a status with no tab of its own
    }
    return found;
  }
  function showIncomplete(on) {
    if (!ordersBox || !incompleteBox) { return; }
    ordersBox.hidden = on;
    incompleteBox.hidden = !on;
    // the filters are the orders' own; the Incomplete tab lists every open checkout
    document.getElementById("desk-filters").classList.toggle("desk-filters-off", on);
  }
  if (tabs) {
    markTab("all");
    tabs.addEventListener("click", function (event) {
      var tab = event.target.closest(".desk-tab");
      if (!tab) { return; }
      markTab(tab.dataset.tab);
      if (tab.dataset.tab === "incomplete") {
        showIncomplete(true);
        window.htmx.ajax("GET", incompleteBox.dataset.url, { target: "#desk-incomplete", swap: "innerHTML" });
        return;
      }
      showIncomplete(false);
      statusSelect.value = tab.dataset.status;
      if (mineInput) { mineInput.value = tab.dataset.tab === "mine" ? "1" : ""; }
      window.htmx.trigger(document.getElementById("desk-filters"), "submit");
    });
  }
  if (statusSelect) {
    statusSelect.addEventListener("change", function () {
      showIncomplete(false);
      if (mineInput && mineInput.value) { return; }  // a status within My orders: that tab stays
      markTab(tabOfStatus(statusSelect.value));
    });
  }
  // the list's answer carries the tabs' numbers (HX-Trigger-After-Swap: desk-counts)
  document.body.addEventListener("desk-counts", function (event) {
    var counts = event.detail || {};
    Object.keys(counts).forEach(function (key) {
      var tab = tabs && tabs.querySelector(".desk-tab[data-tab='" + key + "']");
      if (tab) {
        tab.dataset.count = counts[key];
        tab.querySelector(".desk-tab-count").textContent = counts[key];
      }
    });
  });

  var filtersToggle = document.getElementById("desk-filters-toggle");
  if (filtersToggle) {
    filtersToggle.addEventListener("click", function () {
      var open = document.getElementById("desk-filters").classList.toggle("desk-filters-open");
      filtersToggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  function openDialog(id) {
    var dialog = document.getElementById(id);
    if (dialog && !dialog.open) { dialog.showModal(); }
  }
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-open-dialog]");
    if (opener) { openDialog(opener.dataset.openDialog); return; }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) { document.getElementById(closer.dataset.closeDialog).close(); }
  });
  // "Turn into an order": the New-order form comes back filled in from the checkout; show it
  document.addEventListener("htmx:afterSwap", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (source && source.dataset && source.dataset.fillOrder) { openDialog("new-order-dialog"); }
  });
  // an order made from a checkout: the Incomplete tab, when open, is drawn again
  document.body.addEventListener("orders-changed", function () {
    if (incompleteBox && !incompleteBox.hidden) {
      window.htmx.ajax("GET", incompleteBox.dataset.url, { target: "#desk-incomplete", swap: "innerHTML" });
    }
  });
  // "Call": the phone's dialler opens (tel: link) and the call is recorded on the checkout
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.call-link[data-record-url]");
    if (!link || !window.htmx) { return; }
    window.htmx.ajax("POST", link.dataset.recordUrl, { target: link.dataset.target, swap: "outerHTML" });
  });

  // --- new-order sound --------------------------------------------------------------------
  var box = document.getElementById("desk-sound");
  if (!box) { return; }
  var mute = document.getElementById("desk-mute");
  var hint = document.getElementById("desk-sound-hint");
  var banner = document.getElementById("desk-new");
  var latest = parseInt(box.dataset.latest || "0", 10);
  var highlightAbove = null;
  var audio = null;
  mute.checked = window.localStorage.getItem(MUTE_KEY) === "1";
  mute.addEventListener("change", function () { window.localStorage.setItem(MUTE_KEY, mute.checked ? "1" : "0"); });

  // Browsers let a page start audio only after the user interacted with it: the first
  // click creates (or resumes) the AudioContext, and from then on new orders can ring.
  function enableSound() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return; }
    if (!audio) { audio = new Context(); }
    if (audio.state === "suspended") { audio.resume(); }
    hint.hidden = true;
    box.dataset.soundEnabled = "1";
  }
  document.addEventListener("click", enableSound, { once: false, passive: true });

  // A short two-note chime synthesised with WebAudio: no audio file to ship or license.
  function chime() {
    box.dataset.rang = String(parseInt(box.dataset.rang || "0", 10) + 1);
    if (mute.checked || !audio || audio.state !== "running") { return; }
    [880, 1320].forEach(function (frequency, i) {
      var start = audio.currentTime + i * 0.15;
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.3, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.14);
      osc.connect(gain).connect(audio.destination);
      osc.start(start);
      osc.stop(start + 0.15);
    });
  }

  function poll() {
    window.bikri.fetchJSON(box.dataset.sinceUrl + "?after=" + latest).then(function (data) {
      if (data.orders.length) {
        highlightAbove = latest;
        latest = data.latest_id;
        banner.textContent = banner.dataset.text || "";
        banner.textContent = "#" + data.orders.map(function (o) { return o.number; }).join(", #");
        banner.hidden = false;
        chime();
        if (window.htmx) { window.htmx.trigger(document.body, "orders-changed"); }
      } else {
        latest = Math.max(latest, data.latest_id);
      }
    }).catch(function () { /* a missed poll is retried in 5 s */ });
  }
  // highlight the rows that arrived since the last poll once the list has been redrawn
  document.addEventListener("htmx:afterSwap", function () {
    if (highlightAbove === null) { return; }
    document.querySelectorAll("#order-rows tr.order-row").forEach(function (row) {
      if (parseInt(row.dataset.id, 10) > highlightAbove) { row.classList.add("order-new"); }
    });
  });
  window.setInterval(poll, 5000);
})();
