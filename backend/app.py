"""create_app() is the only way to get a Bikri app: the web process, the jobs process and the tests all use it."""
import importlib
import logging
import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from flask import Flask, current_app, g, has_request_context, jsonify, request
from flask_babel import format_date, format_datetime, get_locale, gettext as _
from sqlalchemy import event, text
from werkzeug.middleware.proxy_fix import ProxyFix

from backend.api import authenticate_api_request
from backend.cli import register_commands
from backend.config import Config, INSTANCE_DIR
from backend.embed.pages import alerts_for
from backend.errors import register_error_handlers
from backend.extensions import api, babel, db, limiter, migrate

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_object(Config())
    if overrides:
        app.config.update(overrides)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # SQLite has one writer at a time: wait for the lock instead of failing under load.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "connect_args": {"timeout": 30}}
    if app.config["PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"], x_proto=app.config["PROXY_COUNT"])
    # BIKRI_LOG_LEVEL=WARNING quiets the INFO lines (every job run); `make run` uses it
    logging.basicConfig(level=os.environ.get("BIKRI_LOG_LEVEL", "INFO").upper())

    _import_models()
    _connect_listeners()
    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _use_sqlite_wal(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    api.init_app(app)

    register_error_handlers(app)
    _register_blueprints(app)
    _register_request_hooks(app)
    _register_template_helpers(app)

    register_commands(app)

    @app.get("/healthz")
    def healthz():
        try:
            db.session.execute(text("SELECT 1"))
        except Exception:  # the database is down: say so, do not crash
            return jsonify({"status": "error", "database": "unreachable"}), 503
        return jsonify({"status": "ok", "database": "ok"})

    return app


# The domains, in the order their tables and routes are wired. A domain package may have
# models.py (tables), routes.py exporting API_BLUEPRINTS (flask-smorest, JSON under /api)
# and PAGE_BLUEPRINTS (plain Flask: embed views, consoles), and listeners.py whose connect()
# subscribes to lower layers' signals (docs/architecture.md, "Signals"). A new domain is one
# word here.
DOMAINS = ["licensing", "embed", "operator", "jobs", "sms", "orders", "sync", "desk", "dashboard", "checkout",
           "couriers", "fraud", "abandoned"]


def _domain_module(domain, name):
    try:
        return importlib.import_module(f"backend.{domain}.{name}")
    except ModuleNotFoundError as error:
        if error.name == f"backend.{domain}.{name}":
            return None
        raise


def _use_sqlite_wal(app):
    """The web and jobs processes share an SQLite file: with WAL, pages keep reading while a
    job writes, and a writer waits (busy timeout) instead of failing at once."""
    with app.app_context():
        @event.listens_for(db.engine, "connect")
        def _wal(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()


def _import_models():
    # Every model module is imported here so that Alembic and the tests see all tables.
    for domain in DOMAINS:
        _domain_module(domain, "models")


def _connect_listeners():
    # Signals are sent inside the writers' transactions; a listener not connected would leave
    # its read model behind silently, so every domain's listeners are connected here, at once.
    for domain in DOMAINS:
        listeners = _domain_module(domain, "listeners")
        if listeners is not None:
            listeners.connect()


def _register_blueprints(app):
    for domain in DOMAINS:
        routes = _domain_module(domain, "routes")
        for blueprint in getattr(routes, "API_BLUEPRINTS", []):
            api.register_blueprint(blueprint)
        for blueprint in getattr(routes, "PAGE_BLUEPRINTS", []):
            app.register_blueprint(blueprint)
    if app.config["DEMO_MODE"]:
        # here, not at the top: production never loads the demo shop (only `make run` sets DEMO_MODE)
        from backend.demo.routes import blp as demo_pages
        app.register_blueprint(demo_pages)


def _register_request_hooks(app):
    app.before_request(authenticate_api_request)

    @app.after_request
    def finish(response):
        # One commit per request, only when it succeeded; operations themselves only flush.
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        _set_framing_headers(response)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


def _set_framing_headers(response):
    """Deny framing everywhere except embed pages, which allow exactly their shop's origin."""
    ancestors = g.get("frame_ancestors")
    if ancestors:
        response.headers.pop("X-Frame-Options", None)
        response.headers["Content-Security-Policy"] = (
            f"frame-ancestors {ancestors}; default-src 'self'; script-src 'self'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'self'"
        )
    else:
        response.headers["X-Frame-Options"] = "DENY"
        if not request.path.startswith("/api/docs"):
            response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"


def _select_locale():
    user = g.get("embed_user")
    if user is not None:
        return user.locale
    if not has_request_context():
        return "en"  # the jobs process and CLI: messages they make (courier errors) go to logs and rows in English
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"


def _register_template_helpers(app):
    role_labels = {"admin": lambda: _("Administrator"), "manager": lambda: _("Manager"), "staff": lambda: _("Staff")}
    status_labels = {
        "active": lambda: _("Active"), "suspended": lambda: _("Suspended"),
        "revoked": lambda: _("Revoked"), "expired": lambda: _("Expired"),
    }

    def money(value):
        value = Decimal(value or 0)
        two = value.quantize(Decimal("0.01"))
        return f"{two:,f}" if two == value else f"{value.quantize(Decimal('0.0001')):,f}"

    field_labels = {"phone": lambda: _("Mobile number"), "content": lambda: _("Message"), "amount": lambda: _("Amount"),
                    "purpose": lambda: _("Purpose"), "reference": lambda: _("Payment reference")}
    purposes = {"manual": lambda: _("Sent by hand"), "otp": lambda: _("Checkout code"), "order_status": lambda: _("Order updates"),
                "abandoned_cart": lambda: _("Cart reminders"), "marketing": lambda: _("Marketing")}
    recharge_statuses = {"pending": lambda: _("Waiting for payment"), "completed": lambda: _("Completed"),
                         "failed": lambda: _("Failed"), "cancelled": lambda: _("Cancelled"),
                         "expired": lambda: _("Expired"), "rejected": lambda: _("Rejected")}
    recharge_methods = {"bkash": lambda: _("bKash"), "manual": lambda: _("Bank transfer or other")}

    app.jinja_env.globals.update(
        page_alerts=alerts_for,
        money=money,
        timedelta_days=lambda days: timedelta(days=days),
        field_label=lambda name: field_labels.get(name, lambda: name)(),
        purpose_label=lambda name: purposes.get(name, lambda: name)(),
        purpose_labels=lambda: {name: label() for name, label in purposes.items()},
        recharge_status=lambda status: recharge_statuses.get(status, lambda: status)(),
        recharge_method=lambda method: recharge_methods.get(method, lambda: method)(),
        current_locale=lambda: str(get_locale() or "en"),
        role_label=lambda role: role_labels.get(role, lambda: role)(),
        status_label=lambda status: status_labels.get(status, lambda: status)(),
        # Babel's user time zone is Asia/Dhaka; naive datetimes are read as UTC and converted.
        dhaka_date=lambda dt: format_date(dt, "medium") if dt else "",
        dhaka_datetime=lambda dt: format_datetime(dt, "short") if dt else "—",
    )
