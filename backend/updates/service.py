"""Plugin updates (P8): releases uploaded by the operators, signed with Ed25519, rolled out to a
share of the shops, rolled back; what a shop's update check gets and its per-shop download."""
import base64
import hashlib
import io
import re
import zipfile

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from backend.extensions import db
from backend.clock import utcnow
from backend.updates.models import PluginRelease, ReleaseStatus

PLUGIN_MAIN_FILE = "bikri/bikri.php"
VERSION = re.compile(r"^\d+(\.\d+){1,3}([-.]?[0-9A-Za-z]+)?$")
HEADER = re.compile(r"^[ \t/*#@]*(?P<name>Version|Requires at least|Requires PHP):[ \t]*(?P<value>\S[^\r\n]*)$", re.MULTILINE | re.IGNORECASE)


class ReleaseError(ValueError):
    """An upload or a console action that cannot be done; the message says why, for the operator."""


# --- the signing key --------------------------------------------------------------------------------


def _private_key() -> Ed25519PrivateKey:
    try:
        raw = base64.b64decode(current_app.config["RELEASE_SIGNING_KEY"], validate=True)
        return Ed25519PrivateKey.from_private_bytes(raw)
    except ValueError as error:
        raise RuntimeError("BIKRI_RELEASE_SIGNING_KEY must be base64 of 32 raw bytes") from error


def public_key() -> str:
    """The public half of the signing key, base64: what the plugin must ship (wp-plugin/includes/release-key.php)."""
    raw = _private_key().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def sign(data: bytes) -> str:
    return base64.b64encode(_private_key().sign(data)).decode("ascii")


# --- releases ------------------------------------------------------------------------------------


def version_key(version: str) -> tuple:
    """Versions compared as WordPress does for plain ones: 0.10.0 after 0.9.2."""
    parts = re.findall(r"\d+|[A-Za-z]+", version)
    return tuple((0, int(part)) if part.isdigit() else (-1, part) for part in parts)


def read_package(data: bytes) -> dict:
    """What the zip says of itself: the Version, Requires at least and Requires PHP headers of
    bikri/bikri.php. A zip that is not the plugin is refused."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if archive.testzip() is not None:
                raise ReleaseError(_("The zip is damaged."))
            names = archive.namelist()
            if PLUGIN_MAIN_FILE not in names or any(not name.startswith("bikri/") or ".." in name for name in names):
                raise ReleaseError(_("This is not the Bikri plugin: the zip must hold the folder bikri/ with bikri.php (the zip `make plugin` builds)."))
            main = archive.read(PLUGIN_MAIN_FILE)[:8192].decode("utf-8", "replace")
    except zipfile.BadZipFile:
        raise ReleaseError(_("The file is not a zip.")) from None
    headers = {match["name"].lower(): match["value"].strip() for match in HEADER.finditer(main)}
    version = headers.get("version", "")
    if not VERSION.match(version):
        raise ReleaseError(_("bikri.php in the zip has no usable Version header."))
    return {"version": version, "requires_wp": headers.get("requires at least"), "requires_php": headers.get("requires php")}


def _rollout(raw) -> int:
    text = str(raw if raw is not None else "").strip()
    if not text.isdigit() or not 0 <= int(text) <= 100:
        raise ReleaseError(_("The rollout is a whole percentage from 0 to 100."))
    return int(text)


def upload_release(data: bytes, changelog: str, *, version: str = "", rollout_percent=0, uploaded_by: str = "") -> PluginRelease:
    """Store a release: its zip, the version it declares, the changelog (plain text), signed now."""
    if not data:
        raise ReleaseError(_("Choose the plugin zip to upload."))
    if len(data) > current_app.config["PLUGIN_MAX_PACKAGE_BYTES"]:
        raise ReleaseError(_("The zip is too big."))
    found = read_package(data)
    version = (version or "").strip()
    if version and version != found["version"]:
        raise ReleaseError(_("The zip says version %(found)s, not %(typed)s.", found=found["version"], typed=version))
    version = found["version"]
    if db.session.execute(select(PluginRelease.id).where(PluginRelease.version == version)).first():
        raise ReleaseError(_("Version %(version)s was uploaded already; a release is never replaced. Build a new version.", version=version))
    changelog = (changelog or "").replace("\r\n", "\n").strip()
    if len(changelog) > 20000:
        raise ReleaseError(_("The changelog is too long."))
    release = PluginRelease(
        version=version, changelog=changelog, package=data, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        signature=sign(data), signing_key=public_key(), requires_wp=found["requires_wp"],
        requires_php=found["requires_php"], rollout_percent=_rollout(rollout_percent), status=ReleaseStatus.LIVE,
        uploaded_by=uploaded_by[:254],
    )
    db.session.add(release)
    db.session.flush()
    return release


def list_releases() -> list[PluginRelease]:
    releases = db.session.execute(select(PluginRelease)).scalars().all()
    return sorted(releases, key=lambda release: version_key(release.version), reverse=True)


def set_rollout(release: PluginRelease, percent) -> PluginRelease:
    if release.status != ReleaseStatus.LIVE:
        raise ReleaseError(_("Version %(version)s was rolled back; upload a new version instead.", version=release.version))
    release.rollout_percent = _rollout(percent)
    db.session.flush()
    return release


def rollback() -> tuple[PluginRelease, PluginRelease | None]:
    """Withdraw the newest live release: nobody is offered it any more, and the shops that
    installed it are offered the release before it (the plugin installs that one over it)."""
    live = [release for release in list_releases() if release.status == ReleaseStatus.LIVE]
    if not live:
        raise ReleaseError(_("There is no live release to roll back."))
    newest = live[0]
    newest.status = ReleaseStatus.WITHDRAWN
    newest.withdrawn_at = utcnow()
    db.session.flush()
    return newest, (live[1] if len(live) > 1 else None)


# --- what a shop gets ------------------------------------------------------------------------------


def rollout_bucket(site_id: int) -> int:
    """0-99, fixed per shop: a release at N % reaches the shops whose bucket is below N, so
    raising N only adds shops, and the same shops go first every time."""
    digest = hashlib.sha256(f"bikri-rollout:{site_id}".encode("ascii")).digest()
    return int.from_bytes(digest[:4], "big") % 100


def release_for(site_id: int, installed: str | None = None) -> tuple[PluginRelease | None, bool]:
    """The release this shop should run: the newest live one whose rollout includes it.
    Second value: it is a rollback (the shop runs a withdrawn version newer than that one)."""
    bucket = rollout_bucket(site_id)
    releases = list_releases()
    offered = next((r for r in releases if r.status == ReleaseStatus.LIVE and bucket < r.rollout_percent), None)
    rolled_back = False
    if installed and offered is not None and version_key(installed) > version_key(offered.version):
        rolled_back = any(r.version == installed and r.status == ReleaseStatus.WITHDRAWN for r in releases)
    return offered, rolled_back


def _tickets() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="bikri-plugin-download")


def download_ticket(site_id: int, release: PluginRelease) -> str:
    return _tickets().dumps({"s": site_id, "r": release.id})


def release_for_ticket(ticket: str, site_id: int) -> PluginRelease | None:
    """The release a download ticket names, when it is this shop's, not expired, and the
    release is still live; None otherwise (the route answers 404, whatever the reason)."""
    try:
        payload = _tickets().loads(ticket, max_age=current_app.config["PLUGIN_DOWNLOAD_TICKET_SECONDS"])
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(payload, dict) or payload.get("s") != site_id:
        return None
    release = db.session.get(PluginRelease, payload.get("r"))
    if release is None or release.status != ReleaseStatus.LIVE:
        return None
    return release


def package_of(release_id: int) -> bytes:
    """The zip's bytes (deferred on the model: only the download reads them)."""
    return db.session.execute(select(PluginRelease.package).where(PluginRelease.id == release_id)).scalar_one()
