"""Order tags (O6): the shop's own labels on orders, and the order ids a form sends.
"""
import re

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from backend.desk.fields import invalid
from backend.desk.models import OrderTag, OrderTagLink
from backend.errors import NotFound
from backend.extensions import db
from backend.orders.models import Order

COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


def list_tags(site_id: int) -> list[OrderTag]:
    return list(db.session.execute(select(OrderTag).where(OrderTag.site_id == site_id).order_by(OrderTag.name)).scalars())


def _tag(site_id: int, tag_id) -> OrderTag:
    try:
        tag_id = int(tag_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such tag.")) from None
    tag = db.session.execute(select(OrderTag).where(OrderTag.site_id == site_id, OrderTag.id == tag_id)).scalar_one_or_none()
    if tag is None:
        raise NotFound(_("No such tag."))
    return tag


def _tag_fields(site_id: int, name, colour, *, current: OrderTag | None = None) -> tuple[str, str]:
    errors = {}
    name = " ".join(str(name or "").split())
    if not name:
        errors["name"] = _("Enter a name for the tag.")
    elif len(name) > 40:
        errors["name"] = _("At most 40 characters.")
    elif db.session.execute(select(OrderTag.id).where(
            OrderTag.site_id == site_id, func.lower(OrderTag.name) == name.lower(),
            OrderTag.id != (current.id if current else -1))).first():
        errors["name"] = _("A tag with this name exists.")
    colour = str(colour or (current.colour if current else "#2271b1")).strip()
    if not COLOUR_RE.match(colour):
        errors["colour"] = _("A colour looks like #2271b1.")
    if errors:
        raise invalid(errors)
    return name, colour.lower()


def create_tag(site_id: int, name, colour=None) -> OrderTag:
    name, colour = _tag_fields(site_id, name, colour)
    tag = OrderTag(site_id=site_id, name=name, colour=colour)
    db.session.add(tag)
    db.session.flush()
    return tag


def edit_tag(site_id: int, tag_id, name=None, colour=None) -> OrderTag:
    tag = _tag(site_id, tag_id)
    tag.name, tag.colour = _tag_fields(site_id, tag.name if name is None else name, colour, current=tag)
    db.session.flush()
    return tag


def delete_tag(site_id: int, tag_id) -> None:
    tag = _tag(site_id, tag_id)
    db.session.execute(delete(OrderTagLink).where(OrderTagLink.site_id == site_id, OrderTagLink.tag_id == tag.id))
    db.session.delete(tag)
    db.session.flush()


def tag_orders(site_id: int, tag_id, wc_ids: list[int], *, add: bool) -> int:
    """Put the tag on (or take it off) these orders; returns how many orders it now changed."""
    tag = _tag(site_id, tag_id)
    wc_ids = list(dict.fromkeys(int(i) for i in wc_ids))[:1000]
    if not wc_ids:
        raise invalid({"orders": _("Choose at least one order.")})
    order_ids = list(db.session.execute(
        select(Order.id).where(Order.site_id == site_id, Order.wc_id.in_(wc_ids))).scalars())
    if add:
        have = set(db.session.execute(select(OrderTagLink.order_id).where(
            OrderTagLink.tag_id == tag.id, OrderTagLink.order_id.in_(order_ids))).scalars())
        new = [i for i in order_ids if i not in have]
        if new:
            db.session.execute(OrderTagLink.__table__.insert(),
                               [{"order_id": i, "tag_id": tag.id, "site_id": site_id} for i in new])
        return len(new)
    result = db.session.execute(delete(OrderTagLink).where(
        OrderTagLink.site_id == site_id, OrderTagLink.tag_id == tag.id, OrderTagLink.order_id.in_(order_ids)))
    return result.rowcount


def ids_from(values) -> list[int]:
    """Order numbers from a form or JSON list; anything not a whole number is an error."""
    try:
        return [int(v) for v in values if str(v).strip()]
    except (TypeError, ValueError):
        raise invalid({"orders": _("Order ids are whole numbers.")}) from None
