"""Settings, read from environment variables once, when the app is created."""
import base64
import os
import secrets
from pathlib import Path

INSTANCE_DIR = Path(os.environ.get("BIKRI_INSTANCE_DIR", Path(__file__).resolve().parent.parent / "instance"))


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{INSTANCE_DIR / 'bikri.sqlite3'}"
    # Hosting providers hand out postgres:// URLs; SQLAlchemy wants the driver named.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _kept_key(variable: str, filename: str, generate) -> str:
    """The key the environment's `variable` sets, else one a development machine keeps in
    instance/`filename` (made once by `generate()`), so that what it protects survives a restart."""
    key = os.environ.get(variable, "").strip()
    if key:
        return key
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / filename
    if not path.exists():
        path.write_text(generate())
        path.chmod(0o600)
    return path.read_text().strip()


def _secret_key() -> str:
    # A development machine without a configured key keeps one in instance/, so that
    # encrypted secrets and sessions survive a restart. Production sets BIKRI_SECRET_KEY.
    return _kept_key("BIKRI_SECRET_KEY", "secret_key", lambda: secrets.token_urlsafe(48))


def _release_signing_key() -> str:
    """The Ed25519 private key plugin releases are signed with (P8), base64 of its 32 raw bytes.
    Production sets BIKRI_RELEASE_SIGNING_KEY and builds the plugin with the matching public key
    (BIKRI_RELEASE_PUBLIC_KEY=... make plugin; `flask releases public-key` prints it). A
    development machine without one keeps a generated key in instance/, like the secret key."""
    return _kept_key("BIKRI_RELEASE_SIGNING_KEY", "release_signing_key",
                     lambda: base64.b64encode(secrets.token_bytes(32)).decode("ascii"))


class Config:
    def __init__(self):
        self.SECRET_KEY = _secret_key()
        self.SQLALCHEMY_DATABASE_URI = _database_url()
        self.RELEASE_SIGNING_KEY = _release_signing_key()
        # a plugin download URL (a signed ticket for one shop and one release) works this long
        self.PLUGIN_DOWNLOAD_TICKET_SECONDS = 600
        # the largest release zip the console takes (the rest of the service refuses > 1 MB)
        self.PLUGIN_MAX_PACKAGE_BYTES = 20 * 1024 * 1024
        # no pool_pre_ping: extensions._ping_if_idle asks only connections that sat idle
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 1800}

        self.PUBLIC_URL = os.environ.get("BIKRI_PUBLIC_URL", "http://localhost:5000").rstrip("/")
        self.DEMO_MODE = os.environ.get("BIKRI_DEMO", "") == "1"
        # demo only: the sandbox store that answers the demo shop's WooCommerce REST API
        self.DEMO_WOOCOMMERCE_URL = os.environ.get("BIKRI_DEMO_WOOCOMMERCE_URL", "")
        # Anything bigger than 1 MB is refused before a view reads it.
        self.MAX_CONTENT_LENGTH = 1024 * 1024
        # The work model (backend/tasks): the broker (redis://, amqp:// for RabbitMQ, inline:// for
        # unit tests), the Redis every process shares locks and limits in, and a namespace that
        # keeps two Bikris (the demo beside the tests) apart on one Redis or RabbitMQ.
        self.REDIS_URL = os.environ.get("BIKRI_REDIS_URL", "redis://127.0.0.1:6379/0")
        self.BROKER_URL = os.environ.get("BIKRI_BROKER_URL", self.REDIS_URL)
        self.QUEUE_NAMESPACE = os.environ.get("BIKRI_QUEUE_NAMESPACE", "bikri")
        self.WORKER_THREADS = int(os.environ.get("BIKRI_WORKER_THREADS", "16"))
        # SMS sends a second the SMS operator allows Bikri as a whole, held across every worker
        # (coordination.take_turn); 0: no limit
        self.SMS_GATEWAY_RATE = float(os.environ.get("BIKRI_SMS_GATEWAY_RATE", "0"))
        # The SMS gateways' replies (MO callbacks, `POST /api/sms/inbound?gateway=<key>`): a shared
        # secret per gateway, "ssl_wireless=<secret>,other=<secret>"; a gateway without one is refused
        self.SMS_INBOUND_SECRETS = dict(
            pair.split("=", 1) for pair in os.environ.get("BIKRI_SMS_INBOUND_SECRETS", "").split(",") if "=" in pair)
        # bulk tasks one shop may run at once, across all workers
        self.BULK_CONCURRENCY_PER_SHOP = int(os.environ.get("BIKRI_BULK_CONCURRENCY_PER_SHOP", "8"))
        # Redis broker: a worker that has not been heard from for this long is dead, and the
        # messages it held go back to their queue (the tests of a killed worker use ~2 s); the
        # check runs on this many broker calls in a million (dramatiq's default, 1000, left a
        # killed worker's tasks waiting for minutes on quiet queues; each check is one small script)
        self.TASK_HEARTBEAT_MS = int(os.environ.get("BIKRI_TASK_HEARTBEAT_MS", "30000"))
        self.TASK_MAINTENANCE_CHANCE = int(os.environ.get("BIKRI_TASK_MAINTENANCE_CHANCE", "10000"))
        # the scheduler (backend/jobs): a job's interval in seconds instead of the table's
        # ("sync_backfill=10,apply_event_inbox=5"), and how long a shop's lock outlives a killed
        # worker (renewed every third of it while the work runs; tests shorten it). 30 s and the
        # backfill's 15 s tick: a killed backfill resumes within a minute.
        self.JOB_INTERVALS = {name.strip(): float(seconds) for name, _, seconds in
                              (pair.partition("=") for pair in os.environ.get("BIKRI_JOB_INTERVALS", "").split(","))
                              if name.strip()}
        self.SHOP_LOCK_SECONDS = int(os.environ.get("BIKRI_SHOP_LOCK_SECONDS", "30"))
        self.RATELIMIT_STORAGE_URI = os.environ.get("BIKRI_RATELIMIT_STORAGE", "memory://")
        self.RATELIMIT_HEADERS_ENABLED = True
        self.ACTIVATION_RATE_LIMIT = os.environ.get("BIKRI_ACTIVATION_RATE_LIMIT", "10 per minute;60 per hour")
        self.OPERATOR_LOGIN_RATE_LIMIT = os.environ.get("BIKRI_OPERATOR_LOGIN_RATE_LIMIT", "10 per minute")
        # Nagad's callback and its progress page are public: per address
        self.PAYMENT_CALLBACK_RATE_LIMIT = os.environ.get("BIKRI_PAYMENT_CALLBACK_RATE_LIMIT", "60 per minute")
        # Behind a reverse proxy, how many proxies to trust for the client IP.
        self.PROXY_COUNT = int(os.environ.get("BIKRI_PROXY_COUNT", "0"))
        self.EMBED_TICKET_SECONDS = 60
        self.EMBED_SESSION_SECONDS = int(os.environ.get("BIKRI_EMBED_SESSION_SECONDS", str(8 * 3600)))
        self.LAST_SEEN_RESOLUTION_SECONDS = 60
        # Order sync with WooCommerce (backend/sync).
        self.WOOCOMMERCE_TIMEOUT = float(os.environ.get("BIKRI_WOOCOMMERCE_TIMEOUT", "30"))
        self.WOOCOMMERCE_EVENT_FETCH_TIMEOUT = 5.0  # inside a request: fail fast, reconciliation catches up
        # A CA bundle to verify shops' certificates with (tests: the sandbox's); default: the system's.
        self.WOOCOMMERCE_CA_BUNDLE = os.environ.get("BIKRI_WOOCOMMERCE_CA_BUNDLE") or None
        # Shops must be on the public internet (backend/integrations/shop_http.py). The demo and the
        # tests run their stores on 127.0.0.1 and set this; production leaves it off.
        self.ALLOW_PRIVATE_SHOP_HOSTS = os.environ.get("BIKRI_ALLOW_PRIVATE_SHOP_HOSTS", "") == "1"
        # A transaction holding writes when an adapter asks the outside world (backend/commits.py,
        # `on_asking`): refused with this set (the tests, so a flow that forgot its step fails
        # there), logged otherwise (production keeps working while the flow is fixed).
        self.REFUSE_WRITES_ACROSS_REMOTE_CALLS = os.environ.get("BIKRI_REFUSE_WRITES_ACROSS_REMOTE_CALLS", "") == "1"
        # A crashed sync frees its site after this; renewed every page, so it must outlast one slow
        # page with its retries (30 s timeout × 4 attempts).
        self.SYNC_LEASE_SECONDS = 300
        self.SYNC_BACKFILL_BUDGET_SECONDS = 300  # per job run; the next run resumes from the cursor
        self.SYNC_EXPORT_REPROBE_SECONDS = 6 * 3600  # ask again whether the plugin offers the order export
        self.SYNC_RECONCILE_OVERLAP_SECONDS = 120  # re-read a little before the checkpoint: late commits, clock skew
        self.SEEN_EVENTS_KEEP_DAYS = 14
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.PUBLIC_URL.startswith("https://")
        self.BABEL_DEFAULT_LOCALE = "en"
        self.BABEL_DEFAULT_TIMEZONE = "Asia/Dhaka"
        self.BABEL_TRANSLATION_DIRECTORIES = str(Path(__file__).resolve().parent / "translations")
        self.LANGUAGES = ["en", "bn"]
        self.API_TITLE = "Bikri"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api/docs"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.OPENAPI_SWAGGER_UI_PATH = "/"
        self.OPENAPI_SWAGGER_UI_URL = "https://cdn.jsdelivr.net/npm/swagger-ui-dist/"
        self.JSON_SORT_KEYS = False
        self.SMS_GATEWAY_TIMEOUT = float(os.environ.get("BIKRI_SMS_GATEWAY_TIMEOUT", "10"))
        # Email out of the service (low-stock alerts), see backend/integrations/mail.py for the
        # address's form (smtp://user:password@host:587?from=alerts@example.com); empty: no email
        self.SMTP_URL = os.environ.get("BIKRI_SMTP_URL", "").strip()
        self.SMTP_TIMEOUT = float(os.environ.get("BIKRI_SMTP_TIMEOUT", "20"))
        # Meta's Graph API (Conversions API); tests and the demo point it at backend/sandbox/meta_graph.py
        self.META_GRAPH_URL = os.environ.get("BIKRI_META_GRAPH_URL", "https://graph.facebook.com")
        # Couriers: where each courier's API is (its production address unless set, e.g. to a
        # sandbox) and how many requests a second we allow ourselves per shop account.
        self.COURIERS = {
            "steadfast": {
                "base_url": os.environ.get("BIKRI_STEADFAST_BASE_URL", "").strip() or None,
                "requests_per_second": float(os.environ["BIKRI_STEADFAST_RATE"]) if os.environ.get("BIKRI_STEADFAST_RATE") else None,
            },
        }
        self.COURIER_TIMEOUT = float(os.environ.get("BIKRI_COURIER_TIMEOUT", "20"))
        # A booking job's task books this many orders: one courier bulk call and one WooCommerce
        # orders/batch call (100 at most) each; tests lower it to have several tasks
        self.BOOKING_ORDERS_PER_TASK = int(os.environ.get("BIKRI_BOOKING_ORDERS_PER_TASK", "100"))
        # One polling run stops dispatching after this long (the job's lease is 10 minutes);
        # what it did not reach is still due and goes first in the next run.
        self.COURIER_POLL_SECONDS = float(os.environ.get("BIKRI_COURIER_POLL_SECONDS", "240"))
        # Fraud check (F1): a phone's latest check is shown again for this many hours instead of
        # asking the couriers (their allowance is ~10-20 look-ups a day); a re-check forces a fresh
        # one, at most FRAUD_FORCED_CHECKS_PER_HOUR times per shop.
        # Anyone can start a checkout, so reminders (paid SMS) are capped: one reminder series per
        # phone a day, and at most this many reminder SMS per shop a day.
        self.ABANDONED_REMINDERS_PER_DAY = int(os.environ.get("BIKRI_ABANDONED_REMINDERS_PER_DAY", "300"))
        self.ABANDONED_CAPTURES_PER_HOUR = int(os.environ.get("BIKRI_ABANDONED_CAPTURES_PER_HOUR", "1000"))
        self.FRAUD_CHECK_CACHE_HOURS = float(os.environ.get("BIKRI_FRAUD_CHECK_CACHE_HOURS", "12"))
        self.FRAUD_FORCED_CHECKS_PER_HOUR = int(os.environ.get("BIKRI_FRAUD_FORCED_CHECKS_PER_HOUR", "20"))
        # A bKash recharge not paid within this many minutes is shown "expired". bKash publishes no
        # lifetime for a created payment; the id_token it was created under lives 60 minutes, and a
        # payer finishes bKash's page (wallet, OTP, PIN) in a few, so an hour is well past any payer.
        # A payment made later still credits the wallet (the callback asks bKash as ever).
        self.BKASH_PAYMENT_WINDOW_MINUTES = float(os.environ.get("BIKRI_BKASH_PAYMENT_WINDOW_MINUTES", "60"))
        # bKash tokenized checkout, for SMS wallet recharges (K3)
        self.BKASH = {
            "base_url": os.environ.get("BIKRI_BKASH_BASE_URL", ""),
            "app_key": os.environ.get("BIKRI_BKASH_APP_KEY", ""),
            "app_secret": os.environ.get("BIKRI_BKASH_APP_SECRET", ""),
            "username": os.environ.get("BIKRI_BKASH_USERNAME", ""),
            "password": os.environ.get("BIKRI_BKASH_PASSWORD", ""),
            "timeout": float(os.environ.get("BIKRI_BKASH_TIMEOUT", "30")),
        }
