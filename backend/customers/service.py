"""Customers (U1): the read model (stats.py), filters and segments (segments.py), campaigns
(campaigns.py); this module holds a customer's page and tags, and re-exports the rest."""
import json
from decimal import Decimal

from sqlalchemy import delete, select

from backend.customers import campaigns, segments, stats  # noqa: F401  (re-exported)
from backend.customers.models import CustomerStats, CustomerTag, SavedSegment
from backend.database import on_postgresql, upsert_insert
from backend.extensions import db
from backend.fraud.models import FraudCheck
from backend.orders.models import Customer, Order
from backend.sms.models import SmsMessage
from backend.clock import utcnow

RECENT = 20
CENTS = Decimal("0.01")
MAX_TAGS = 20


def customer_of(site_id: int, customer_id: int) -> CustomerStats | None:
    return db.session.execute(select(CustomerStats).where(CustomerStats.site_id == site_id,
                                                          CustomerStats.customer_id == customer_id)).scalar_one_or_none()


def customer_by_phone(site_id: int, phone: str) -> CustomerStats | None:
    return db.session.execute(select(CustomerStats).where(CustomerStats.site_id == site_id,
                                                          CustomerStats.phone == phone)).scalar_one_or_none()


def tags_of(site_id: int, customer_ids) -> dict[int, list[str]]:
    ids = list(customer_ids)
    found = {i: [] for i in ids}
    if ids:
        for customer_id, tag in db.session.execute(
                select(CustomerTag.customer_id, CustomerTag.tag).where(CustomerTag.site_id == site_id,
                                                                       CustomerTag.customer_id.in_(ids))
                .order_by(CustomerTag.tag)):
            found[customer_id].append(tag)
    return found


def average_order_value(row: CustomerStats):
    kept = row.orders - row.returned - row.cancelled
    return (row.spend / kept).quantize(CENTS) if kept > 0 else None


def customer_view(row: CustomerStats, tags=None) -> dict:
    finished = row.delivered + row.returned
    return {"id": row.customer_id, "phone": row.phone, "name": row.name, "wc_customer_id": row.wc_customer_id,
            "orders": row.orders, "delivered": row.delivered, "returned": row.returned, "cancelled": row.cancelled,
            "spend": row.spend, "average_order_value": average_order_value(row),
            "delivered_percent": row.delivered * 100 // finished if finished else None,
            "first_order_at": row.first_order_gmt, "last_order_at": row.last_order_gmt, "district": row.district,
            "segment": row.segment, "tags": tags if tags is not None else tags_of(row.site_id, [row.customer_id])[row.customer_id]}


def customer_page(row: CustomerStats) -> dict:
    """Everything the customer's page shows: the numbers, orders, fraud checks, SMS received."""
    orders = db.session.execute(select(Order).where(Order.site_id == row.site_id, Order.customer_id == row.customer_id,
                                                    Order.deleted_at.is_(None))
                                .order_by(Order.date_created_gmt.desc(), Order.id.desc()).limit(RECENT)).scalars().all()
    checks = db.session.execute(select(FraudCheck).where(FraudCheck.site_id == row.site_id, FraudCheck.phone == row.phone)
                                .order_by(FraudCheck.checked_at.desc()).limit(RECENT)).scalars().all()
    messages = db.session.execute(select(SmsMessage).where(SmsMessage.site_id == row.site_id, SmsMessage.phone == row.phone)
                                  .order_by(SmsMessage.created_at.desc(), SmsMessage.id.desc()).limit(RECENT)).scalars().all()
    return {**customer_view(row),
            "recent_orders": [{"wc_id": o.wc_id, "number": o.number, "status": o.status, "total": o.total,
                               "created_at": o.date_created_gmt} for o in orders],
            "fraud_checks": [{"checked_at": c.checked_at, "risk": c.risk, "delivered": c.delivered, "returned": c.returned,
                              "success_percent": c.success_percent, "checked_by": c.checked_by} for c in checks],
            "sms": [{"id": m.id, "created_at": m.created_at, "purpose": m.purpose, "status": m.status,
                     "content": m.content, "cost": m.cost} for m in messages]}


def set_tags(site_id: int, customer_id: int, tags: list[str]) -> list[str]:
    """Replace a customer's tags (trimmed, deduplicated, at most MAX_TAGS)."""
    wanted = sorted({t.strip()[:40] for t in tags if t and t.strip()})[:MAX_TAGS]
    if on_postgresql():  # the lock stats.refresh takes: the keys copied below are not overtaken by a refresh
        db.session.execute(select(Customer.id).where(Customer.id == customer_id).with_for_update())
    db.session.execute(delete(CustomerTag).where(CustomerTag.site_id == site_id, CustomerTag.customer_id == customer_id))
    if wanted:
        keys = db.session.execute(select(*(getattr(CustomerStats, k) for k in stats.SORT_KEYS))
                                  .where(CustomerStats.customer_id == customer_id)).first()
        keys = dict(zip(stats.SORT_KEYS, keys or (None,) * len(stats.SORT_KEYS)))
        db.session.execute(upsert_insert(CustomerTag).values(
            [{"site_id": site_id, "customer_id": customer_id, "tag": t, "created_at": utcnow(), **keys} for t in wanted])
            .on_conflict_do_nothing(index_elements=["customer_id", "tag"]))
    return wanted


def rebuild_all() -> int:
    """Every shop's customers from their orders (`flask customers rebuild`, once after the upgrade)."""
    sites = db.session.execute(select(Customer.site_id).distinct()).scalars().all()
    return sum(stats.rebuild_site(site_id) for site_id in sites)


rescore_segments = stats.rescore_segments
start_due_campaigns = campaigns.start_due_campaigns


def save_segment(site_id: int, name: str, filters: dict) -> SavedSegment:
    encoded = json.dumps({k: (str(v) if k.startswith("spend") else v) for k, v in filters.items()}, sort_keys=True)
    saved = db.session.execute(select(SavedSegment).where(SavedSegment.site_id == site_id, SavedSegment.name == name.strip())
                               ).scalar_one_or_none()
    if saved is None:
        saved = SavedSegment(site_id=site_id, name=name.strip(), filters=encoded, created_at=utcnow())
        db.session.add(saved)
    else:
        saved.filters = encoded
    db.session.flush()
    return saved


def delete_segment(site_id: int, segment_id: int) -> bool:
    return bool(db.session.execute(delete(SavedSegment).where(SavedSegment.site_id == site_id,
                                                              SavedSegment.id == segment_id)).rowcount)
