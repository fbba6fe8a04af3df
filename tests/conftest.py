"""Fixtures: a real database (SQLite file or a throwaway PostgreSQL database), migrated once
per run with Alembic, emptied before every test.

Pick the database with BIKRI_TEST_DB=sqlite (default) or BIKRI_TEST_DB=postgresql;
PostgreSQL is reached at BIKRI_TEST_PG (default postgresql://postgres@127.0.0.1:5432).
"""
import os
import re
import uuid

import pytest
from sqlalchemy import text

from backend.app import create_app
from backend.extensions import db, limiter
from backend.operator.service import create_operator
from backend.sandbox.server import SandboxServer
from backend.sandbox.steadfast import create_steadfast_app
from backend.sandbox.woocommerce import ApiKey, create_sandbox
from backend.sync import service as sync
from tests.databases import drop_in_the_background

PG_SERVER = os.environ.get("BIKRI_TEST_PG", "postgresql://postgres@127.0.0.1:5432")

# The sandbox stores run on 127.0.0.1, which production refuses as a shop's address
# (backend/integrations/shop_http.py). Set in the environment too: clients made outside an
# app and the service the e2e tests start read it from there. Tests of the refusal turn it off.
os.environ["BIKRI_ALLOW_PRIVATE_SHOP_HOSTS"] = "1"
# a flow that asks the outside world with writes open fails its test (backend/commits.py, on_asking)
os.environ["BIKRI_REFUSE_WRITES_ACROSS_REMOTE_CALLS"] = "1"


def _pg_admin(sql: str):
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    kind = os.environ.get("BIKRI_TEST_DB", "sqlite")
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'bikri-test.sqlite3'}"
        return
    if kind != "postgresql":
        raise pytest.UsageError(f"BIKRI_TEST_DB must be sqlite or postgresql, not {kind!r}")
    name = f"bikri_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    yield f"{PG_SERVER.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    drop_in_the_background(PG_SERVER, name)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    os.environ.setdefault("BIKRI_INSTANCE_DIR", str(tmp_path_factory.mktemp("instance")))
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PUBLIC_URL": "http://bikri.test",
        "ACTIVATION_RATE_LIMIT": "1000 per minute",
        "ALLOW_PRIVATE_SHOP_HOSTS": True,
        # unit tests run each task right after its caller commits; tests/tasks run real
        # workers on a real broker (the `workers` fixture)
        "BROKER_URL": "inline://",
        "QUEUE_NAMESPACE": f"bikri-test-{os.getpid()}",
    })
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        # rows the migrations seed (default prices, settings), put back before every test
        app.seed_rows = {
            table.name: [dict(row) for row in db.session.execute(table.select()).mappings()]
            for table in db.metadata.sorted_tables
        }
        app.seed_rows = {name: rows for name, rows in app.seed_rows.items() if rows}
    return app


@pytest.fixture(autouse=True)
def restore_config(app):
    """The app lives for the whole run: a setting a test changes (a budget of 0 seconds, say)
    is put back after it, so no later test runs under it."""
    saved = dict(app.config)
    yield
    app.config.clear()
    app.config.update(saved)


@pytest.fixture(autouse=True)
def clean_database(app):
    """Every test starts from empty tables (the schema comes from the migrations, once)."""
    with app.app_context():
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]  # children before parents
        if db.engine.dialect.name == "postgresql":
            _empty_postgresql(tables)
        else:
            for table in tables:
                db.session.execute(text(f"DELETE FROM {table}"))
        for table in db.metadata.sorted_tables:
            if app.seed_rows.get(table.name):
                db.session.execute(table.insert(), app.seed_rows[table.name])
                if db.engine.dialect.name == "postgresql" and "id" in table.c:
                    # the rows came back with their ids; move the sequence past them
                    db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM {table.name}))"))
        db.session.commit()
        limiter.reset()
    yield
    with app.app_context():
        db.session.remove()


def _empty_postgresql(tables: list[str]) -> None:
    """Empty the tables a test wrote to and put their id sequences back to 1. TRUNCATE of every
    table took 300–600 ms a test (PostgreSQL makes new files for each of the ~100 tables and
    their indexes), most of the PostgreSQL suite's time; a test writes to a few, which one
    probe finds, and a DELETE of a few rows is instant."""
    probe = " UNION ALL ".join(f"SELECT '{name}' FROM (SELECT 1 FROM \"{name}\" LIMIT 1) AS a_row"
                               for name in tables)
    written = set(db.session.execute(text(probe)).scalars())
    for name in tables:  # in the order given: rows that refer to others go first
        if name in written:
            db.session.execute(text(f'DELETE FROM "{name}"'))
    # a sequence handed out a value (even for a row rolled back) starts again at 1, as
    # TRUNCATE ... RESTART IDENTITY did
    db.session.execute(text("SELECT setval(format('%I.%I', schemaname, sequencename), 1, false) "
                            "FROM pg_sequences WHERE last_value IS NOT NULL"))


@pytest.fixture
def workers(app, database_url, tmp_path):
    """Real worker processes on a real broker (BIKRI_TEST_BROKER, default Redis): the app
    enqueues there for this test, and `workers.start(...)` starts `flask worker` processes on
    the test database. Each test has its own queue namespace; its workers are killed after it."""
    handle = WorkerProcesses(app, database_url, tmp_path)
    yield handle
    handle.stop_all()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class WorkerProcesses:
    def __init__(self, app, database_url, tmp_path):
        self.app, self.database_url, self.tmp_path = app, database_url, tmp_path
        self.namespace = f"bikri-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        app.config["BROKER_URL"] = os.environ.get("BIKRI_TEST_BROKER", "redis://127.0.0.1:6379/0")
        app.config["QUEUE_NAMESPACE"] = self.namespace
        self.processes = []

    def environment(self, **extra) -> dict:
        config = self.app.config
        return {**os.environ, "DATABASE_URL": self.database_url, "BIKRI_SECRET_KEY": config["SECRET_KEY"],
                "BIKRI_BROKER_URL": config["BROKER_URL"], "BIKRI_REDIS_URL": config["REDIS_URL"],
                "BIKRI_QUEUE_NAMESPACE": self.namespace, "BIKRI_PUBLIC_URL": config["PUBLIC_URL"],
                "BIKRI_ALLOW_PRIVATE_SHOP_HOSTS": "1", "BIKRI_LOG_LEVEL": "INFO",
                "BIKRI_BULK_CONCURRENCY_PER_SHOP": str(config["BULK_CONCURRENCY_PER_SHOP"]),
                **{name: str(value) for name, value in extra.items()}}

    def use_broker(self, url):
        """Another broker than BIKRI_TEST_BROKER for this test (RabbitMQ: amqp://...): the app
        sends there, the workers started after this consume there."""
        self.app.config["BROKER_URL"] = url

    def start(self, lanes=("otp", "transactional", "bulk"), threads=8, imports=(), **env):
        """Start one worker process for `lanes`; returns once it consumes. `imports`: test
        modules that declare tasks of their own, imported before the app is made (the same
        modules the test imports, so both sides know those tasks)."""
        import subprocess
        import sys
        import time

        log_path = self.tmp_path / f"worker-{len(self.processes)}.log"
        log = open(log_path, "w")
        command = [sys.executable, "-m", "flask"]
        if imports:
            bootstrap = ("import importlib, sys; [importlib.import_module(m) for m in sys.argv.pop(1).split(',')]; "
                         "from flask.cli import main; sys.argv[0] = 'flask'; main()")
            command = [sys.executable, "-c", bootstrap, ",".join(imports)]
        command += ["--app", "backend.app", "worker", "--threads", str(threads)]
        for lane in lanes:
            command += ["--lane", lane]
        process = subprocess.Popen(command, env=self.environment(**env), stdout=log, stderr=subprocess.STDOUT)
        process.log_path = log_path
        self.processes.append(process)
        # generous: a worker imports the whole app, which takes seconds when the machine is busy
        # (CI runs the SQLite and PostgreSQL suites side by side); a quick start costs no wait
        deadline = time.monotonic() + 90
        while "started with" not in log_path.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{log_path.read_text()}")
            time.sleep(0.05)
        return process

    def stop_all(self):
        import redis

        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(10)
        client = redis.Redis.from_url(self.app.config["REDIS_URL"])
        for key in client.scan_iter(f"{self.namespace}*"):
            client.delete(key)
        if self.app.config["BROKER_URL"].startswith("amqp"):
            self._delete_rabbitmq_queues()

    def _delete_rabbitmq_queues(self):
        """RabbitMQ keeps a test's queues ("<namespace>.<lane>", its .DQ and .XQ) until deleted."""
        import pika

        from backend.tasks import LANES

        connection = pika.BlockingConnection(pika.URLParameters(self.app.config["BROKER_URL"]))
        try:
            channel = connection.channel()
            for lane in LANES:
                for suffix in ("", ".DQ", ".XQ"):
                    channel.queue_delete(f"{self.namespace}.{lane}{suffix}")
        finally:
            connection.close()


class Shop:
    """A licensed, activated site as the plugin sees it: its key, token and helpers."""

    def __init__(self, client, key, site_id, token, url):
        self.client, self.key, self.site_id, self.token, self.url = client, key, site_id, token, url

    @property
    def auth(self):
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path, **kw):
        return self.client.get(path, headers={**self.auth, **kw.pop("headers", {})}, **kw)

    def post(self, path, **kw):
        return self.client.post(path, headers={**self.auth, **kw.pop("headers", {})}, **kw)

    def open_page(self, page="home", role="administrator", name="Rahima Akter", user_id=1, locale=None):
        """Do what the plugin and the browser do: fetch a ticket, open the page, read the session."""
        body = {"wp_user_id": user_id, "display_name": name, "role": role, "page": page}
        if locale:
            body["locale"] = locale
        ticket = self.post("/api/v1/embed/tickets", json=body)
        assert ticket.status_code == 201, ticket.json
        response = self.client.get(ticket.json["url"].removeprefix("http://bikri.test"))
        match = re.search(r'name="bikri-session" content="([^"]+)"', response.get_data(as_text=True))
        return response, (match.group(1) if match else None)


@pytest.fixture
def make_license(app):
    def make(email="owner@shop.test", sites=1, days=30, plan="standard"):
        from backend.licensing.service import create_license

        with app.app_context():
            license, key = create_license(email, sites=sites, days=days, plan=plan)
            db.session.commit()
            return license.id, key
    return make


@pytest.fixture
def make_shop(client, make_license):
    def make(url="https://shop-a.example.com", sites=1, **license_kw):
        _license_id, key = make_license(sites=sites, **license_kw)
        response = client.post("/api/v1/sites/activate", json={"license_key": key, "site_url": url})
        assert response.status_code == 201, response.json
        return Shop(client, key, response.json["site_id"], response.json["token"], url)
    return make


@pytest.fixture
def shop(make_shop):
    return make_shop()


# --- the operators' console ---------------------------------------------------------

def form_token(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def sign_in(app, client, password):
    with app.app_context():
        create_operator("ops@bikri.test", "a-long-password")
        db.session.commit()
    token = form_token(client, "/operator/login")
    return token, client.post("/operator/login", data={"email": "ops@bikri.test", "password": password, "csrf_token": token})


@pytest.fixture
def operator_client(app, client):
    token, response = sign_in(app, client, "a-long-password")
    assert response.status_code == 302
    # signing in starts a new session, with a new form token
    client.csrf = form_token(client, "/operator/")
    assert client.csrf != token
    return client


# --- a sandbox WooCommerce store on a real socket, and a shop connected to it -----------

WC_KEY, WC_SECRET = "ck_test_0123456789abcdef0123456789abcdef01234567", "cs_test_0123456789abcdef0123456789abcdef01234567"


class SandboxStore:
    def __init__(self, app, url):
        self.app, self.url, self.data = app, url, app.store


@pytest.fixture
def make_store():
    servers = []

    def make(orders=250, seed=5, keys=None):
        app = create_sandbox(orders=orders, seed=seed, keys=keys or [ApiKey(WC_KEY, WC_SECRET)])
        server = SandboxServer(app)
        servers.append(server)
        return SandboxStore(app, server.start())
    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def store(make_store):
    return make_store()


@pytest.fixture
def connect_shop(client, make_license):
    """Activate a site at the store's address, handing over the WooCommerce key as the plugin does."""
    def connect(store, key=WC_KEY, secret=WC_SECRET):
        _license_id, license_key = make_license()
        response = client.post("/api/v1/sites/activate", json={
            "license_key": license_key, "site_url": store.url, "wc_consumer_key": key, "wc_consumer_secret": secret})
        assert response.status_code == 201, response.json
        return Shop(client, license_key, response.json["site_id"], response.json["token"], store.url)
    return connect


@pytest.fixture
def connected(store, connect_shop):
    return connect_shop(store)


@pytest.fixture
def make_synced(app, make_store, connect_shop):
    """A shop connected to a sandbox store of `orders` orders, its history and products backfilled."""
    def make(orders=120, seed=7):
        store = make_store(orders=orders, seed=seed)
        shop = connect_shop(store)
        with app.app_context():
            sync.run_backfill(shop.site_id)
            db.session.commit()
        shop.store = store
        return shop
    return make


@pytest.fixture
def steadfast(app):
    """The sandbox Steadfast on a real socket; this process's Steadfast address points at it
    (workers are pointed at `steadfast.url` by their environment)."""
    sandbox_app = create_steadfast_app()
    with SandboxServer(sandbox_app) as url:
        sandbox = sandbox_app.sandbox
        sandbox.url, sandbox.app = f"{url}/api/v1", sandbox_app  # (the app: what transactions_while_asked hears)
        # a new dict, not an update in place: restore_config puts the old one back after the test
        app.config["COURIERS"] = {**app.config["COURIERS"], "steadfast": {
            **app.config["COURIERS"]["steadfast"], "base_url": sandbox.url, "requests_per_second": 50.0}}
        yield sandbox
