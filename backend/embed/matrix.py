"""A shop's role matrix (T1): which Bikri role holds which permission, and which WordPress role
maps to which Bikri role. Stored per shop (RoleMatrix); a shop without a row has the defaults of
roles.py, so nothing changes for a shop that never edits it. Every `user.can(...)` reads it."""
import json
import re

from flask import g, has_app_context
from flask_babel import gettext as _

from backend.activity import service as activity
from backend.embed import roles
from backend.embed.models import RoleMatrix
from backend.errors import ApiError
from backend.extensions import db
from backend.clock import utcnow

# WordPress role names are sanitize_key()d: lowercase letters, digits, _ and -
WORDPRESS_ROLE_NAME = re.compile(r"^[a-z0-9_-]{1,64}$")
MAX_WORDPRESS_ROLES = 50


def _cache() -> dict:
    if not has_app_context():
        return {}
    if "role_matrices" not in g:
        g.role_matrices = {}
    return g.role_matrices


def matrix_for(site_id: int) -> roles.Matrix:
    """The shop's matrix, read once per request (every `can` of a page asks it)."""
    cache = _cache()
    if site_id in cache:
        return cache[site_id]
    row = db.session.get(RoleMatrix, site_id)
    matrix = roles.DEFAULT if row is None else _from_row(row)
    cache[site_id] = matrix
    return matrix


def _from_row(row: RoleMatrix) -> roles.Matrix:
    grants = {name: frozenset(held) for name, held in roles.PERMISSIONS.items()}
    stored = json.loads(row.grants)
    for name in roles.EDITABLE:
        if name in stored:
            grants[name] = frozenset(r for r in stored[name] if r in roles.ROLES)
    wordpress = {name: role for name, role in json.loads(row.wordpress).items() if role in roles.ROLES}
    wordpress.setdefault(roles.OTHER_WORDPRESS_ROLES, roles.STAFF)
    return roles.Matrix(grants=grants, wordpress=wordpress)


def as_dict(matrix: roles.Matrix) -> dict:
    """The wire form: per Bikri role its editable permissions; the WordPress mapping."""
    return {
        "permissions": {role: [name for name in roles.EDITABLE if matrix.can(role, name)] for role in roles.ROLES},
        "wordpress_roles": dict(sorted(matrix.wordpress.items())),
    }


def check(data: dict) -> tuple[roles.Matrix, dict]:
    """(matrix, errors) from the wire form; unknown roles and permissions are errors."""
    errors = {}
    permissions = data.get("permissions") or {}
    grants = {name: set() for name in roles.EDITABLE}
    for role, names in permissions.items():
        if role not in roles.ROLES:
            errors.setdefault("permissions", []).append(_("Unknown Bikri role: %(role)s.", role=role))
            continue
        unknown = [name for name in names if name not in roles.EDITABLE]
        if unknown:
            errors.setdefault("permissions", []).append(
                _("Unknown or fixed permissions: %(names)s.", names=", ".join(sorted(map(str, unknown)))))
        for name in names:
            if name in grants:
                grants[name].add(role)
    missing = [role for role in roles.ROLES if role not in permissions]
    if missing:
        errors.setdefault("permissions", []).append(_("Say what each role may do: %(roles)s missing.", roles=", ".join(missing)))
    wordpress = {}
    mapping = data.get("wordpress_roles") or {}
    if len(mapping) > MAX_WORDPRESS_ROLES:
        errors.setdefault("wordpress_roles", []).append(_("At most %(count)d WordPress roles.", count=MAX_WORDPRESS_ROLES))
    for name, role in mapping.items():
        clean = (name or "").strip().lower()
        if clean != roles.OTHER_WORDPRESS_ROLES and not WORDPRESS_ROLE_NAME.match(clean):
            errors.setdefault("wordpress_roles", []).append(_("Not a WordPress role name: %(name)s.", name=name[:64]))
        elif role not in roles.ROLES:
            errors.setdefault("wordpress_roles", []).append(_("Unknown Bikri role: %(role)s.", role=str(role)[:16]))
        else:
            wordpress[clean] = role
    wordpress.setdefault(roles.OTHER_WORDPRESS_ROLES, roles.STAFF)
    full = {name: frozenset(held) for name, held in roles.PERMISSIONS.items()}
    full.update({name: frozenset(held) for name, held in grants.items()})
    return roles.Matrix(grants=full, wordpress=wordpress), errors


class LockedOut(ApiError):
    status = 409
    code = "owner_locked_out"


def save(site_id: int, data: dict, *, editor_role: str | None = None, by: str = "") -> roles.Matrix:
    """Validate and store a shop's matrix. Refused when the owner would lose the matrix: the
    WordPress administrator must map to a role that may change roles, and so must the editor's
    own role (a manager given the right may not take it from himself)."""
    matrix, errors = check(data)
    if errors:
        raise ApiError(_("The role matrix is not valid."), code="validation_error", status=422, details=errors)
    owner_role = matrix.role_for(["administrator"])
    if not matrix.can(owner_role, "manage_roles") or (editor_role is not None and not matrix.can(editor_role, "manage_roles")):
        raise LockedOut(_("You cannot remove your own access to the role settings: the administrator's role (and "
                          "yours) must keep “Change the roles”."))
    wire = as_dict(matrix)
    row = db.session.get(RoleMatrix, site_id)
    if row is None:
        row = RoleMatrix(site_id=site_id)
        db.session.add(row)
    before = None if row.grants is None else as_dict(_from_row(row))
    row.grants = json.dumps({name: sorted(matrix.grants[name]) for name in roles.EDITABLE})
    row.wordpress = json.dumps(matrix.wordpress)
    row.updated_at = utcnow()
    row.updated_by = by[:120]
    db.session.flush()
    _cache()[site_id] = matrix
    activity.record(site_id, "roles", "role matrix", before or as_dict(roles.DEFAULT), wire)
    return matrix
