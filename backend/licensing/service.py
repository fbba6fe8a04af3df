"""The rules of licenses and sites. Operations flush; the request or command commits."""
import re
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from backend.errors import ApiError, Unauthorized
from backend.extensions import db
from backend.integrations import shop_http
from backend.licensing.models import License, LicenseStatus, Site
from backend.licensing.signals import site_activated
from backend.security import (
    encrypt_secret,
    hash_token,
    new_license_key,
    new_token,
    normalise_license_key,
)
from backend.clock import utcnow


class LicenseInvalid(ApiError):
    status = 403
    code = "license_invalid"
    message = "This license key is not valid. Check it for typing mistakes."


class LicenseInactive(ApiError):
    status = 403
    code = "license_inactive"
    message = "This license is not active."


class SiteUrlNotPublic(ApiError):
    status = 422
    code = "validation_error"
    message = ("This site's address is not on the public internet: it is, or leads to, a loopback, private or "
               "reserved address. Bikri works only with shops it can reach over the internet.")


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
    if ":" in host:  # an IPv6 address keeps its brackets, or its port would read as part of it
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    path = parts.path.rstrip("/")
    url = f"{parts.scheme}://{netloc}{path}"
    return url, f"{netloc}{path}"


def check_site_is_public(url: str) -> None:
    """Refuse a shop whose address is not on the public internet: the service would fetch it
    (server-side request forgery). Every connection checks again (shop_http)."""
    try:
        shop_http.check_site_url(url, allow_private=current_app.config.get("ALLOW_PRIVATE_SHOP_HOSTS", False))
    except shop_http.ShopAddressRefused:
        raise SiteUrlNotPublic(details={"site_url": [SiteUrlNotPublic.message]}) from None


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

class SiteOnOtherLicense(ApiError):
    status = 409
    code = "site_on_other_license"
    message = ("This site is activated with another license key. To change the key, enter the new key "
               "on this site's Bikri License page while Bikri is activated there: Bikri then moves the "
               "shop, with its orders, SMS balance and settings, to the new key. If Bikri on this site "
               "lost its activation, activate with the old key first.")


def _site_by_token(token: str | None, url_key: str) -> Site | None:
    """The site row a caller proves it is: the one whose current token it holds, at this address."""
    if not token:
        return None
    site = db.session.execute(select(Site).where(Site.token_hash == hash_token(token))).scalar_one_or_none()
    return site if site is not None and site.url_key == url_key else None


def _sites_elsewhere(license: License, url_key: str) -> list[Site]:
    return list(db.session.execute(
        select(Site).where(Site.url_key == url_key, Site.license_id != license.id).order_by(Site.id)
    ).scalars())


def activate_site(license_key: str, site_url: str, wc_consumer_key=None, wc_consumer_secret=None,
                  site_token: str | None = None) -> tuple[Site, str]:
    """Bind a site to a license and hand it a new bearer token (the old one stops working).

    A site is one shop: one row carries its orders, SMS wallet, courier accounts, checkout
    settings and blacklist. When the shop enters a new license key, its row moves to the new
    license; it is never copied. Moving needs proof that the caller is that shop: the site's
    current token (`site_token`, which only the plugin on that site holds; it already opens
    everything on the row). The license key alone proves nothing about a site (anyone can buy
    a key and type any address), so without that proof an address that is active on another
    license is refused. An address whose rows elsewhere were all deactivated (the owner freed
    it, or someone who tried it gave up) starts a new site: nothing moves without proof, and
    nobody can lock a shop out by activating its address once and leaving it.
    """
    url, url_key = normalise_site_url(site_url)
    check_site_is_public(url)
    query = select(License).where(License.key_hash == hash_token(normalise_license_key(license_key)))
    # Lock the license row so two sites activating at once cannot both take the last slot.
    license = db.session.execute(query.with_for_update()).scalar_one_or_none()
    if license is None:
        raise LicenseInvalid()
    if not license.is_usable:
        raise _inactive(license)

    site = next((s for s in license.sites if s.url_key == url_key), None)
    proven = _site_by_token(site_token, url_key)
    if proven is not None and proven.license_id != license.id:
        if site is not None:
            # This license has an older row for the address (a key change before rows moved
            # left one behind). The caller holds this license's key and proves the shop, so
            # the shop's row wins and the older one steps aside.
            _retire(site)
        site = proven  # moved below, with its seat counted on this license
    elif site is None and any(s.is_active for s in _sites_elsewhere(license, url_key)):
        raise SiteOnOtherLicense()

    if site is None or not site.is_active or site.license_id != license.id:
        if len(license.active_sites) >= license.sites_allowed:
            raise LicenseSiteLimit(
                f"This license allows {license.sites_allowed} site(s) and all are in use. "
                "Deactivate Bikri on another site first, or ask for more sites.",
                details={"sites_allowed": license.sites_allowed, "sites_used": len(license.active_sites)},
            )
    if site is None:
        site = Site(license=license, url_key=url_key)
        db.session.add(site)
    elif site.license_id != license.id:
        # the move: everything keyed by the site goes with it; the old license's seat is freed
        site.license = license

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
    # the sync queues the shop's first backfill (backend/sync/listeners.py): licensing is below it
    site_activated.send(site, new_keys=bool(wc_consumer_key and wc_consumer_secret))
    return site, token


def _retire(site: Site) -> None:
    """Take a superseded row off its address, so the shop's own row can take the (license,
    address) place. Nothing authenticates through it afterwards; its rows stay for support."""
    suffix = f"#retired-{site.id}"
    site.url_key = site.url_key[:500 - len(suffix)] + suffix
    if site.is_active:
        site.token_hash = None
        site.deactivated_at = utcnow()
    db.session.flush()


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
