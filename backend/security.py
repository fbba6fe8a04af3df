"""Tokens, license keys, tickets and the encryption of stored secrets.

Tokens and keys are random and long, so a plain SHA-256 is enough to store them: nobody
can brute-force 256 bits, and a fast hash keeps bearer authentication cheap.
"""
import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

LICENSE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: keys are typed by people


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_license_key() -> str:
    groups = ["".join(secrets.choice(LICENSE_ALPHABET) for _ in range(5)) for _ in range(5)]
    return "BIKRI-" + "-".join(groups)


def normalise_license_key(key: str) -> str:
    return (key or "").strip().upper()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _fernet() -> Fernet:
    digest = hashlib.sha256(("bikri-secrets:" + current_app.config["SECRET_KEY"]).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_secret(plain: str | None) -> str | None:
    if plain is None or plain == "":
        return None
    return _fernet().encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt_secret(stored: str | None) -> str | None:
    if not stored:
        return None
    try:
        return _fernet().decrypt(stored.encode("ascii")).decode("utf-8")
    except InvalidToken:
        return None


def mask_secret(plain: str | None) -> str:
    if not plain:
        return ""
    return "…" + plain[-4:]


def _embed_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="bikri-embed-session")


def sign_embed_session(payload: dict) -> str:
    return _embed_serializer().dumps(payload)


def read_embed_session(value: str, max_age: int) -> dict | None:
    try:
        return _embed_serializer().loads(value, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None


def keyed_hash(purpose: str, value: str) -> str:
    """HMAC-SHA256 under the service's secret key, for short secrets such as 6-digit codes:
    a plain hash of one of a million codes is reversed by trying them all, this one is not
    without the key, which never sits in the database."""
    key = hashlib.sha256(f"bikri-{purpose}:{current_app.config['SECRET_KEY']}".encode("utf-8")).digest()
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def export_key(token_hash: str) -> str:
    """The key the service signs its requests to the plugin's order export with
    (wp-plugin/includes/class-bikri-export-route.php).

    HMAC under the service's secret key of the site's stored token hash: the service recomputes
    it for every request from what it stores plus a secret that never sits in the database, so
    a copy of the database alone (token hashes and all) cannot sign for any shop. The plugin
    cannot compute it (it lacks the secret key): the service hands it over in the activation
    answer and in every config pull (GET /api/v1/checkout/config), both behind the site's
    bearer token. A new token (re-activation) gives a new key; so does a new BIKRI_SECRET_KEY,
    which each plugin then picks up on its next config pull (every 5 minutes).

    It also keys the checkout OTP proofs (version 2), under a context string of their own:
    backend/checkout/service.py, PROOF_CONTEXTS.
    """
    return keyed_hash("export-key", token_hash)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
