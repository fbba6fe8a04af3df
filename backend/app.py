"""create_app() is the only way to get a Bikri app: the web process, the jobs process and the tests all use it."""
import importlib
import logging
import os
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app, g, has_request_context, jsonify, request
from flask_babel import get_locale
from sqlalchemy import event, text
from werkzeug.middleware.proxy_fix import ProxyFix

from backend.config import Config, INSTANCE_DIR
from backend.errors import register_error_handlers
from backend.extensions import api, babel, db, limiter, migrate
from backend.validation_messages import install as _install_validation_messages

# marshmallow's messages must be translatable before any schema class is built
_install_validation_messages()

# after the install: these modules build schemas (or import modules that do) when imported
import backend.districts  # noqa: E402,F401  (registers the "district" labels)
from backend import commits, formatting, labels  # noqa: E402
from backend.api import authenticate_api_request  # noqa: E402
from backend.cli import register_commands  # noqa: E402
from backend.embed.pages import alerts_for, header_items_for, help_link_for  # noqa: E402

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
    _declare_tasks()
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
# models.py (tables) and routes.py exporting API_BLUEPRINTS (flask-smorest, JSON under /api)
# and PAGE_BLUEPRINTS (plain Flask: embed views, consoles). A new domain is one word here.
DOMAINS = ["licensing", "embed", "operator", "jobs", "tasks", "activity", "sms", "orders", "sync", "desk", "dashboard", "checkout",
           "couriers", "fraud", "abandoned", "updates", "customers", "inventory", "adtracking", "notifications",
           "guide", "ideas", "help", "livechat", "wishlist", "support", "loyalty"]


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
    # and before any adapter asks the outside world, a transaction that only read is ended
    commits.connect()


def _declare_tasks():
    # Each domain's tasks.py declares what its workers run (backend/tasks); a worker process
    # must know every task, whichever domain queued it.
    for domain in DOMAINS:
        _domain_module(domain, "tasks")


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
        # One commit per request, when it succeeded or its error said what it wrote must stay
        # (`ApiError(keeps_writes=True)`); operations themselves only flush.
        if response.status_code < 400 or g.pop("keep_writes", False):
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
    # Words for stored values live in each domain's labels.py (backend/labels.py is the registry);
    # numbers, money and dates in backend/formatting.py. Both reach every template from here.
    for domain in DOMAINS:
        _domain_module(domain, "labels")

    def label_of(kind):
        return lambda value, fallback=None: labels.label(kind, value, fallback)

    app.jinja_env.globals.update(
        page_alerts=alerts_for,
        page_header_items=header_items_for,
        page_help_link=help_link_for,
        timedelta_days=lambda days: timedelta(days=days),
        current_locale=lambda: str(get_locale() or "en"),
        **labels.template_globals(),
        **formatting.template_globals(),
        # the names templates used before the registry, each one kind of label
        field_label=label_of("sms_field"),
        purpose_label=label_of("sms_purpose"),
        purpose_labels=lambda: labels.labels("sms_purpose"),
        recharge_status=label_of("recharge_status"),
        recharge_method=label_of("recharge_method"),
        role_label=label_of("role"),
        status_label=label_of("license_status"),
    )
