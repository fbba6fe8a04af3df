"""The dashboard's widgets (D1–D11), each answered from the daily rollups wherever a rollup can
answer (recent orders and the purchase-frequency histogram read orders/customers by index).

Ranges are Dhaka calendar days, inclusive. Every widget also answers for a comparison period:
the previous period of the same length, or the same dates a year earlier ("This year"). Money leaves here as Decimal; the views turn it into
strings and drop it for roles that may not see revenue.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, or_, select, text, type_coerce, union_all

from backend.dashboard.models import (
    DayCustomers, DayCycle, DayPaid, DayProduct, DaySource, DayStatus, MonthProduct, SalesTarget,
)
from backend.dashboard import adspend
from backend.dashboard.rollups import NOT_SALES
from backend.database import on_postgresql
from backend.extensions import db
from backend.money import Money
from backend.orders.models import Customer, Order, OrderItem, Product
from backend.clock import dhaka_midnight_utc, dhaka_today, utcnow

ZERO = Decimal("0.00")
TOP_CHOICES = (5, 10, 20, 50)
# What the sales figures count: Bikri's own basis (orders by the day placed, sales only, refunds
# taken off their order) or WooCommerce Analytics' (by the day paid, refunded orders in, refunds
# on their own days: DayPaid), for an owner reconciling the two.
BASES = ("bikri", "woocommerce")
# utm_medium values that mean a paid ad click (Google's and Meta's usual tags)
PAID_MEDIA = frozenset({"cpc", "ppc", "paid", "paidsocial", "paid_social", "paid-social", "cpm", "cpv", "display",
                        "ads", "ad", "sponsored", "facebook_ads", "google_ads"})
# utm_source spellings of the same network
NETWORKS = {"facebook": "facebook", "fb": "facebook", "m.facebook.com": "facebook", "l.facebook.com": "facebook",
            "instagram": "facebook", "ig": "facebook", "meta": "facebook", "google": "google", "adwords": "google",
            "youtube": "google", "tiktok": "tiktok", "bing": "microsoft"}
# histogram bars for cycle times (hours, upper bound exclusive)
CYCLE_BARS = ((24, "<1d"), (48, "1-2d"), (72, "2-3d"), (120, "3-5d"), (168, "5-7d"), (336, "7-14d"), (None, "14d+"))


# what a period is compared with: the days just before it, or the same dates a year earlier
COMPARISONS = ("previous", "year")


def year_earlier(day: date) -> date:
    return day.replace(year=day.year - 1, day=28 if (day.month, day.day) == (2, 29) else day.day)


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    compare: str = "previous"  # COMPARISONS

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> "Period":
        if self.compare == "year":
            return Period(year_earlier(self.start), year_earlier(self.end))
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


def serial_reads() -> None:
    """No parallel workers for the rest of this transaction (PostgreSQL). A widget reads a few
    thousand rollup rows, yet the planner sent a year's top products to two workers whose
    start-up on a busy 2-core server took 25-45 ms of a 30-50 ms query (EXPLAIN ANALYZE at
    1,000,000 orders); the same query alone runs in under 10 ms."""
    if on_postgresql():
        db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))


def _money_sum(column):
    # SUM of whole ten-thousandths, read back through Money: exact on SQLite and PostgreSQL
    return type_coerce(func.coalesce(func.sum(column), 0), Money)


def _sales():
    return DayStatus.status.not_in(NOT_SALES)


def _in(model, site_id, start, end):
    return and_(model.site_id == site_id, model.day >= start, model.day <= end)


def _in_both(model, site_id, period):
    """The period and its comparison period. Rows are read from the comparison's start to the
    period's end and told apart by `day >= period.start` (`_split`, `_in_period`), so the days
    between the two, when they do not meet (a year earlier), are left out here."""
    previous = period.previous
    where = _in(model, site_id, previous.start, period.end)
    if previous.end + timedelta(days=1) < period.start:
        where = and_(where, or_(model.day <= previous.end, model.day >= period.start))
    return where


def _in_period(model, period):
    # grouped by its label, so PostgreSQL sees one expression (two bound copies would differ)
    return (model.day >= period.start).label("in_period")


def bucket_of(day: date, group: str) -> date:
    if group == "month":
        return day.replace(day=1)
    if group == "week":
        return day - timedelta(days=day.weekday())  # weeks start on Monday (ISO)
    return day


def auto_group(period: Period) -> str:
    return "day" if period.days <= 62 else "week" if period.days <= 190 else "month"


def _buckets(period: Period, group: str) -> list[date]:
    seen, day = [], period.start
    while day <= period.end:
        bucket = bucket_of(day, group)
        if not seen or seen[-1] != bucket:
            seen.append(bucket)
        day += timedelta(days=1)
    return seen


def _split(rows, period: Period):
    """Rows with a .day → (rows in period, rows in the previous period)."""
    current, previous = [], []
    for row in rows:
        (current if row.day >= period.start else previous).append(row)
    return current, previous


# --- D1 sales performance, D7 sales and discount ---------------------------------------------

def _status_days(site_id, period: Period, *, from_day: date | None = None):
    """Sales by day from `from_day` (default: the previous period's start) to the period's end."""
    return db.session.execute(
        select(DayStatus.day, func.sum(DayStatus.orders).label("orders"),
               _money_sum(DayStatus.total).label("total"), _money_sum(DayStatus.subtotal).label("subtotal"),
               _money_sum(DayStatus.discount).label("discount"), _money_sum(DayStatus.shipping).label("shipping"),
               _money_sum(DayStatus.refunded).label("refunded"),
               _money_sum(DayStatus.delivered_revenue).label("delivered_revenue"))
        .where(_in(DayStatus, site_id, from_day, period.end) if from_day else _in_both(DayStatus, site_id, period), _sales())
        .group_by(DayStatus.day)).all()


def _paid_days(site_id, period: Period):
    """WooCommerce's basis, shaped like `_status_days`: orders and money by the day paid, refunds
    by the day they were made."""
    return db.session.execute(
        select(DayPaid.day, func.sum(DayPaid.orders).label("orders"),
               _money_sum(DayPaid.total).label("total"), _money_sum(DayPaid.subtotal).label("subtotal"),
               _money_sum(DayPaid.discount).label("discount"), _money_sum(DayPaid.shipping).label("shipping"),
               _money_sum(DayPaid.refunded).label("refunded"))
        .where(_in_both(DayPaid, site_id, period))
        .group_by(DayPaid.day)).all()


def _sales_days(site_id, period: Period, basis: str):
    return _paid_days(site_id, period) if basis == "woocommerce" else _status_days(site_id, period)


def _totals(rows) -> dict:
    totals = {"orders": 0, "revenue": ZERO, "subtotal": ZERO, "discount": ZERO, "shipping": ZERO, "refunded": ZERO}
    for row in rows:
        totals["orders"] += row.orders
        totals["revenue"] += row.total - row.refunded
        totals["subtotal"] += row.subtotal
        totals["discount"] += row.discount
        totals["shipping"] += row.shipping
        totals["refunded"] += row.refunded
    return totals


def sales(site_id: int, period: Period, group: str, basis: str = "bikri") -> dict:
    """D1: orders that count as sales and their revenue (total − refunds) by day/week/month."""
    rows = _sales_days(site_id, period, basis)
    current, previous = _split(rows, period)
    buckets = _buckets(period, group)
    orders, revenue = dict.fromkeys(buckets, 0), dict.fromkeys(buckets, ZERO)
    for row in current:
        bucket = bucket_of(row.day, group)
        orders[bucket] += row.orders
        revenue[bucket] += row.total - row.refunded
    now, before = _totals(current), _totals(previous)
    return {"group": group, "labels": [b.isoformat() for b in buckets], "orders": list(orders.values()),
            "revenue": list(revenue.values()), "empty": not any(orders.values()) and not any(revenue.values()),
            "current": {"orders": now["orders"], "revenue": now["revenue"]},
            "previous": {"orders": before["orders"], "revenue": before["revenue"]}}


def amounts(site_id: int, period: Period, group: str, basis: str = "bikri") -> dict:
    """D7: sales before discounts (items), discounts, shipping, refunds and net revenue."""
    rows = _sales_days(site_id, period, basis)
    current, previous = _split(rows, period)
    buckets = _buckets(period, group)
    subtotal, discount = dict.fromkeys(buckets, ZERO), dict.fromkeys(buckets, ZERO)
    for row in current:
        subtotal[bucket_of(row.day, group)] += row.subtotal
        discount[bucket_of(row.day, group)] += row.discount
    now = _totals(current)
    return {"group": group, "labels": [b.isoformat() for b in buckets], "subtotal": list(subtotal.values()),
            "discount": list(discount.values()), "current": now, "previous": _totals(previous),
            "empty": not any(now.values())}


# --- D4 order performance --------------------------------------------------------------------

def statuses(site_id: int, period: Period, group: str) -> dict:
    """D4: orders by status (every status, sales or not) over time."""
    rows = db.session.execute(
        select(DayStatus.day, DayStatus.status, func.sum(DayStatus.orders).label("orders"))
        .where(_in_both(DayStatus, site_id, period))
        .group_by(DayStatus.day, DayStatus.status)).all()
    buckets = _buckets(period, group)
    series = defaultdict(lambda: dict.fromkeys(buckets, 0))
    current, previous = defaultdict(int), defaultdict(int)
    for row in rows:
        if row.day >= period.start:
            series[row.status][bucket_of(row.day, group)] += row.orders
            current[row.status] += row.orders
        else:
            previous[row.status] += row.orders
    order = sorted((s for s in set(current) | set(previous) if current[s] or previous[s]), key=lambda s: (-current[s], s))
    return {"group": group, "labels": [b.isoformat() for b in buckets], "empty": not any(current.values()),
            "statuses": [{"status": s, "orders": list(series[s].values()) if s in series else [0] * len(buckets),
                          "current": current[s], "previous": previous[s]} for s in order]}


# --- D2 order sources, D11 ad performance ----------------------------------------------------

def _source_rows(site_id, period: Period):
    keys = (DaySource.source_type, DaySource.utm_source, DaySource.utm_medium, DaySource.utm_campaign,
            DaySource.referrer_host, DaySource.created_via, DaySource.click_source)
    now = _in_period(DaySource, period)
    return db.session.execute(
        select(now, *keys, func.sum(DaySource.orders).label("orders"), _money_sum(DaySource.revenue).label("revenue"),
               func.sum(DaySource.delivered_orders).label("delivered_orders"),
               _money_sum(DaySource.delivered_revenue).label("delivered_revenue"))
        .where(_in_both(DaySource, site_id, period))
        .group_by(now, *keys)).all()


def _rank(groups: dict, limit: int | None = None) -> list[dict]:
    # rows a correction brought back to zero are not sources
    ranked = sorted(((k, v) for k, v in groups.items() if v["orders"] or v["previous_orders"]),
                    key=lambda kv: (-kv[1]["orders"], -kv[1]["revenue"], kv[0]))
    return [{"key": key, **value} for key, value in ranked[:limit]]


def _tally(groups, key, row, now: bool):
    entry = groups.setdefault(key, {"orders": 0, "revenue": ZERO, "previous_orders": 0, "previous_revenue": ZERO})
    if now:
        entry["orders"] += row.orders
        entry["revenue"] += row.revenue
    else:
        entry["previous_orders"] += row.orders
        entry["previous_revenue"] += row.revenue


def sources(site_id: int, period: Period) -> dict:
    """D2: sales by attribution source type, UTM source/medium/campaign, referrer and how the
    order was created (checkout, admin, Bikri's manual entry ...)."""
    by_type, by_utm, by_referrer, by_via = {}, {}, {}, {}
    for row in _source_rows(site_id, period):
        _tally(by_type, row.source_type, row, row.in_period)
        if row.utm_source or row.utm_medium or row.utm_campaign:
            _tally(by_utm, " / ".join((row.utm_source or "-", row.utm_medium or "-", row.utm_campaign or "-")), row, row.in_period)
        if row.referrer_host:
            _tally(by_referrer, row.referrer_host, row, row.in_period)
        _tally(by_via, row.created_via, row, row.in_period)
    return {"source_types": _rank(by_type), "utm": _rank(by_utm, 20), "referrers": _rank(by_referrer, 10),
            "created_via": _rank(by_via), "empty": not any(v["orders"] for v in by_type.values())}


def network_of(utm_source: str, click_source: str) -> str:
    if click_source:
        return click_source
    source = (utm_source or "").strip().lower()
    return NETWORKS.get(source, source)


def is_paid(utm_medium: str, click_source: str) -> bool:
    return bool(click_source) or (utm_medium or "").strip().lower() in PAID_MEDIA


def ads(site_id: int, period: Period) -> dict:
    """D11: sales from paid ads (a paid utm_medium, or an ad click id captured at checkout),
    by network and by campaign."""
    by_network, by_campaign = {}, {}
    names, delivered = {}, {}
    for row in _source_rows(site_id, period):
        if not is_paid(row.utm_medium, row.click_source):
            continue
        network = network_of(row.utm_source, row.click_source)
        _tally(by_network, network, row, row.in_period)
        key = f"{network} / {row.utm_campaign or '-'}"
        names[key] = (row.utm_campaign or "").strip().lower()
        _tally(by_campaign, key, row, row.in_period)
        if row.in_period:  # orders placed in the range whose parcel was delivered (DaySource keeps them)
            orders, revenue = delivered.get(key, (0, ZERO))
            delivered[key] = (orders + row.delivered_orders, revenue + row.delivered_revenue)
    spend = adspend.spend_in(site_id, period.start, period.end)
    campaigns = _rank(by_campaign, 20)
    matched = set()
    for entry in campaigns:
        name = names.get(entry["key"], "")
        entry["delivered_orders"], entry["delivered_revenue"] = delivered.get(entry["key"], (0, ZERO))
        # spend is entered per campaign name: it goes to the first (largest) row with that name
        entry["spend"] = spend.get(name, ZERO) if name and name not in matched else ZERO
        matched.add(name)
        entry["roas"] = _ratio(entry["revenue"], entry["spend"])
        entry["delivered_roas"] = _ratio(entry["delivered_revenue"], entry["spend"])
    for name, amount in sorted(spend.items()):
        if name not in matched and amount:
            campaigns.append({"key": f"- / {name}", "orders": 0, "revenue": ZERO, "previous_orders": 0,
                              "previous_revenue": ZERO, "delivered_orders": 0, "delivered_revenue": ZERO,
                              "spend": amount, "roas": "0.00", "delivered_roas": "0.00"})
    total_spend = sum(spend.values(), ZERO)
    return {"networks": _rank(by_network), "campaigns": campaigns, "spend": total_spend,
            "empty": not any(v["orders"] for v in by_network.values()) and not total_spend}


def _ratio(revenue, spend) -> str | None:
    """Return on ad spend (revenue ÷ spend), two decimals; None without spend."""
    if not spend:
        return None
    return str((Decimal(revenue) / Decimal(spend)).quantize(Decimal("0.01")))


# --- D3 order cycle time ---------------------------------------------------------------------

def _median(histogram: dict) -> int | None:
    count = sum(histogram.values())
    if not count:
        return None
    seen = 0
    for hours in sorted(histogram):
        seen += histogram[hours]
        if seen * 2 >= count:
            return hours
    return None  # pragma: no cover


def cycle(site_id: int, period: Period) -> dict:
    """D3: for orders placed in the range, hours from placed to shipped, placed to delivered
    and shipped to delivered: median (to the hour) and a distribution."""
    now = _in_period(DayCycle, period)
    rows = db.session.execute(
        select(now, DayCycle.stage, DayCycle.hours, func.sum(DayCycle.orders).label("orders"))
        .where(_in_both(DayCycle, site_id, period))
        .group_by(now, DayCycle.stage, DayCycle.hours)).all()
    histograms = {(now, stage): defaultdict(int) for now in (True, False) for stage in ("shipped", "delivered", "transit")}
    for row in rows:
        histograms[(bool(row.in_period), row.stage)][row.hours] += row.orders
    stages = []
    for stage in ("shipped", "delivered", "transit"):
        histogram = histograms[(True, stage)]
        bars = [0] * len(CYCLE_BARS)
        for hours, orders in histogram.items():
            bars[next(i for i, (limit, _l) in enumerate(CYCLE_BARS) if limit is None or hours < limit)] += orders
        stages.append({"stage": stage, "orders": sum(histogram.values()), "median_hours": _median(histogram),
                       "previous_median_hours": _median(histograms[(False, stage)]), "bars": bars})
    return {"bars": [label for _limit, label in CYCLE_BARS], "stages": stages,
            "empty": not any(stage["orders"] for stage in stages)}


# --- D6 top products -------------------------------------------------------------------------

def _product_rows(site_id: int, period: Period, ids=None):
    """DayProduct and MonthProduct rows (with a sign) whose sum is exactly the period: whole
    calendar months from the monthly rollup; a month the period covers in part either as its days
    inside, or — when that reads fewer days — as the whole month less its days outside. Days after
    today hold no rows, so a range ending today reads its last month whole, for free: a year's top
    products reads ~13 × products month rows and at most half a month of days."""
    today = dhaka_today()
    months, days = [], []  # months read whole; (start, end, sign) day ranges
    month = month_of(period.start)
    while month.start <= period.end:
        inside = Period(max(period.start, month.start), min(period.end, month.end))
        before, after = Period(month.start, inside.start - timedelta(days=1)), Period(inside.end + timedelta(days=1), month.end)
        with_data = lambda p: max(0, (min(p.end, today) - p.start).days + 1)  # noqa: E731
        if with_data(before) + with_data(after) < with_data(inside) or inside == month:
            months.append(month.start)
            days += [(p.start, p.end, -1) for p in (before, after) if p.start <= p.end]
        else:
            days.append((inside.start, inside.end, 1))
        month = month_of(month.end + timedelta(days=1))
    only = lambda m: [m.product_id.in_(ids)] if ids is not None else []  # noqa: E731
    # negated in SQL (a literal −1 times revenue would be bound as Money, i.e. scaled)
    signed = lambda m, sign: (m.product_id, *[(c if sign > 0 else -c).label(c.key)  # noqa: E731
                                              for c in (m.orders, m.quantity, m.revenue)])
    parts = [select(*signed(MonthProduct, 1)).where(
        MonthProduct.site_id == site_id, MonthProduct.month >= months[0], MonthProduct.month <= months[-1],
        *only(MonthProduct))] if months else []
    parts += [select(*signed(DayProduct, sign)).where(_in(DayProduct, site_id, start, end), *only(DayProduct))
              for start, end, sign in days]
    return union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()


def products(site_id: int, period: Period, limit: int) -> dict:
    """D6: best sellers by revenue (then units), with the previous period's figures."""
    rows = _product_rows(site_id, period)
    top = db.session.execute(
        select(rows.c.product_id, func.sum(rows.c.quantity).label("quantity"),
               func.sum(rows.c.orders).label("orders"), _money_sum(rows.c.revenue).label("revenue"))
        .group_by(rows.c.product_id)
        .having(func.sum(rows.c.orders) > 0)  # rows a correction brought back to zero
        .order_by(func.sum(rows.c.revenue).desc(), func.sum(rows.c.quantity).desc(), rows.c.product_id)
        .limit(limit)).all()
    ids = [row.product_id for row in top]
    previous, names = {}, {}
    if ids:
        rows = _product_rows(site_id, period.previous, ids)
        previous = {row.product_id: row for row in db.session.execute(
            select(rows.c.product_id, func.sum(rows.c.quantity).label("quantity"),
                   _money_sum(rows.c.revenue).label("revenue"))
            .group_by(rows.c.product_id)).all()}
        names = {row.wc_id: row.name for row in db.session.execute(
            select(Product.wc_id, Product.name).where(Product.site_id == site_id, Product.wc_id.in_(ids))).all()}
    for product_id in ids:
        if product_id not in names:
            # not synced as a product (or deleted): the name on its latest order line
            names[product_id] = db.session.execute(
                select(OrderItem.name).where(OrderItem.site_id == site_id, OrderItem.product_id == product_id)
                .order_by(OrderItem.id.desc()).limit(1)).scalar()
    return {"limit": limit, "products": [
        {"product_id": row.product_id, "name": names.get(row.product_id) or f"#{row.product_id}",
         "quantity": row.quantity, "orders": row.orders, "revenue": row.revenue,
         "previous_quantity": previous[row.product_id].quantity if row.product_id in previous else 0,
         "previous_revenue": previous[row.product_id].revenue if row.product_id in previous else ZERO}
        for row in top]}


# --- D9 returning customers, D10 customer insights -------------------------------------------

def _customer_counts(site_id, period: Period) -> dict:
    now = _in_period(DayStatus, period)
    orders = {bool(k): v for k, v in db.session.execute(
        select(now, func.sum(DayStatus.customer_orders))
        .where(_in_both(DayStatus, site_id, period)).group_by(now)).all()}
    now = _in_period(DayCustomers, period)
    new = {bool(k): v for k, v in db.session.execute(
        select(now, func.sum(DayCustomers.new_customers))
        .where(_in_both(DayCustomers, site_id, period)).group_by(now)).all()}
    out = {}
    for now, name in ((True, "current"), (False, "previous")):
        customer_orders, new_customers = int(orders.get(now) or 0), int(new.get(now) or 0)
        # every new customer's first order is one of the range's orders; the rest are repeat orders
        returning = customer_orders - new_customers
        out[name] = {"customer_orders": customer_orders, "new_customers": new_customers, "returning_orders": returning,
                     "returning_share": round(returning / customer_orders, 4) if customer_orders else None}
    return out


def returning(site_id: int, period: Period) -> dict:
    """D9: orders (of any status but drafts and trash) from customers recognised by phone who
    had ordered before, and their share of those customers' orders."""
    counts = _customer_counts(site_id, period)
    return {**counts, "empty": not counts["current"]["customer_orders"]}


FREQUENCY_BARS = ((1, "1"), (2, "2"), (3, "3"), (5, "4-5"), (None, "6+"))


def customers(site_id: int, period: Period) -> dict:
    """D10: new customers and repeat orders in the range, average order value, and how often
    the shop's customers buy (all-time orders per customer)."""
    counts = _customer_counts(site_id, period)
    rows = _status_days(site_id, period)
    current, previous = _split(rows, period)
    for name, part in (("current", current), ("previous", previous)):
        totals = _totals(part)
        counts[name]["orders"] = totals["orders"]
        counts[name]["average_order_value"] = (totals["revenue"] / totals["orders"]).quantize(Decimal("0.01")) \
            if totals["orders"] else None
    bars = [0] * len(FREQUENCY_BARS)
    for order_count, how_many in db.session.execute(
            select(Customer.order_count, func.count()).where(Customer.site_id == site_id, Customer.order_count > 0)
            .group_by(Customer.order_count)):
        bars[next(i for i, (limit, _l) in enumerate(FREQUENCY_BARS) if limit is None or order_count <= limit)] += how_many
    # the histogram counts the shop's customers of all time, not the range's
    return {**counts, "frequency": {"labels": [label for _limit, label in FREQUENCY_BARS], "customers": bars,
                                    "empty": not any(bars)}}


# --- D5 recent orders ------------------------------------------------------------------------

def recent(site_id: int, limit: int = 10) -> list:
    return db.session.execute(
        select(Order.wc_id, Order.number, Order.status, Order.total, Order.billing_name, Order.date_created_gmt)
        .where(Order.site_id == site_id, Order.excluded_from_sales.is_(False))
        .order_by(Order.date_created_gmt.desc(), Order.id.desc()).limit(limit)).all()


# --- D8 sales target -------------------------------------------------------------------------

def month_of(day: date) -> Period:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(first, following - timedelta(days=1))


def target(site_id: int, today: date | None = None) -> dict:
    """D8: this Dhaka month's target, revenue so far (today included), and the revenue needed
    per remaining day (today included) to reach it."""
    today = today or dhaka_today()
    month = month_of(today)
    row = db.session.get(SalesTarget, (site_id, month.start))
    so_far = _totals(_status_days(site_id, Period(month.start, today), from_day=month.start))["revenue"]
    days_left = (month.end - today).days + 1
    days_gone = (today - month.start).days + 1
    answer = {"month": month.start.isoformat(), "days_in_month": month.days, "days_left": days_left,
              "revenue": so_far, "daily_average": (so_far / days_gone).quantize(Decimal("0.01")),
              "target": None, "progress": None, "remaining": None, "daily_needed": None}
    if row is not None:
        remaining = max(ZERO, row.amount - so_far)
        answer.update(target=row.amount, remaining=remaining,
                      progress=round(float(so_far / row.amount), 4) if row.amount else None,
                      daily_needed=(remaining / days_left).quantize(Decimal("0.01")))
    return answer


def set_target(site_id: int, amount: Decimal, set_by: str, today: date | None = None) -> SalesTarget:
    month = month_of(today or dhaka_today()).start
    row = db.session.get(SalesTarget, (site_id, month))
    if row is None:
        row = SalesTarget(site_id=site_id, month=month)
        db.session.add(row)
    row.amount, row.set_by, row.updated_at = amount, set_by[:100], utcnow()
    db.session.flush()
    return row
