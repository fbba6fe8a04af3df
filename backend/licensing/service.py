"""The rules of licenses and sites. Operations flush; the request or command commits."""
import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from backend.errors import ApiError, Unauthorized
from backend.extensions import db
from backend.licensing.models import License, LicenseStatus, Site
from backend.security import (
    encrypt_secret,
    hash_token,
    new_license_key,
    new_token,
    normalise_license_key,
)
from backend.timeutil import utcnow


class LicenseInvalid(ApiError):
    status = 403
    code = "license_invalid"
    message = "This license key is not valid. Check it for typing mistakes."


class LicenseInactive(ApiError):
    status = 403
    code = "license_inactive"
    message = "This license is not active."


class LicenseSiteLimit(ApiError):
    status = 409
    code = "license_site_limit"
    message = "This license is already used by as many sites as it allows."


INACTIVE_MESSAGES = {
    LicenseStatus.SUSPENDED: "This license is suspended. Contact Bikri support.",
    LicenseStatus.REVOKED: "This license has been revoked.",
    LicenseStatus.EXPIRED: "This license has expired. Renew it to keep using Bikri.",
}


def _inactive(license: License) -> LicenseInactive:
    status = license.effective_status()
    return LicenseInactive(INACTIVE_MESSAGES.get(status), details={"status": status})


def normalise_site_url(raw: str) -> tuple[str, str]:
    """Return (url, url_key) for a shop's home URL, or raise ValueError saying what is wrong."""
    raw = (raw or "").strip()
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https"):
        raise ValueError("must start with http:// or https://")
    if not parts.hostname:
        raise ValueError("has no host name")
    if parts.username or parts.password:
        raise ValueError("must not contain a user name or password")
    host = parts.hostname.lower()
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    path = parts.path.rstrip("/")
    url = f"{parts.scheme}://{netloc}{path}"
    return url, f"{netloc}{path}"


# --- licenses (operators) -------------------------------------------------------------

def create_license(email: str, *, sites: int = 1, days: int | None = 365, plan: str = "standard") -> tuple[License, str]:
    """Create a license; returns it and its key, which is never stored and never shown again."""
    if sites < 1:
        raise ValueError("a license allows at least one site")
    key = new_license_key()
    license = License(
        key_hash=hash_token(key),
        key_hint=key[-5:],
        email=email.strip().lower(),
        plan=plan,
        sites_allowed=sites,
        expires_at=utcnow() + timedelta(days=days) if days else None,
    )
    db.session.add(license)
    db.session.flush()
    return license, key


def find_license_by_key(key: str) -> License | None:
    return db.session.execute(
        select(License).where(License.key_hash == hash_token(normalise_license_key(key)))
    ).scalar_one_or_none()


def set_license_status(license: License, status: str) -> License:
    if status not in LicenseStatus.STORED:
        raise ValueError(f"unknown status {status!r}")
    license.status = status
    db.session.flush()
    return license


def extend_license(license: License, days: int) -> License:
    start = max(license.expires_at or utcnow(), utcnow())
    license.expires_at = start + timedelta(days=days)
    db.session.flush()
    return license


def list_licenses() -> list[License]:
    return list(db.session.execute(
        select(License).options(joinedload(License.sites)).order_by(License.id.desc())
    ).unique().scalars())


# --- sites (the plugin) ---------------------------------------------------------------

def activate_site(license_key: str, site_url: str, wc_consumer_key=None, wc_consumer_secret=None) -> tuple[Site, str]:
    """Bind a site to a license and hand it a new bearer token (the old one stops working)."""
    url, url_key = normalise_site_url(site_url)
    query = select(License).where(License.key_hash == hash_token(normalise_license_key(license_key)))
    # Lock the license row so two sites activating at once cannot both take the last slot.
    license = db.session.execute(query.with_for_update()).scalar_one_or_none()
    if license is None:
        raise LicenseInvalid()
    if not license.is_usable:
        raise _inactive(license)

    site = next((s for s in license.sites if s.url_key == url_key), None)
    if site is None or not site.is_active:
        if len(license.active_sites) >= license.sites_allowed:
            raise LicenseSiteLimit(
                f"This license allows {license.sites_allowed} site(s) and all are in use. "
                "Deactivate Bikri on another site first, or ask for more sites.",
                details={"sites_allowed": license.sites_allowed, "sites_used": len(license.active_sites)},
            )
    if site is None:
        site = Site(license=license, url_key=url_key)
        db.session.add(site)

    token = new_token()
    site.url = url
    site.token_hash = hash_token(token)
    site.activated_at = utcnow()
    site.deactivated_at = None
    site.last_seen_at = utcnow()
    if wc_consumer_key and wc_consumer_secret:
        site.wc_consumer_key_enc = encrypt_secret(wc_consumer_key)
        site.wc_consumer_secret_enc = encrypt_secret(wc_consumer_secret)
    try:
        db.session.flush()
    except IntegrityError as error:  # the same site activating twice at once (a double click)
        db.session.rollback()
        raise ApiError("This site is being activated by another request. Try again in a moment.",
                       code="activation_in_progress", status=409) from error
    # SQLite ignores FOR UPDATE; its writers are serialised instead, so counting again after
    # our own write sees any site that won the race, and we give the slot back.
    used = sites_used(license)
    if used > license.sites_allowed:
        db.session.rollback()
        raise LicenseSiteLimit(details={"sites_allowed": license.sites_allowed, "sites_used": used - 1})
    return site, token


# Built once: every API request runs it, and building it cost about as much as running it.
_SITE_BY_TOKEN = select(Site).options(joinedload(Site.license)).where(Site.token_hash == bindparam("token_hash"))


def authenticate_site(token: str | None) -> Site:
    """The site behind a bearer token, or an error the plugin can act on."""
    if not token:
        raise Unauthorized("Send the site's token as 'Authorization: Bearer <token>'.")
    site = db.session.execute(_SITE_BY_TOKEN, {"token_hash": hash_token(token)}).scalar_one_or_none()
    if site is None:
        raise Unauthorized("This token is unknown or no longer valid. Activate the license again.")
    if not site.license.is_usable:
        raise _inactive(site.license)
    return site


def touch_site(site: Site, resolution_seconds: int) -> bool:
    """Record that the site was seen, at most once per resolution window (a write per call would cost throughput)."""
    now = utcnow()
    if site.last_seen_at and (now - site.last_seen_at).total_seconds() < resolution_seconds:
        return False
    site.last_seen_at = now
    return True


def deactivate_site(site: Site) -> None:
    site.token_hash = None
    site.deactivated_at = utcnow()
    db.session.flush()


def sites_used(license: License) -> int:
    return db.session.execute(
        select(func.count(Site.id)).where(Site.license_id == license.id, Site.token_hash.is_not(None))
    ).scalar_one()


def license_summary(site: Site) -> dict:
    license = site.license
    return {
        "status": license.effective_status(),
        "plan": license.plan,
        "expires_at": license.expires_at,
        "site_url": site.url,
        "sites_used": sites_used(license),
        "sites_allowed": license.sites_allowed,
    }


# a WordPress locale: "bn_BD", "en_US", "de_DE_formal"
LOCALE = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]{2,8}){0,2}$")


def describe_site(site: Site, name: str | None = None, locale: str | None = None) -> None:
    """Keep what the plugin reports of the shop: its WordPress title (the shop's name in its SMS)
    and its locale (the language Bikri writes to its orders in). Written only when it changed:
    the plugin reports it on every config pull."""
    if name is not None:
        # one line of plain spaces: a control character or a no-break space would reach the SMS as it is
        name = " ".join("".join(c if c.isprintable() else " " for c in name).split())[:200] or None
        if name != site.name:
            site.name = name
    if locale is not None:
        locale = locale.strip()
        if LOCALE.match(locale) and locale != site.locale:
            site.locale = locale
