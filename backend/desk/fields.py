"""The desk's shared field rules: status slugs and their labels, the validation error, orders by
WooCommerce id.
"""
import re

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from backend.errors import ApiError
from backend.extensions import db
from backend.orders.models import Order

STATUS_RE = re.compile(r"^[a-z0-9_-]{1,40}$")
STATUS_LABELS = {
    "pending": _l("Pending payment"), "processing": _l("Processing"), "on-hold": _l("On hold"),
    "completed": _l("Completed"), "cancelled": _l("Cancelled"), "refunded": _l("Refunded"), "failed": _l("Failed"),
    "shipped": _l("Shipped"), "returned": _l("Returned"),
}
# Statuses offered in the desk's menus; WooCommerce's status set is open, so any other
# slug a shop registered ("shipped", "returned") is accepted too and WooCommerce decides.
CORE_STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed")


def invalid(details: dict, message: str | None = None) -> ApiError:
    return ApiError(message or _("Some fields are missing or invalid."), code="validation_error", status=422,
                    details={k: v if isinstance(v, list) else [v] for k, v in details.items()})


def orders_by_wc_id(site_id: int, wc_ids) -> dict[int, Order]:
    return {o.wc_id: o for o in db.session.execute(
        select(Order).where(Order.site_id == site_id, Order.wc_id.in_(list(wc_ids)), Order.deleted_at.is_(None))
    ).scalars()}


def status_label(status: str) -> str:
    """WooCommerce's core statuses in the current language; a custom status ("shipped") as it is."""
    return str(STATUS_LABELS.get(status, status))
