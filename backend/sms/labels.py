"""Words for the SMS wallet's stored values: a message's state and purpose, a recharge's state
and how it was paid."""
from flask_babel import lazy_gettext as _l

from backend.labels import register

SMS_STATUSES = register("sms_status", {"queued": _l("Waiting to be sent"), "sending": _l("Sending"), "sent": _l("Sent"),
                                       "failed": _l("Not sent")})

SMS_PURPOSES = register("sms_purpose", {
    "manual": _l("Sent by hand"), "otp": _l("Checkout code"), "order_status": _l("Order updates"),
    "abandoned_cart": _l("Cart reminders"), "marketing": _l("Marketing"),
    "campaign": _l("Campaigns"), "stock_alert": _l("Low-stock alerts"), "loyalty": _l("Loyalty points"),
    "wishlist": _l("Wishlist alerts"),
})

RECHARGE_STATUSES = register("recharge_status", {
    "creating": _l("Opening the payment"), "pending": _l("Waiting for payment"), "completed": _l("Completed"), "failed": _l("Failed"),
    "cancelled": _l("Cancelled"), "expired": _l("Expired"), "rejected": _l("Rejected"),
    "held": _l("Held for a check by Bikri"),
})

RECHARGE_METHODS = register("recharge_method", {"bkash": _l("bKash"), "nagad": _l("Nagad"),
                                                 "manual": _l("Bank transfer or other")})

# A field named in a form error ("amount: ...")
SMS_FIELDS = register("sms_field", {
    "phone": _l("Mobile number"), "content": _l("Message"), "amount": _l("Amount"), "purpose": _l("Purpose"),
    "reference": _l("Payment reference"),
})
