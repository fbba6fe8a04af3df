"""The dashboard page (embed `dashboard`) and one JSON endpoint per widget, so that each widget
loads, fails and retries on its own and a slow one never holds up the page.

Roles: everyone with `view_dashboard` sees counts; money needs `view_revenue`. Without it the
answer carries `"money_hidden": true` and no amounts, and the widget says why.
"""
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, jsonify, request
from flask_babel import gettext as _, lazy_gettext as _l
from marshmallow import ValidationError

from backend.dashboard import costs, service
from backend.dashboard.models import COST_CATEGORIES
from backend.dashboard.schemas import CostSchema
from backend.desk.service import team_figures
from backend.embed.pages import EmbedPage, register_page
from backend.embed.routes import require_user
from backend.sync.models import SyncStatus
from backend.sync.service import recent_event_failure, status_of
from backend.clock import dhaka_today, iso

blp = Blueprint("dashboard_embed", __name__, url_prefix="/embed/dashboard", template_folder="templates",
                static_folder="static")

MAX_RANGE_DAYS = 366
MAX_TARGET = Decimal("1000000000")


def _page_context(user):
    return {"today": dhaka_today(), "top_choices": service.TOP_CHOICES, "cost_categories": COST_CATEGORIES,
            "first_sync": _first_sync(user.site), "sync_problem": _sync_problem(user.site)}


def _first_sync(site):
    """The first sync's progress while it runs: its orders reach the figures when it finishes."""
    backfill = status_of(site)["backfill"]
    return backfill if backfill["status"] in (SyncStatus.QUEUED, SyncStatus.RUNNING) else None


def _sync_problem(site):
    """An order change from WooCommerce the service could not store this week: said at the top,
    since the plugin was told "accepted" and no longer shows it."""
    return recent_event_failure(site.id)


register_page(EmbedPage("dashboard", _l("Dashboard"), permission="view_dashboard", template="dashboard/page.html",
                        context=_page_context))


class BadRange(ValueError):
    pass


def _period() -> service.Period:
    today = dhaka_today()
    try:
        start = date.fromisoformat(request.args.get("start") or (today - timedelta(days=29)).isoformat())
        end = date.fromisoformat(request.args.get("end") or today.isoformat())
    except ValueError:
        raise BadRange(_("Dates look like 2026-03-01."))
    if start > end:
        raise BadRange(_("The start date is after the end date."))
    if (end - start).days >= MAX_RANGE_DAYS:
        raise BadRange(_("Choose at most a year."))
    # "This year" is compared with the same dates a year earlier; any other range with the days just before it
    compare = request.args.get("compare") or "previous"
    if compare not in service.COMPARISONS:
        raise BadRange(_("Compare with the period just before or with the same dates a year earlier."))
    return service.Period(start, end, compare)


def _group(period):
    group = request.args.get("group") or "auto"
    if group == "auto":
        return service.auto_group(period)
    if group not in ("day", "week", "month"):
        raise BadRange(_("Group by day, week or month."))
    return group


def _basis():
    """What the sales figures count (service.BASES); `basis=woocommerce` counts like WooCommerce Analytics."""
    basis = request.args.get("basis") or "bikri"
    if basis not in service.BASES:
        raise BadRange(_("Count either Bikri's way or like WooCommerce Analytics."))
    return basis


def _plain(value):
    """Decimals as strings with two places (money never travels as a float)."""
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.01')):f}"
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


MONEY_KEYS = frozenset({"revenue", "previous_revenue", "subtotal", "discount", "shipping", "refunded",
                        "average_order_value", "total", "cod_booked", "cod_expected", "cod_collected", "cod_pending",
                        "cod_lost", "spend", "delivered_revenue", "roas", "delivered_roas"})


def _without_money(value):
    if isinstance(value, dict):
        return {k: _without_money(v) for k, v in value.items() if k not in MONEY_KEYS}
    if isinstance(value, list):
        return [_without_money(v) for v in value]
    return value


def _answer(user, data, money=True):
    if money and not user.can("view_revenue"):
        return jsonify({**_plain(_without_money(data)), "money_hidden": True})
    return jsonify({**_plain(data), "money_hidden": False})


def _error(message, status=422, details=None):
    return jsonify({"error": {"code": "validation_error", "message": message, "details": details or {}}}), status


def _widget(compute, money=True, grouped=False, based=False, revenue_only=False):
    """based: the widget counts sales on either basis (service.BASES), chosen by `basis`;
    revenue_only: the widget is all money, only `money_hidden` for a user who may not see revenue."""
    user = require_user("view_dashboard")
    if revenue_only and not user.can("view_revenue"):
        return jsonify({"money_hidden": True})
    try:
        period = _period()
        args = (_group(period),) if grouped else ()
        basis = _basis() if based else None
    except BadRange as error:
        return _error(str(error))
    service.serial_reads()
    data = compute(user.site.id, period, *args, basis) if based else compute(user.site.id, period, *args)
    return _answer(user, {"start": period.start.isoformat(), "end": period.end.isoformat(),
                          "previous_start": period.previous.start.isoformat(),
                          "previous_end": period.previous.end.isoformat(),
                          **({"basis": basis} if based else {}), **data}, money)


# The widgets `_widget` answers as they are: GET /<name>.json (endpoint dashboard_embed.<name>),
# the function computing it and `_widget`'s options.
WIDGETS = {
    "sales": (service.sales, {"grouped": True, "based": True}),
    "sources": (service.sources, {}),
    "cycle": (service.cycle, {"money": False}),
    "statuses": (service.statuses, {"money": False, "grouped": True}),
    "amounts": (service.amounts, {"grouped": True, "based": True, "revenue_only": True}),
    "returning": (service.returning, {"money": False}),
    "customers": (service.customers, {}),
    "ads": (service.ads, {}),
    # profit and cash (D12)
    "profit": (costs.profit, {"revenue_only": True}),
    "cash": (costs.cash, {}),
}


def _widget_view(name, compute, options):
    def view():
        return _widget(compute, **options)
    # named as if written out (`def sales():`): the endpoint's name, and the one the rate limiter keys on
    view.__name__ = view.__qualname__ = name
    return view


for name, (compute, options) in WIDGETS.items():
    blp.add_url_rule(f"/{name}.json", view_func=_widget_view(name, compute, options))


@blp.get("/products.json")
def products():
    try:
        limit = int(request.args.get("limit") or 10)
    except ValueError:
        limit = 0
    if limit not in service.TOP_CHOICES:
        require_user("view_dashboard")
        return _error(_("Show 5, 10, 20 or 50 products."))
    return _widget(lambda site_id, period: service.products(site_id, period, limit))


@blp.get("/recent.json")
def recent():
    user = require_user("view_dashboard")
    rows = service.recent(user.site.id)
    # the order desk opens an order from its WooCommerce id
    desk = user.wp_page_url("bikri-orders")
    return _answer(user, {"orders": [
        {"number": row.number, "status": row.status, "total": row.total, "name": row.billing_name or "",
         "created": iso(row.date_created_gmt), "url": f"{desk}&order={row.wc_id}"} for row in rows]})


@blp.get("/target.json")
def target():
    user = require_user("view_dashboard")
    if not user.can("view_revenue"):
        return jsonify({"money_hidden": True, "can_set": False})
    return jsonify({**_plain(service.target(user.site.id)), "money_hidden": False,
                    "can_set": user.can("set_sales_target")})


@blp.post("/target")
def set_target():
    user = require_user("set_sales_target")
    raw = (request.form.get("amount") or (request.get_json(silent=True) or {}).get("amount") or "")
    try:
        amount = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        return _error(_("Enter the target in taka, like 500000."))
    if not amount.is_finite() or amount <= 0 or amount >= MAX_TARGET or amount != amount.quantize(Decimal("0.01")):
        return _error(_("Enter the target in taka, like 500000."))
    service.set_target(user.site.id, amount, user.display_name)
    return jsonify({**_plain(service.target(user.site.id)), "money_hidden": False, "can_set": True})


@blp.get("/team.json")
def team():
    """Each person's orders (T3): confirmed by phone by them; of the orders assigned to them, booked
    with a courier and delivered in the period. Counts, no money."""
    return _widget(lambda site_id, period: team_figures(site_id, period.start, period.end), money=False)


# --- D12 costs (profit and cash are in WIDGETS) ----------------------------------------------

@blp.get("/costs.json")
def list_costs():
    user = require_user("view_dashboard")
    if not user.can("view_revenue"):
        return jsonify({"money_hidden": True, "can_manage": False})
    try:
        period = _period()
    except BadRange as error:
        return _error(str(error))
    return jsonify({"costs": _plain([costs.cost_json(c) for c in costs.list_costs(user.site.id, period)]),
                    "money_hidden": False, "can_manage": user.can("manage_costs")})


def _cost_input():
    """The cost from a JSON body or a form; 422 naming each bad field."""
    body = request.get_json(silent=True)
    raw = body if isinstance(body, dict) else request.form.to_dict()
    try:
        return CostSchema().load(raw), None
    except ValidationError as error:
        return None, _error(_("Check the highlighted fields."), details=error.messages)


def _own_cost(user, cost_id):
    cost = costs.get_cost(user.site.id, cost_id)
    if cost is None:
        abort(404)
    return cost


@blp.post("/costs")
def create_cost():
    user = require_user("manage_costs")
    values, refused = _cost_input()
    if refused:
        return refused
    return jsonify(_plain(costs.cost_json(costs.save_cost(user.site.id, values, user.display_name)))), 201


@blp.put("/costs/<int:cost_id>")
def update_cost(cost_id):
    user = require_user("manage_costs")
    cost = _own_cost(user, cost_id)
    values, refused = _cost_input()
    if refused:
        return refused
    return jsonify(_plain(costs.cost_json(costs.save_cost(user.site.id, values, user.display_name, cost))))


@blp.delete("/costs/<int:cost_id>")
def delete_cost(cost_id):
    user = require_user("manage_costs")
    costs.delete_cost(_own_cost(user, cost_id))
    return "", 204
