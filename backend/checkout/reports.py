"""The OTP report (F5): each checkout session's codes and whether it became an order."""
import re
from datetime import datetime

from sqlalchemy import case, func, select

from backend.checkout.models import CheckoutOrder, OtpCode
from backend.extensions import db
from backend.phones import BANGLA_DIGITS

# --- the OTP report (F5) ---------------------------------------------------------------------------

REPORT_STATES = ("completed", "not_completed", "skipped")
# Not (yet) an order: the block checkout's draft
NOT_ORDERS = ("checkout-draft",)


def report_query(site_id: int, *, state: str | None = None, ordered: str | None = None, start: datetime | None = None,
                 end: datetime | None = None, phone: str | None = None):
    """One row per phone: requests, first and last request, whether it completed OTP (verified
    or trusted), skipped it (no balance), and its orders placed since its first request."""
    completed = func.max(case((OtpCode.status.in_(("verified", "trusted")), 1), else_=0))
    skipped = func.max(case((OtpCode.status == "skipped", 1), else_=0))
    conditions = [OtpCode.site_id == site_id]
    if start is not None:
        conditions.append(OtpCode.created_at >= start)
    if end is not None:
        conditions.append(OtpCode.created_at < end)
    if phone:
        digits = re.sub(r"\D", "", phone.translate(BANGLA_DIGITS)).removeprefix("88")
        if digits:
            conditions.append(OtpCode.phone.contains(digits.lstrip("0") or digits, autoescape=True))
    per_phone = (
        select(OtpCode.phone.label("phone"), func.count(OtpCode.id).label("requests"),
               func.min(OtpCode.created_at).label("first_at"), func.max(OtpCode.created_at).label("last_at"),
               func.max(OtpCode.verified_at).label("verified_at"), completed.label("completed"), skipped.label("skipped"))
        .where(*conditions).group_by(OtpCode.phone).subquery()
    )
    orders = (
        select(func.count(CheckoutOrder.id))
        .where(CheckoutOrder.site_id == site_id, CheckoutOrder.phone == per_phone.c.phone,
               CheckoutOrder.created_at >= per_phone.c.first_at,
               # a block checkout's draft is not an order until the shopper finishes paying or confirms
               CheckoutOrder.status.not_in(NOT_ORDERS))
        .scalar_subquery()
    )
    query = select(per_phone, orders.label("orders"))
    if state == "completed":
        query = query.where(per_phone.c.completed == 1)
    elif state == "skipped":
        query = query.where(per_phone.c.completed == 0, per_phone.c.skipped == 1)
    elif state == "not_completed":
        query = query.where(per_phone.c.completed == 0, per_phone.c.skipped == 0)
    if ordered == "yes":
        query = query.where(orders > 0)
    elif ordered == "no":
        query = query.where(orders == 0)
    return query.order_by(per_phone.c.last_at.desc(), per_phone.c.phone)


def report_rows(query, limit: int | None = None, offset: int = 0) -> list[dict]:
    if limit is not None:
        query = query.limit(limit).offset(offset)
    rows = []
    for row in db.session.execute(query).mappings():
        state = "completed" if row["completed"] else "skipped" if row["skipped"] else "not_completed"
        rows.append({**row, "state": state})
    return rows


def report_count(query) -> int:
    return db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
