"""Courier status → WooCommerce order status, by each shop's own mapping (e.g. delivered →
completed). A job, not the poller: the poller keeps the courier's pace, and WooCommerce is
written in batches of 100 with per-order results. An order WooCommerce refuses is tried again
on the next run; one already at the mapped status is left alone."""
import logging

from sqlalchemy import literal, select

from backend.couriers import service
from backend.couriers.models import Consignment, CourierSettings
from backend.extensions import db
from backend.integrations.woocommerce import WooCommerce, WooCommerceError, order_missing
from backend.licensing.models import Site
from backend.orders.models import Order
from backend.orders.service import mark_missing, upsert_orders

log = logging.getLogger(__name__)
PER_RUN = 500


def pending_writes(site_id: int, mapping: dict) -> list[Consignment]:
    """Consignments whose current status maps to a WooCommerce status not yet written."""
    return list(db.session.execute(
        select(Consignment).where(
            Consignment.site_id == site_id, Consignment.order_wc_id.is_not(None),
            Consignment.status.in_(list(mapping)),
            (Consignment.wc_status_written.is_(None)) | (Consignment.wc_status_written != Consignment.status),
            # an order WooCommerce no longer has is not asked about again
            Consignment.order_wc_id.not_in(select(Order.wc_id).where(Order.site_id == site_id,
                                                                    Order.deleted_at.is_not(None))),
        ).order_by(Consignment.id).limit(PER_RUN)
    ).scalars())


def write_site(site: Site, mapping: dict) -> dict:
    consignments = pending_writes(site.id, mapping)
    if not consignments:
        return {"written": 0, "refused": 0}
    try:
        api = WooCommerce.for_site(site)
        results = api.batch_update_orders([{"id": c.order_wc_id, "status": mapping[c.status]} for c in consignments])
    except WooCommerceError as error:
        log.warning("status write-back for site %s: %s", site.id, error)
        return {"written": 0, "refused": 0, "error": str(error)}
    written, refused, orders, gone = 0, 0, [], []
    for consignment, result in zip(consignments, results):
        if order_missing(result.get("error")):
            gone.append(consignment.order_wc_id)
            refused += 1
            log.info("site %s order %s: no longer in WooCommerce; marked deleted", site.id, consignment.order_wc_id)
            continue
        if result.get("error"):
            refused += 1
            log.info("site %s order %s: WooCommerce refused status %s: %s", site.id, consignment.order_wc_id,
                     mapping[consignment.status], result["error"].get("message"))
            continue
        consignment.wc_status_written = consignment.status
        orders.append(result)
        written += 1
    if orders:
        upsert_orders(site.id, orders)  # the desk and dashboard see WooCommerce's answer at once
    if gone:
        mark_missing(site.id, gone)
    return {"written": written, "refused": refused}


def sites_with_writes_due() -> list[int]:
    """Shops with a parcel whose status their mapping names and WooCommerce has not been given
    yet (the scheduler's per-shop list). The mapping is stored as JSON with the statuses as keys
    (`{"delivered": "completed"}`), so a text match on `"<status>":` finds a mapped status."""
    unwritten = select(Consignment.id).where(
        Consignment.site_id == CourierSettings.site_id, Consignment.order_wc_id.is_not(None),
        (Consignment.wc_status_written.is_(None)) | (Consignment.wc_status_written != Consignment.status),
        CourierSettings.wc_status_map.like(literal('%"') + Consignment.status + literal('":%')))
    return list(db.session.execute(
        select(CourierSettings.site_id).where(CourierSettings.wc_status_map != "{}", unwritten.exists())
        .order_by(CourierSettings.site_id)).scalars())


def write_site_statuses(site_id: int) -> dict | None:
    """One shop's turn of the job; None when the shop has nothing to write with (no mapping,
    no WooCommerce connection, gone)."""
    site = db.session.get(Site, site_id)
    if site is None or not site.is_active or not site.wc_consumer_key_enc:
        return None
    mapping = service.status_map_of(service.get_settings(site))
    if not mapping:
        return None
    return write_site(site, mapping)
