"""The shop's bell: in-app alerts about parcels (returned, partly delivered, on hold, stuck),
read and marked read by the shop's pages; the hourly search for stuck parcels."""
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select, update

from backend.couriers.models import Consignment
from backend.extensions import db
from backend.integrations.couriers import FINAL_STATUSES
from backend.notifications.models import Alert, NotificationSettings
from backend.notifications.service import raise_alert
from backend.clock import utcnow


def unread_count(site_id: int) -> int:
    return db.session.execute(select(func.count(Alert.id)).where(Alert.site_id == site_id, Alert.read_at.is_(None))).scalar_one()


def alerts_query(site_id: int):
    return select(Alert).where(Alert.site_id == site_id).order_by(Alert.id.desc())


def mark_read(site_id: int) -> int:
    return db.session.execute(update(Alert).where(Alert.site_id == site_id, Alert.read_at.is_(None))
                              .values(read_at=utcnow())).rowcount


def find_stuck_parcels(now: datetime | None = None) -> int:
    """The hourly job: a parcel whose status has not moved for the shop's N days (not final, not
    still waiting for the courier's review) makes a "stuck" alert, once."""
    now = now or utcnow()
    made = 0
    for settings in db.session.execute(select(NotificationSettings)).scalars().all():
        since = now - timedelta(days=settings.stuck_days)
        last_move = func.coalesce(Consignment.status_changed_at, Consignment.booked_at)
        stuck = db.session.execute(
            select(Consignment.id, Consignment.order_wc_id, Consignment.courier, Consignment.consignment_id)
            .outerjoin(Alert, and_(Alert.site_id == Consignment.site_id, Alert.consignment_pk == Consignment.id,
                                   Alert.kind == "stuck"))
            .where(Consignment.site_id == settings.site_id, Consignment.status.not_in(FINAL_STATUSES),
                   last_move < since, Alert.id.is_(None)).limit(500)).all()
        for parcel in stuck:
            made += raise_alert(settings.site_id, "stuck", parcel)
    return made
