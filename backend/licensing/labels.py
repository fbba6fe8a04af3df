"""Words for a license's state."""
from flask_babel import lazy_gettext as _l

from backend.labels import register

LICENSE_STATUSES = register("license_status", {
    "active": _l("Active"), "suspended": _l("Suspended"), "revoked": _l("Revoked"), "expired": _l("Expired"),
})
