from flask_babel import lazy_gettext as _l

from backend.labels import register

IDEA_STATUSES = register("idea_status", {
    "new": _l("Received"), "planned": _l("Planned"), "done": _l("Done"), "declined": _l("Declined"),
})
