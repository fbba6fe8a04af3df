"""What the couriers domain announces: a parcel's status or collected amount changed (the
dashboard's cash widget listens). Couriers never import the dashboard.

Sent inside the writer's transaction (listeners' writes commit with the change; they must not
commit or call anything remote); listeners connected at app creation (a domain's
`listeners.py`), checked by tests/test_signals.py.
"""
from blinker import Namespace

signals = Namespace()

# what a parcel version carries (a stored consignment's columns)
PARCEL_FIELDS = ("id", "site_id", "booked_at", "courier", "status", "cod_amount", "collected_amount", "order_wc_id", "invoice",
                 "consignment_id")

# parcel_changed(None, changes=[(old version or None, new version)], bulk=bool) — a booking
# (old None) or a status change; versions are mappings with PARCEL_FIELDS (old and new status,
# COD and collected amounts). `bulk`: part of a run that commits every hundred parcels; a
# listener may gather the changes and write them at the commit (the parcel rollup does).
parcel_changed = signals.signal("parcel-changed")

# booking_asked(site, orders=[Order, ...]) — a booking is about to check these orders: each
# receiver returns {wc_id: reason} for the orders the shop's own rules hold back (the desk's
# order tasks: "require phone confirmation before booking"). Such an order is reported
# not_attempted with that reason, like any other order that cannot be booked. Read only.
booking_asked = signals.signal("booking-asked")
