"""Words for the loyalty ledger's stored values: what moved a customer's points."""
from flask_babel import lazy_gettext as _l

from backend.labels import register

ENTRY_KINDS = register("loyalty_entry", {
    "earn": _l("Earned (order delivered)"), "reverse": _l("Taken back (return or refund)"),
    "restore": _l("Given again (order delivered again)"), "redeem": _l("Spent at checkout"),
    "release": _l("Given back (not used)"), "expire": _l("Expired"),
})
HOLD_STATUSES = register("loyalty_hold", {"held": _l("Set aside"), "redeemed": _l("Spent"), "released": _l("Given back"),
                                         "cancelled": _l("Order cancelled, given back")})
