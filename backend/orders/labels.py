"""Words for an order's stored values: WooCommerce's statuses and the payment methods shops in
Bangladesh use (gateway ids as WooCommerce stores them)."""
from flask_babel import lazy_gettext as _l

from backend.labels import register

# WooCommerce's core statuses, and the custom ones Bangladeshi shops commonly register; any other
# slug a shop made up is shown as it is.
ORDER_STATUSES = register("order_status", {
    "pending": _l("Pending payment"), "processing": _l("Processing"), "on-hold": _l("On hold"),
    "completed": _l("Completed"), "cancelled": _l("Cancelled"), "refunded": _l("Refunded"), "failed": _l("Failed"),
    "checkout-draft": _l("Draft"), "trash": _l("In the bin"),
    "shipped": _l("Shipped"), "returned": _l("Returned"), "delivered": _l("Delivered"),
})

PAYMENT_METHODS = register("payment_method", {
    "cod": _l("Cash on delivery"), "bkash": _l("bKash"), "nagad": _l("Nagad"), "rocket": _l("Rocket"),
    "upay": _l("Upay"), "sslcommerz": _l("SSLCommerz"), "aamarpay": _l("aamarPay"), "shurjopay": _l("shurjoPay"),
    "bacs": _l("Bank transfer"), "cheque": _l("Cheque"), "manual": _l("Entered by hand"),
})
