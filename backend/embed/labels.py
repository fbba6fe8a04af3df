"""Words for a WordPress user's role in the shop."""
from flask_babel import lazy_gettext as _l

from backend.labels import register

ROLES = register("role", {"admin": _l("Administrator"), "manager": _l("Manager"), "staff": _l("Staff")})
