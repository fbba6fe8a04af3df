"""The blacklist (F2): phones, emails and IP addresses (or networks) a shop will not sell to.

Entries are stored normalised, so "01711-234567", "+8801711234567" and "৮৮০১৭১১২৩৪৫৬৭" are
one entry. The plugin keeps a copy (GET /api/v1/checkout/config) and checks it at checkout
without calling us; the service checks it before spending SMS money on a code.
"""
import csv
import functools
import io
import ipaddress
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from backend.activity import service as activity
from backend.checkout.models import BlacklistEntry, CheckoutSettings
from backend.checkout.settings import bump_version, settings_for
from backend.errors import ApiError, NotFound
from backend.extensions import db
from backend.licensing.models import Site
from backend.phones import InvalidPhone, normalise_phone

KINDS = ("phone", "email", "ip")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A network wider than this would block a whole operator's customers.
WIDEST = {4: 16, 6: 32}
MAX_IMPORT_ROWS = 5000


def message(settings: CheckoutSettings) -> str:
    """What a blocked shopper reads. The plugin shows its own translated default when the shop set none."""
    return settings.blacklist_message or "We cannot take this order online. Please contact the shop."


def _network(value: str) -> str:
    network = ipaddress.ip_network(value, strict=False)
    if network.prefixlen < WIDEST[network.version]:
        raise ValueError(f"A network may be at most /{WIDEST[network.version]} wide; this one is /{network.prefixlen}.")
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def normalise(kind: str | None, value) -> tuple[str, str]:
    """(kind, stored value), or ValueError saying what is wrong. Without a kind, it is read off the value."""
    value = str(value or "").strip()
    if not value:
        raise ValueError(_("Enter a phone number, an email or an IP address."))
    kind = (kind or "").strip().lower() or None
    if kind is not None and kind not in KINDS:
        raise ValueError(_("The type is one of: %(choices)s.", choices=", ".join(KINDS)))
    if kind is None:
        if "@" in value:
            kind = "email"
        else:
            try:
                ipaddress.ip_network(value, strict=False)
                kind = "ip"
            except ValueError:
                kind = "phone"
    if kind == "phone":
        try:
            return kind, normalise_phone(value)
        except InvalidPhone as error:
            raise ValueError(str(error)) from error
    if kind == "email":
        value = value.lower()
        if len(value) > 254 or not EMAIL.match(value):
            raise ValueError(_("This is not an email address."))
        return kind, value
    try:
        return kind, _network(value)
    except ValueError as error:
        raise ValueError(str(error) if "wide" in str(error) else _("This is not an IP address (like 103.4.5.6) or network (like 103.4.5.0/24).")) from error


@dataclass
class Added:
    entry: BlacklistEntry
    created: bool


def add(site: Site, *, kind: str | None, value, reason: str | None = None, added_by: str | None = None,
        bump: bool = True) -> Added:
    """Add an entry (once: adding it again answers the existing one)."""
    try:
        kind, value = normalise(kind, value)
    except ValueError as error:
        raise ApiError(_("Some fields are missing or invalid."), code="validation_error", status=422,
                       details={"value": [str(error)]}) from error
    settings_for(site)
    existing = _existing(site.id, kind, value)
    if existing is not None:
        return Added(existing, False)
    entry = BlacklistEntry(site_id=site.id, kind=kind, value=value, reason=(reason or "").strip()[:255] or None,
                           added_by=(added_by or "").strip()[:120] or None)
    try:
        with db.session.begin_nested():
            db.session.add(entry)
            db.session.flush()
    except IntegrityError:
        return Added(_existing(site.id, kind, value), False)
    if bump:
        bump_version(site.id)
    activity.record(site.id, "blacklist", f"{kind} {value}", None, {"kind": kind, "value": value, "reason": entry.reason})
    return Added(entry, True)


def _existing(site_id: int, kind: str, value: str) -> BlacklistEntry | None:
    return db.session.execute(select(BlacklistEntry).where(BlacklistEntry.site_id == site_id, BlacklistEntry.kind == kind,
                                                           BlacklistEntry.value == value)).scalar_one_or_none()


def remove(site: Site, entry_id: int) -> None:
    gone = db.session.execute(delete(BlacklistEntry).where(BlacklistEntry.site_id == site.id, BlacklistEntry.id == entry_id)
                              .returning(BlacklistEntry.kind, BlacklistEntry.value, BlacklistEntry.reason)
                              .execution_options(synchronize_session=False)).one_or_none()
    if gone is None:
        raise NotFound(_("No blacklist entry has this id."))
    activity.record(site.id, "blacklist", f"{gone.kind} {gone.value}", {"kind": gone.kind, "value": gone.value,
                                                                         "reason": gone.reason}, None)
    bump_version(site.id)


def list_query(site_id: int, kind: str | None = None, search: str | None = None):
    query = select(BlacklistEntry).where(BlacklistEntry.site_id == site_id)
    if kind in KINDS:
        query = query.where(BlacklistEntry.kind == kind)
    if search:
        query = query.where(func.lower(BlacklistEntry.value).contains(search.strip().lower(), autoescape=True)
                            | func.lower(func.coalesce(BlacklistEntry.reason, "")).contains(search.strip().lower(), autoescape=True))
    return query.order_by(BlacklistEntry.id.desc())


def values_by_kind(site: Site) -> dict:
    """Every entry's value, by kind, for the plugin's copy."""
    found = {"phones": [], "emails": [], "ips": []}
    rows = db.session.execute(select(BlacklistEntry.kind, BlacklistEntry.value).where(BlacklistEntry.site_id == site.id)
                              .order_by(BlacklistEntry.id))
    for kind, value in rows:
        found[f"{kind}s"].append(value)
    return found


@functools.cache
def _find_statement(phone: bool, email: bool, ip: bool):
    """Built once per combination of what is looked for (every checkout code asks)."""
    wanted = []
    if phone:
        wanted.append((BlacklistEntry.kind == "phone") & (BlacklistEntry.value == bindparam("phone")))
    if email:
        wanted.append((BlacklistEntry.kind == "email") & (BlacklistEntry.value == bindparam("email")))
    if ip:
        wanted.append((BlacklistEntry.kind == "ip") & ((BlacklistEntry.value == bindparam("ip")) | BlacklistEntry.value.contains("/")))
    return select(BlacklistEntry).where(BlacklistEntry.site_id == bindparam("site"), or_(*wanted))


def find(site: Site, *, phone: str | None = None, email: str | None = None, ip: str | None = None) -> BlacklistEntry | None:
    """The entry that blocks any of these (an already normalised phone, any email, an IP
    address), in one query: exact values, plus the shop's networks to test the address against."""
    if not (phone or email or ip):
        return None
    entries = db.session.execute(_find_statement(bool(phone), bool(email), bool(ip)), {
        "site": site.id, "phone": phone, "email": email.strip().lower() if email else None, "ip": ip}).scalars().all()
    address = ipaddress.ip_address(ip) if ip else None
    for entry in entries:
        if entry.kind != "ip" or "/" not in entry.value:
            return entry
        network = ipaddress.ip_network(entry.value)
        if network.version == address.version and address in network:
            return entry
    return None


HEADER_WORDS = {"type", "kind", "value", "phone", "email", "ip", "reason", "ধরন", "মান", "কারণ"}


def import_csv(site: Site, text: str, added_by: str) -> list[dict]:
    """Add every row of a CSV: `type,value,reason` (type may be empty, then it is read off the
    value; a header row is recognised and skipped; a single column of values works too).
    Each row stands alone: good rows are added, bad ones are reported with their reason."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    results = []
    added = 0
    for number, row in enumerate(reader, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if number == 1 and {cell.lower() for cell in cells if cell} <= HEADER_WORDS:
            continue
        if len(results) >= MAX_IMPORT_ROWS:
            results.append({"row": number, "value": "", "kind": None, "outcome": "error",
                            "message": _("Only %(n)s rows are read per file; split the file.", n=MAX_IMPORT_ROWS)})
            break
        if len(cells) == 1:
            kind, value, reason = None, cells[0], None
        elif cells[0] == "" or cells[0].lower() in KINDS:
            kind, value, reason = cells[0] or None, cells[1], (cells[2] if len(cells) > 2 else None)
        else:
            # no type column: "value,reason"
            kind, value, reason = None, cells[0], cells[1] or None
        try:
            normalised_kind, normalised = normalise(kind, value)
        except ValueError as error:
            results.append({"row": number, "value": value, "kind": kind, "outcome": "error", "message": str(error)})
            continue
        result = add(site, kind=normalised_kind, value=normalised, reason=reason, added_by=added_by, bump=False)
        added += result.created
        results.append({"row": number, "value": normalised, "kind": normalised_kind,
                        "outcome": "added" if result.created else "exists", "message": ""})
    if added:
        bump_version(site.id)
    return results
