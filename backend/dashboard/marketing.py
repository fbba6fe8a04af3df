"""D2 order sources and D11 ad performance: sales by attribution (source type, UTM, referrer,
how the order was created), and of those the paid ads by network and campaign with their spend
and return on ad spend."""
from decimal import Decimal

from sqlalchemy import func, select

from backend.dashboard import adspend
from backend.dashboard.models import DaySource
from backend.dashboard.periods import Period, is_in_period, money_sum, rows_in_both
from backend.extensions import db

ZERO = Decimal("0.00")
# utm_medium values that mean a paid ad click (Google's and Meta's usual tags)
PAID_MEDIA = frozenset({"cpc", "ppc", "paid", "paidsocial", "paid_social", "paid-social", "cpm", "cpv", "display",
                        "ads", "ad", "sponsored", "facebook_ads", "google_ads"})
# utm_source spellings of the same network
NETWORKS = {"facebook": "facebook", "fb": "facebook", "m.facebook.com": "facebook", "l.facebook.com": "facebook",
            "instagram": "facebook", "ig": "facebook", "meta": "facebook", "google": "google", "adwords": "google",
            "youtube": "google", "tiktok": "tiktok", "bing": "microsoft"}


def _source_rows(site_id, period: Period):
    keys = (DaySource.source_type, DaySource.utm_source, DaySource.utm_medium, DaySource.utm_campaign,
            DaySource.referrer_host, DaySource.created_via, DaySource.click_source)
    now = is_in_period(DaySource, period)
    return db.session.execute(
        select(now, *keys, func.sum(DaySource.orders).label("orders"), money_sum(DaySource.revenue).label("revenue"),
               func.sum(DaySource.delivered_orders).label("delivered_orders"),
               money_sum(DaySource.delivered_revenue).label("delivered_revenue"))
        .where(rows_in_both(DaySource, site_id, period))
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
        entry["roas"] = roas(entry["revenue"], entry["spend"])
        entry["delivered_roas"] = roas(entry["delivered_revenue"], entry["spend"])
    for name, amount in sorted(spend.items()):
        if name not in matched and amount:
            campaigns.append({"key": f"- / {name}", "orders": 0, "revenue": ZERO, "previous_orders": 0,
                              "previous_revenue": ZERO, "delivered_orders": 0, "delivered_revenue": ZERO,
                              "spend": amount, "roas": "0.00", "delivered_roas": "0.00"})
    total_spend = sum(spend.values(), ZERO)
    return {"networks": _rank(by_network), "campaigns": campaigns, "spend": total_spend,
            "empty": not any(v["orders"] for v in by_network.values()) and not total_spend}


def roas(revenue, spend) -> str | None:
    """Return on ad spend (revenue ÷ spend), two decimals; None without spend."""
    if not spend:
        return None
    return str((Decimal(revenue) / Decimal(spend)).quantize(Decimal("0.01")))

