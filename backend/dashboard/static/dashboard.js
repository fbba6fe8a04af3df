// The dashboard: every widget fetches its own JSON and draws itself, so one slow or failing
// widget shows its own spinner or error and never holds up the others.
(function () {
  "use strict";
  var form = document.getElementById("dash-range");
  if (!form) { return; }
  var T = JSON.parse(document.getElementById("dash-text").textContent);
  var charts = {};
  var colours = ["#0a7d5a", "#2271b1", "#dba617", "#d63638", "#8c5fc7", "#00a0d2", "#646970", "#f0b849", "#3c434a", "#9ec2e6"];

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { if (k === "text") { node.textContent = attrs[k]; } else { node.setAttribute(k, attrs[k]); } });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }
  // Latin digits in every locale and the ৳ where the locale puts it, as the server's Babel
  // formatting does (backend/formatting.py): "bn-u-nu-latn" keeps Bangla grouping and words.
  var LOCALE = (document.documentElement.lang || "en") + "-u-nu-latn";
  function num(value) { return Number(value).toLocaleString(LOCALE); }
  function taka(value) { return value === null || value === undefined ? "—" : Number(value).toLocaleString(LOCALE, { style: "currency", currency: "BDT", currencyDisplay: "narrowSymbol", minimumFractionDigits: 2, maximumFractionDigits: 2 }); }
  function when(value) { return new Date(value).toLocaleString(LOCALE, { dateStyle: "medium", timeStyle: "short", timeZone: "Asia/Dhaka" }); }
  function day(isoDay) { return new Date(isoDay + "T00:00:00Z").toLocaleDateString(LOCALE, { dateStyle: "medium", timeZone: "UTC" }); }
  function statusLabel(status) { return (T.order_statuses || {})[status] || status; }
  function delta(now, before) {
    now = Number(now); before = Number(before);
    if (!before) { return el("span", { text: "" }); }
    var change = Math.round((now - before) / before * 1000) / 10;
    return el("span", { "class": change >= 0 ? "delta-up" : "delta-down", text: (change >= 0 ? "▲ " : "▼ ") + Math.abs(change) + "% " + T.vs });
  }
  function figure(label, value, now, before) {
    var kids = [el("span", { "class": "muted", text: label }), el("b", { text: value })];
    if (before !== undefined) { kids.push(delta(now, before)); }
    return el("div", { "class": "figure" }, kids);
  }
  function table(headers, rows, numeric) {
    var head = el("tr", {}, headers.map(function (h, i) { return el("th", { "class": numeric[i] ? "num" : "", text: h }); }));
    var body = rows.map(function (r) { return el("tr", {}, r.map(function (c, i) { return c instanceof Node ? el("td", {}, [c]) : el("td", { "class": numeric[i] ? "num" : "", text: c }); })); });
    return el("div", { "class": "table-scroll" }, [el("table", { "class": "list" }, [el("thead", {}, [head]), el("tbody", {}, body)])]);
  }
  function chart(name, body, config) {
    if (charts[name]) { charts[name].destroy(); delete charts[name]; }
    if (typeof Chart === "undefined") { return; }
    var canvas = el("canvas", { "aria-label": config.label || "" });
    body.appendChild(el("div", { "class": "chart-box" }, [canvas]));
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false, locale: LOCALE }, config.options || {});
    charts[name] = new Chart(canvas, config);
  }
  // a widget whose range has no data says so instead of drawing blank axes
  function empty(name, body, text) {
    if (charts[name]) { charts[name].destroy(); delete charts[name]; }
    body.appendChild(el("p", { "class": "muted dash-empty", text: text }));
  }
  function hidden(body) { body.appendChild(el("p", { "class": "muted", text: T.money_hidden })); }
  function label(map, key) { return (map && map[key]) || key || T.unknown; }
  function hours(h) { return h === null || h === undefined ? "—" : (h >= 48 ? (Math.round(h / 24 * 10) / 10) + " d" : h + " " + T.hours); }

  var draw = {
    sales: function (d, body) {
      body.appendChild(el("div", { "class": "figures" }, [
        figure(T.orders, num(d.current.orders), d.current.orders, d.previous.orders),
        d.money_hidden ? el("span") : figure(T.revenue, taka(d.current.revenue), d.current.revenue, d.previous.revenue)]));
      var sets = [{ label: T.orders, data: d.orders, backgroundColor: colours[1], yAxisID: "y" }];
      if (d.empty) { empty("sales", body, T.no_sales); if (d.money_hidden) { hidden(body); } return; }
      if (!d.money_hidden) { sets.unshift({ label: T.revenue, data: d.revenue.map(Number), type: "line", borderColor: colours[0], yAxisID: "y1" }); }
      chart("sales", body, { type: "bar", data: { labels: d.labels.map(day), datasets: sets },
        options: { scales: { y: { position: "left" }, y1: { display: !d.money_hidden, position: "right", grid: { drawOnChartArea: false } } } } });
      if (d.money_hidden) { hidden(body); }
    },
    target: function (d, body, widget) {
      if (d.money_hidden) { hidden(body); return; }
      var formEl = widget.querySelector(".dash-target-form");
      if (formEl) { formEl.hidden = false; }
      if (d.target === null) { body.appendChild(el("p", { text: T.no_target })); }
      var figs = [figure(T.so_far, taka(d.revenue)), figure(T.average, taka(d.daily_average)), figure(T.days_left, num(d.days_left))];
      if (d.target !== null) {
        figs.unshift(figure(T.target, taka(d.target)));
        figs.push(figure(T.remaining, taka(d.remaining)), figure(T.pace, taka(d.daily_needed)));
      }
      body.appendChild(el("div", { "class": "figures" }, figs));
      if (d.target !== null) {
        var pct = Math.min(100, Math.round((d.progress || 0) * 1000) / 10);
        var bar = el("span"); bar.style.width = pct + "%";
        body.appendChild(el("div", { "class": "progress", role: "progressbar", "aria-valuenow": String(pct), "aria-valuemin": "0", "aria-valuemax": "100" }, [bar]));
        body.appendChild(el("p", { "class": "muted", text: pct + "%" }));
      }
    },
    amounts: function (d, body) {
      if (d.money_hidden) { hidden(body); return; }
      var c = d.current, p = d.previous;
      body.appendChild(el("div", { "class": "figures" }, [
        figure(T.subtotal, taka(c.subtotal), c.subtotal, p.subtotal), figure(T.discount, taka(c.discount), c.discount, p.discount),
        figure(T.shipping, taka(c.shipping)), figure(T.refunded, taka(c.refunded)), figure(T.net, taka(c.revenue), c.revenue, p.revenue)]));
      if (d.empty) { empty("amounts", body, T.no_sales); return; }
      chart("amounts", body, { type: "bar", data: { labels: d.labels.map(day), datasets: [
        { label: T.subtotal, data: d.subtotal.map(Number), backgroundColor: colours[0] },
        { label: T.discount, data: d.discount.map(Number), backgroundColor: colours[3] }] } });
    },
    statuses: function (d, body) {
      if (d.empty) { empty("statuses", body, T.none); } else {
        chart("statuses", body, { type: "bar", data: { labels: d.labels.map(day), datasets: d.statuses.map(function (s, i) {
          return { label: statusLabel(s.status), data: s.orders, backgroundColor: colours[i % colours.length], stack: "s" }; }) },
          options: { scales: { x: { stacked: true }, y: { stacked: true } } } });
      }
      if (!d.statuses.length) { return; }
      body.appendChild(table([T.status, T.orders, T.previous], d.statuses.map(function (s) { return [statusLabel(s.status), num(s.current), num(s.previous)]; }), [false, true, true]));
    },
    sources: function (d, body) {
      if (d.empty) { empty("sources", body, T.no_sales); } else {
        chart("sources", body, { type: "doughnut", data: { labels: d.source_types.map(function (s) { return label(T.sources, s.key); }),
          datasets: [{ data: d.source_types.map(function (s) { return s.orders; }), backgroundColor: colours }] } });
      }
      if (!d.source_types.length) { return; }
      [["source_type", d.source_types, T.sources], ["utm", d.utm], ["referrer", d.referrers], ["created_via", d.created_via, T.via]].forEach(function (part) {
        if (!part[1].length) { return; }
        var heads = [T[part[0]], T.orders, T.previous], numeric = [false, true, true];
        if (!d.money_hidden) { heads.push(T.revenue); numeric.push(true); }
        body.appendChild(table(heads, part[1].map(function (r) {
          var row = [label(part[2], r.key), num(r.orders), num(r.previous_orders)];
          if (!d.money_hidden) { row.push(taka(r.revenue)); }
          return row;
        }), numeric));
      });
      if (d.money_hidden) { hidden(body); }
    },
    ads: function (d, body) {
      if (d.empty) { empty("ads", body, T.no_ads); } else {
        chart("ads", body, { type: "bar", data: { labels: d.networks.map(function (n) { return n.key; }), datasets: [
          { label: d.money_hidden ? T.orders : T.revenue, data: d.networks.map(function (n) { return d.money_hidden ? n.orders : Number(n.revenue); }), backgroundColor: colours[1] }] } });
      }
      if (!d.campaigns.length) { return; }
      // ordered beside delivered revenue, the campaign's ad spend and return on it (ROAS)
      var heads = [T.campaign, T.orders, T.previous], numeric = [false, true, true];
      if (!d.money_hidden) {
        heads.push(T.revenue, T.delivered_revenue, T.ad_spend, T.roas, T.delivered_roas);
        numeric.push(true, true, true, true, true);
      }
      body.appendChild(table(heads, d.campaigns.map(function (r) {
        var row = [r.key, num(r.orders), num(r.previous_orders)];
        if (!d.money_hidden) {
          row.push(taka(r.revenue), taka(r.delivered_revenue), taka(r.spend), r.roas === null ? "–" : r.roas + "×",
                   r.delivered_roas === null ? "–" : r.delivered_roas + "×");
        }
        return row;
      }), numeric));
      if (d.money_hidden) { hidden(body); }
    },
    products: function (d, body) {
      if (!d.products.length) { body.appendChild(el("p", { "class": "muted", text: T.none })); return; }
      var heads = [T.product, T.quantity, T.previous], numeric = [false, true, true];
      if (!d.money_hidden) { heads.push(T.revenue); numeric.push(true); }
      body.appendChild(table(heads, d.products.map(function (p) {
        var row = [p.name, num(p.quantity), num(p.previous_quantity)];
        if (!d.money_hidden) { row.push(taka(p.revenue)); }
        return row;
      }), numeric));
      if (d.money_hidden) { hidden(body); }
    },
    cycle: function (d, body) {
      body.appendChild(el("div", { "class": "figures" }, d.stages.map(function (s) {
        return figure(T[s.stage] + " · " + T.median, hours(s.median_hours) + " (" + num(s.orders) + ")");
      })));
      if (d.empty) { empty("cycle", body, T.no_cycle); return; }
      chart("cycle", body, { type: "bar", data: { labels: d.bars, datasets: d.stages.map(function (s, i) {
        return { label: T[s.stage], data: s.bars, backgroundColor: colours[i] }; }) } });
    },
    returning: function (d, body) {
      var c = d.current, p = d.previous;
      body.appendChild(el("div", { "class": "figures" }, [
        figure(T.returning_orders, num(c.returning_orders), c.returning_orders, p.returning_orders),
        figure(T.share, c.returning_share === null ? "—" : Math.round(c.returning_share * 1000) / 10 + "%"),
        figure(T.customer_orders, num(c.customer_orders))]));
      if (d.empty) { empty("returning", body, T.no_known); } else {
        chart("returning", body, { type: "doughnut", data: { labels: [T.new_customers, T.returning_orders],
          datasets: [{ data: [c.new_customers, c.returning_orders], backgroundColor: [colours[1], colours[0]] }] } });
      }
    },
    customers: function (d, body) {
      var c = d.current, p = d.previous;
      var figs = [figure(T.new_customers, num(c.new_customers), c.new_customers, p.new_customers),
        figure(T.returning_orders, num(c.returning_orders), c.returning_orders, p.returning_orders)];
      if (!d.money_hidden) { figs.push(figure(T.aov, taka(c.average_order_value), c.average_order_value, p.average_order_value)); }
      body.appendChild(el("div", { "class": "figures" }, figs));
      if (d.frequency.empty) { empty("customers", body, T.no_customers); } else {
        chart("customers", body, { type: "bar", data: { labels: d.frequency.labels, datasets: [
          { label: T.frequency, data: d.frequency.customers, backgroundColor: colours[4] }] } });
      }
      if (d.money_hidden) { hidden(body); }
    },
    team: function (d, body) {
      // T3: each person's orders confirmed by phone, and of the orders assigned to them, booked and delivered
      if (!d.people.length) { body.appendChild(el("p", { "class": "muted", text: T.no_team })); return; }
      body.appendChild(table([T.person, T.confirmed, T.booked, T.delivered_orders], d.people.map(function (p) {
        return [p.name, num(p.confirmed), num(p.booked), num(p.delivered)];
      }), [false, true, true, true]));
    },
    recent: function (d, body) {
      if (!d.orders.length) { body.appendChild(el("p", { "class": "muted", text: T.none })); return; }
      var heads = [T.number, T.customer, T.status, T.date], numeric = [false, false, false, false];
      if (!d.money_hidden) { heads.push(T.total); numeric.push(true); }
      body.appendChild(table(heads, d.orders.map(function (o) {
        var link = el("a", { href: o.url, target: "_top", text: "#" + o.number });
        var row = [link, o.name, statusLabel(o.status), when(o.created)];
        if (!d.money_hidden) { row.push(taka(o.total)); }
        return row;
      }), numeric));
    },
    profit: function (d, body) {
      if (d.money_hidden) { hidden(body); return; }
      var c = d.current, p = d.previous;
      body.appendChild(el("div", { "class": "figures" }, [
        figure(T.sales_revenue, taka(c.revenue), c.revenue, p.revenue),
        figure(T.costs, taka(c.total_costs), c.total_costs, p.total_costs),
        figure(T.profit, taka(c.profit), c.profit, p.profit)]));
      // return on ad spend: what each taka of ads brought in orders, and in delivered parcels
      var times = function (r) { return r === null ? "–" : r + "×"; };
      body.appendChild(el("div", { "class": "figures" }, [
        figure(T.ad_spend, taka(c.costs.ads), c.costs.ads, p.costs.ads),
        figure(T.roas, times(c.roas)),
        figure(T.delivered_roas, times(c.delivered_roas)),
        figure(T.delivered_revenue, taka(c.delivered_revenue), c.delivered_revenue, p.delivered_revenue)]));
      body.appendChild(el("p", { "class": "muted dash-ad-source", text: T.ad_sources[c.ad_spend.source] }));
      if (Number(c.ad_spend.entered_left_out)) {
        body.appendChild(el("p", { "class": "muted", text: T.ads_left_out.replace("{amount}", taka(c.ad_spend.entered_left_out)) }));
      }
      body.appendChild(table([T.category, T.amount, T.previous], d.categories.map(function (k) {
        return [label(T.categories, k), taka(c.costs[k]), taka(p.costs[k])];
      }), [false, true, true]));
    },
    cash: function (d, body) {
      var c = d.current, p = d.previous, figs = [figure(T.parcels, num(c.parcels), c.parcels, p.parcels)];
      if (!d.money_hidden) {
        figs.push(figure(T.cod_expected, taka(c.cod_expected), c.cod_expected, p.cod_expected),
          figure(T.cod_collected + " (" + num(c.delivered) + ")", taka(c.cod_collected), c.cod_collected, p.cod_collected),
          figure(T.cod_pending + " (" + num(c.in_transit) + ")", taka(c.cod_pending)),
          figure(T.cod_lost + " (" + num(c.returned_cancelled) + ")", taka(c.cod_lost)));
      }
      body.appendChild(el("div", { "class": "figures" }, figs));
      body.appendChild(el("p", { "class": "muted", text: T.cash_basis }));
      if (c.partial_amount_unknown) { body.appendChild(el("p", { "class": "muted", text: T.partial_unknown.replace("{n}", num(c.partial_amount_unknown)) })); }
      if (!d.payouts_known) { body.appendChild(el("p", { "class": "notice", text: T.no_payouts })); }
      if (d.money_hidden) { hidden(body); }
    },
    costs: function (d, body, widget) {
      if (d.money_hidden) { hidden(body); return; }
      var costForm = widget.querySelector(".dash-cost-form");
      if (costForm) { costForm.hidden = false; }
      if (!d.costs.length) { body.appendChild(el("p", { "class": "muted", text: T.no_costs })); return; }
      var heads = [T.cost_date, T.category, T.amount, T.note], numeric = [false, false, true, false];
      if (d.can_manage) { heads.push(""); numeric.push(false); }
      body.appendChild(table(heads, d.costs.map(function (cost) {
        var row = [cost.day, label(T.categories, cost.category), taka(cost.amount), cost.note];
        if (d.can_manage) {
          var edit = el("button", { "class": "button-link", type: "button", text: T.edit });
          edit.addEventListener("click", function () { editCost(costForm, cost); });
          var remove = el("button", { "class": "button-link delete", type: "button", text: T.delete });
          remove.addEventListener("click", function () {
            if (window.confirm(T.confirm_delete)) { send("DELETE", costForm.dataset.url + "/" + cost.id).then(costsChanged, alertError); }
          });
          row.push(el("span", {}, [edit, el("span", { text: " " }), remove]));
        }
        return row;
      }), numeric));
    }
  };

  // POST/PUT/DELETE with the embed session; an error answer rejects with the service's message
  // and its per-field details.
  function send(method, url, body) {
    var session = document.querySelector('meta[name="bikri-session"]').getAttribute("content");
    return fetch(url, { method: method, body: body, headers: { "X-Bikri-Embed-Session": session } }).then(function (response) {
      if (response.status === 204) { return null; }
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error((data.error && data.error.message) || ("HTTP " + response.status));
          error.details = (data.error && data.error.details) || {};
          throw error;
        }
        return data;
      });
    });
  }
  function alertError(error) { window.alert(error.message); }
  function reload(names) {
    names.forEach(function (n) { var w = document.getElementById("w-" + n); if (w) { load(w); } });
  }
  function costsChanged() { reload(["costs", "profit"]); }
  function editCost(costForm, cost) {
    costForm.elements.id.value = cost.id;
    ["day", "category", "amount", "note"].forEach(function (k) { costForm.elements[k].value = cost[k]; });
    costForm.querySelector(".dash-cost-cancel").hidden = false;
    costForm.elements.amount.focus();
  }

  function query(widget) {
    var params = new URLSearchParams({ start: form.start.value, end: form.end.value });
    if (form.basis.checked) { params.set("basis", "woocommerce"); }
    if (form.preset.value === "year") { params.set("compare", "year"); }
    var top = widget.querySelector(".dash-top");
    if (top) { params.set("limit", top.value); }
    return widget.dataset.url + "?" + params.toString();
  }

  function load(widget) {
    var name = widget.dataset.widget, state = widget.querySelector(".widget-state"), body = widget.querySelector(".widget-body");
    state.hidden = false; state.textContent = state.dataset.loading || state.textContent;
    state.dataset.loading = state.dataset.loading || state.textContent;
    widget.setAttribute("aria-busy", "true");
    window.bikri.fetchJSON(query(widget)).then(function (data) {
      body.textContent = "";
      draw[name](data, body, widget);
      state.hidden = true;
      widget.dataset.loaded = "1";
    }).catch(function (error) {
      state.textContent = T.error + " (" + error.message + ") ";
      var retry = el("button", { "class": "button", type: "button", text: T.retry });
      retry.addEventListener("click", function () { load(widget); });
      state.appendChild(retry);
    }).then(function () { widget.removeAttribute("aria-busy"); });
  }

  function iso(d) { return d.toISOString().slice(0, 10); }
  function preset() {
    var today = new Date(form.dataset.today + "T00:00:00Z"), start = new Date(today);
    var choice = form.preset.value;
    if (choice === "custom") { return; }
    if (choice === "7") { start.setUTCDate(start.getUTCDate() - 6); }
    if (choice === "30") { start.setUTCDate(start.getUTCDate() - 29); }
    if (choice === "month") { start.setUTCDate(1); }
    if (choice === "365") { start.setUTCDate(start.getUTCDate() - 364); }
    if (choice === "year") { start.setUTCMonth(0, 1); }
    form.start.value = iso(start); form.end.value = iso(today);
  }
  // as service.Period.previous: "This year" against the same dates a year earlier (29 February
  // as the 28th), any other range against the days just before it
  function yearEarlier(d) {
    var y = d.getUTCFullYear() - 1, m = d.getUTCMonth(), day = d.getUTCDate();
    return new Date(Date.UTC(y, m, m === 1 && day === 29 ? 28 : day));
  }
  function compare() {
    var start = new Date(form.start.value + "T00:00:00Z"), end = new Date(form.end.value + "T00:00:00Z");
    var days = Math.round((end - start) / 86400000) + 1;
    var pEnd = new Date(start); pEnd.setUTCDate(pEnd.getUTCDate() - 1);
    var pStart = new Date(pEnd); pStart.setUTCDate(pStart.getUTCDate() - days + 1);
    if (form.preset.value === "year") { pStart = yearEarlier(start); pEnd = yearEarlier(end); }
    document.getElementById("dash-compare").textContent = days > 0 ? T.compare.replace("{start}", day(iso(pStart))).replace("{end}", day(iso(pEnd))) : "";
  }
  function all() {
    compare();
    document.querySelectorAll(".widget").forEach(load);
  }

  form.preset.addEventListener("change", function () { preset(); if (form.preset.value !== "custom") { all(); } });
  [form.start, form.end].forEach(function (input) { input.addEventListener("change", function () { form.preset.value = "custom"; }); });
  form.addEventListener("submit", function (event) { event.preventDefault(); all(); });
  form.basis.addEventListener("change", function () {
    document.getElementById("dash-basis-bikri").hidden = form.basis.checked;
    document.getElementById("dash-basis-woocommerce").hidden = !form.basis.checked;
    reload(["sales", "amounts"]);
  });
  document.querySelectorAll(".dash-top").forEach(function (select) {
    select.addEventListener("change", function () { load(select.closest(".widget")); });
  });
  document.querySelectorAll(".dash-target-form").forEach(function (targetForm) {
    targetForm.addEventListener("submit", function (event) {
      event.preventDefault();
      send("POST", targetForm.dataset.url, new FormData(targetForm))
        .then(function () { load(targetForm.closest(".widget")); }, alertError);
    });
  });
  document.querySelectorAll(".dash-cost-form").forEach(function (costForm) {
    var problem = costForm.querySelector(".dash-cost-error"), cancel = costForm.querySelector(".dash-cost-cancel");
    function reset() {
      costForm.elements.id.value = ""; costForm.elements.amount.value = ""; costForm.elements.note.value = "";
      cancel.hidden = true;
    }
    cancel.addEventListener("click", reset);
    costForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var id = costForm.elements.id.value, data = new FormData(costForm);
      data.delete("id");
      Array.prototype.forEach.call(costForm.querySelectorAll("[aria-invalid]"), function (f) { f.removeAttribute("aria-invalid"); });
      send(id ? "PUT" : "POST", costForm.dataset.url + (id ? "/" + id : ""), data).then(function () {
        problem.hidden = true; reset(); costsChanged();
      }, function (error) {
        var fields = Object.keys(error.details || {});
        fields.forEach(function (k) { if (costForm.elements[k]) { costForm.elements[k].setAttribute("aria-invalid", "true"); } });
        problem.textContent = error.message + (fields.length ? " " + fields.map(function (k) {
          var input = costForm.elements[k], caption = input && costForm.querySelector('label[for="' + input.id + '"]');
          return (caption ? caption.textContent : k) + ": " + [].concat(error.details[k]).join(" ");
        }).join("; ") : "");
        problem.hidden = false;
      });
    });
  });
  preset();
  if (document.readyState === "complete") { all(); } else { window.addEventListener("load", all); }
})();
