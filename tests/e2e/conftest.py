"""Real parts for the browser test: the service under gunicorn on PostgreSQL, Debian's WordPress
with the plugin installed from dist/bikri.zip, served by PHP, and Debian's Chromium.

WordPress is at http://127.0.0.1:<port> and the service at http://localhost:<port2>: two
different sites, so the embedded pages are third-party inside wp-admin, as for real shops.
"""
import contextlib
import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import requests
from playwright.sync_api import expect

from tests.databases import drop_in_the_background

ROOT = Path(__file__).resolve().parents[2]
PG = os.environ.get("BIKRI_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # block third-party cookies, as the browsers shop staff use do
    "--test-third-party-cookie-phaseout",
]
ARTIFACTS = ROOT / "test-results"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, what: str, process: subprocess.Popen, seconds: int = 30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            requests.get(url, timeout=2, allow_redirects=False)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise RuntimeError(f"{what} did not answer at {url}")


@pytest.fixture(scope="session")
def sandboxes():
    """The SMS gateway, bKash and Steadfast stand-ins, on real sockets, for the service to call."""
    from backend.sandbox.bkash import BkashSandbox
    from backend.sandbox.server import SandboxServer
    from backend.sandbox.sms_gateway import create_sms_gateway_app
    from backend.sandbox.steadfast import create_steadfast_app

    sms_app, bkash_app, steadfast_app = create_sms_gateway_app(), BkashSandbox(), create_steadfast_app()
    servers = [SandboxServer(sms_app), SandboxServer(bkash_app), SandboxServer(steadfast_app)]
    for server in servers:
        server.start()
    sms_server, bkash_server, steadfast_server = servers
    yield {"sms": sms_app.sandbox, "sms_url": sms_server.url, "bkash": bkash_app,
           "bkash_config": bkash_app.gateway_config(bkash_server.url),
           "steadfast": steadfast_app.sandbox, "steadfast_url": f"{steadfast_server.url}/api/v1"}
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def service(tmp_path_factory, sandboxes):
    port = free_port()
    bkash = sandboxes["bkash_config"]
    name = f"bikri_e2e_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG}/{name}",
        "BIKRI_SECRET_KEY": "e2e-secret",
        "BIKRI_INSTANCE_DIR": str(tmp_path_factory.mktemp("service")),
        "BIKRI_BIND": f"127.0.0.1:{port}",
        "BIKRI_PUBLIC_URL": f"http://localhost:{port}",
        # WordPress and the service call each other (tickets one way, wc/v3 the other): enough
        # concurrent requests that neither waits on the other on this small machine
        "BIKRI_WEB_WORKERS": "3", "BIKRI_WEB_THREADS": "4",
        "BIKRI_BKASH_BASE_URL": bkash["base_url"], "BIKRI_BKASH_APP_KEY": bkash["app_key"],
        "BIKRI_BKASH_APP_SECRET": bkash["app_secret"], "BIKRI_BKASH_USERNAME": bkash["username"],
        "BIKRI_BKASH_PASSWORD": bkash["password"],
        "BIKRI_STEADFAST_BASE_URL": sandboxes["steadfast_url"],
        "BIKRI_QUEUE_NAMESPACE": name,  # the service and its workers share a queue nobody else uses
        # plugin releases are signed with the test key, whose public half the plugin ships (P8)
        "BIKRI_RELEASE_SIGNING_KEY": "oCnu1tP8r+AprTDmJM5EsfW4bMheLnPQKetYJE0gAmE=",
    }
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "service.log", "wb")
    process = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "backend.wsgi:app"],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    worker = worker_log = None
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", "the service", process)
        # the workers (issue 19): status changes, checks, balances and bKash run there, not in the web process
        worker_log = open(ARTIFACTS / "worker.log", "wb")
        worker = subprocess.Popen([str(ROOT / ".venv/bin/flask"), "--app", "backend.app", "worker", "--threads", "4",
                                   "--lane", "otp", "--lane", "transactional", "--lane", "bulk"],
                                  cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT)

        def cli(*args):
            result = subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "backend.app", *args],
                                    cwd=ROOT, env=env, capture_output=True, text=True, check=True)
            return result.stdout

        cli("sms", "gateway", "ssl_wireless", f"base_url={sandboxes['sms_url']}", "sid=BIKRIDEMO", "api_token=sandbox-api-token")
        def python(code: str) -> str:
            """Run Python in the service's app context (app, db in scope): a job run by hand, say."""
            prelude = "from backend.app import create_app\nfrom backend.extensions import db\napp = create_app()\n"
            body = "with app.app_context():\n" + "".join(f"    {line}\n" for line in code.strip().splitlines())
            result = subprocess.run([str(ROOT / ".venv/bin/python"), "-c", prelude + body], cwd=ROOT, env=env,
                                    capture_output=True, text=True, check=True)
            return result.stdout

        yield {"url": f"http://localhost:{port}", "cli": cli, "python": python, "database_url": env["DATABASE_URL"]}
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=20)
            worker_log.close()
        drop_in_the_background(PG, name)


def install_checkout_stand_in(site_dir: Path) -> None:
    """WooCommerce cannot be installed here: a must-use plugin gives WordPress a checkout-like
    page at /checkout-stand-in/ and a Store API checkout route that fire WooCommerce's own
    checkout hooks, and the Checkout block's extension points (integrations, slots, the Store
    API's cart and cart/extensions) (wp-plugin/tests/stand-ins/checkout-page.php)."""
    stand_ins = ROOT / "wp-plugin" / "tests" / "stand-ins"
    mu_plugins = Path(site_dir) / "wp-content" / "mu-plugins"
    (mu_plugins / "bikri-stand-ins").mkdir(parents=True, exist_ok=True)
    for name in ("woocommerce-checkout.php", "woocommerce-cart.php", "woocommerce-blocks.php"):
        shutil.copy(stand_ins / name, mu_plugins / "bikri-stand-ins" / name)
    shutil.copy(stand_ins / "checkout-page.php", mu_plugins / "bikri-checkout-stand-in.php")


@contextlib.contextmanager
def make_wordpress(service, tmp_path_factory, mu_plugins: dict | None = None):
    """A fresh WordPress with the plugin from dist/bikri.zip, served until the block ends.

    `mu_plugins` ({file name: PHP source, or a function of the site's URL giving it}) are
    written into wp-content/mu-plugins before the site is served: test-only stand-ins."""
    zip_path = ROOT / "dist" / "bikri.zip"
    assert zip_path.exists(), "build the plugin first: make plugin"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    site_dir = tmp_path_factory.mktemp("wordpress") / "site"
    db_name = f"bikri_e2e_wp_{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "WP_HOME": url, "BIKRI_SERVICE_URL": service["url"],
           "WP_ADMIN_USER": "admin", "WP_ADMIN_PASSWORD": "admin-pass-123"}
    subprocess.run(["bash", str(ROOT / "scripts/wp/setup.sh"), str(site_dir), db_name, str(zip_path)],
                   env=env, check=True, capture_output=True)
    install_checkout_stand_in(site_dir)
    for name, source in (mu_plugins or {}).items():
        (site_dir / "wp-content" / "mu-plugins" / name).write_text(source(url) if callable(source) else source)
    log = open(ARTIFACTS / f"wordpress-{db_name}.log", "wb")
    process = subprocess.Popen(["bash", str(ROOT / "scripts/wp/serve.sh"), str(site_dir), str(port)],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(f"{url}/wp-login.php", "WordPress", process)
        yield {"url": url, "user": "admin", "password": "admin-pass-123", "dir": site_dir}
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()
        subprocess.run(["bash", str(ROOT / "scripts/wp/teardown.sh"), str(site_dir), db_name], env=env, check=False,
                       capture_output=True)


# Run with wp_eval (STAFF_USER, STAFF_PASS): a staff member, and the site's token for the test.
ADD_STAFF_PHP = """
// WooCommerce's staff hold edit_shop_orders (WooCommerce is not installed here): a role with it
add_role( 'shop_staff', 'Shop staff', array( 'read' => true, 'edit_shop_orders' => true ) );
if ( ! username_exists( getenv( 'STAFF_USER' ) ) ) {
	wp_insert_user( array( 'user_login' => getenv( 'STAFF_USER' ), 'user_pass' => getenv( 'STAFF_PASS' ), 'role' => 'shop_staff' ) );
}
echo get_option( 'bikri_token' );
"""
WOOCOMMERCE_REST_STAND_IN = Path(__file__).with_name("woocommerce_rest_stand_in.php")
WOOCOMMERCE_API_KEYS_TABLE = ROOT / "wp-plugin/tests/stand-ins/woocommerce-api-keys.php"


@contextlib.contextmanager
def sandbox_shop(orders: int, seed: int):
    """A sandbox store answering as a shop's WooCommerce, served until the block ends. No keys
    yet: the plugin makes one at activation."""
    from backend.sandbox.server import SandboxServer
    from backend.sandbox.woocommerce import create_sandbox

    app = create_sandbox(orders=orders, seed=seed, keys=[])
    with SandboxServer(app) as url:
        yield {"store": app.store, "url": url}


@contextlib.contextmanager
def wordpress_with_store(service, tmp_path_factory, store_url: str):
    """A fresh WordPress whose WooCommerce REST API is the sandbox store at `store_url`."""
    source = WOOCOMMERCE_REST_STAND_IN.read_text().replace(
        "<?php\n", f"<?php\ndefine( 'BIKRI_TEST_WC_SANDBOX', '{store_url}' );\n", 1)
    mu_plugins = {"bikri-test-wc-api-keys.php": WOOCOMMERCE_API_KEYS_TABLE.read_text(),
                  "bikri-test-woocommerce-rest.php": source}
    with make_wordpress(service, tmp_path_factory, mu_plugins) as site:
        yield site


@pytest.fixture(scope="module")
def shop(request):
    """The module's own sandbox WooCommerce store: its ORDERS orders, made from its SEED."""
    with sandbox_shop(request.module.ORDERS, seed=request.module.SEED) as shop:
        yield shop


@pytest.fixture(scope="module")
def shop_wordpress(service, tmp_path_factory, shop):
    """A WordPress of the module's own whose WooCommerce is the module's sandbox store (`shop`)."""
    with wordpress_with_store(service, tmp_path_factory, shop["url"]) as site:
        yield site


def site_id_of(service, url: str) -> int:
    """The service's id of the site at `url` (from `flask licenses list`)."""
    return int(re.search(rf"site #(\d+) {re.escape(url)} ", service["cli"]("licenses", "list")).group(1))


@pytest.fixture(scope="session")
def wordpress(service, tmp_path_factory):
    with make_wordpress(service, tmp_path_factory) as site:
        yield site


WP_EVAL_PRELUDE = """<?php
$home = parse_url( getenv( 'WP_HOME' ) );
$_SERVER['HTTP_HOST'] = $home['host'] . ':' . $home['port'];
$_SERVER['SERVER_NAME'] = $home['host'];
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
require getenv( 'WP_DIR' ) . '/wp-load.php';
"""


def shop_wishes(service, license_email: str, columns: str = "w.shopper, w.product_wc_id, w.removed_at IS NULL") -> list[tuple]:
    """The wish rows of the shop activated with `license_email`: the session's one service holds
    every test's shops, so a test reads its own."""
    with psycopg.connect(service["database_url"]) as conn:
        return conn.execute(
            f"SELECT {columns} FROM wishes w JOIN sites s ON s.id = w.site_id JOIN licenses l ON l.id = s.license_id"
            " WHERE l.email = %s ORDER BY w.id", (license_email,)).fetchall()



def wp_eval(wordpress, php: str, tmp_path: Path, env: dict | None = None) -> str:
    """Run PHP inside the test WordPress (after wp-load.php), as WP-CLI's eval would; its output, stripped."""
    script = tmp_path / "wp-eval.php"
    script.write_text(WP_EVAL_PRELUDE + php)
    env = {"WP_HOME": wordpress["url"], "WP_DIR": str(wordpress["dir"]), "PATH": "/usr/bin:/bin", **(env or {})}
    return subprocess.run(["php", str(script)], env=env, capture_output=True, text=True, check=True).stdout.strip()


def connect_steadfast(page, wordpress):
    """Bikri → Couriers: connect the sandbox Steadfast account with its keys."""
    from backend.sandbox.steadfast import API_KEY, SECRET_KEY

    page.goto(f"{wordpress['url']}/wp-admin/admin.php?page=bikri-couriers")
    card = page.frame_locator("iframe.bikri-frame").locator("#courier-steadfast")
    card.locator("input[name=api_key]").fill(API_KEY)
    card.locator("input[name=secret_key]").fill(SECRET_KEY)
    card.locator("button[type=submit]").first.click()
    expect(page.frame_locator("iframe.bikri-frame").locator("#courier-steadfast")).to_have_attribute("data-connected", "1")


def sign_in(page, wordpress):
    sign_in_as(page, wordpress, wordpress["user"], wordpress["password"])
    page.wait_for_url(re.compile(r"/wp-admin/"))


def sign_in_as(page, wordpress, login: str, password: str):
    """WordPress's login form, for anyone (a shopper lands wherever WordPress sends them)."""
    page.goto(f"{wordpress['url']}/wp-login.php")
    page.fill("#user_login", login)
    page.fill("#user_pass", password)
    page.click("#wp-submit")
    page.wait_for_load_state()


def activate(page, wordpress, key):
    page.goto(f"{wordpress['url']}/wp-admin/admin.php?page=bikri-license")
    # Each test is a new shop on this shared WordPress. A new key entered while an earlier test's
    # activation is still there moves that shop (its orders, wallet, settings) to the new
    # license, as it should for a real shop; so free the earlier one first.
    if page.locator("#bikri-deactivate").count():
        page.locator("#bikri-deactivate").click()
        page.wait_for_load_state()
    page.fill("#bikri-license-key", key)
    page.locator("form:has(#bikri-license-key) [type=submit]").click()
    page.wait_for_load_state()


def new_license(service, email: str, *options: str) -> str:
    """A new license's key, from the service's CLI (`flask licenses create --email ...`)."""
    return service["cli"]("licenses", "create", "--email", email, *options).strip().splitlines()[-1]


def licensed_admin(service, wordpress, browser, email: str, *, plan: str | None = None, **context):
    """The set-up most tests begin with: a page of a new browser context (`context`: its options,
    viewport=...), signed in to wp-admin, the plugin activated with a new license for `email` (a new shop)."""
    page = browser.new_context(**context).new_page()
    sign_in(page, wordpress)
    activate(page, wordpress, new_license(service, email, *(("--plan", plan) if plan else ())))
    return page


def rows_once(read, check, seconds: float) -> list:
    """`read()`'s rows once `check(rows)` holds, or as they are after `seconds` (the caller asserts):
    for what the plugin sends the service after its answer."""
    deadline = time.time() + seconds
    while True:
        rows = read()
        if check(rows) or time.time() > deadline:
            return rows
        time.sleep(0.25)


@contextlib.contextmanager
def bangla_admin_on_a_phone(service, wordpress, browser, email: str, tmp_path: Path):
    """licensed_admin on a 360 px phone with the wp-admin user's language Bangla; after the test,
    English again and the license freed (the WordPress is the session's)."""
    page = licensed_admin(service, wordpress, browser, email, viewport={"width": 360, "height": 800})
    set_language(wordpress, wordpress["user"], "bn", tmp_path)
    try:
        yield page
    finally:
        set_language(wordpress, wordpress["user"], "en", tmp_path)
        deactivate(page, wordpress)


def deactivate(page, wordpress):
    """Free the WordPress's license: a test on the shared WordPress starts without one."""
    page.goto(f"{wordpress['url']}/wp-admin/admin.php?page=bikri-license")
    page.locator("#bikri-deactivate").click()
    expect(page.locator(".notice-success")).to_contain_text("deactivated")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


# --- Bangla (issue 20): the same flows with the WordPress user's language set to bn_BD

LANGUAGES = {"en": "en_US", "bn": "bn_BD"}
# Latin words a Bangla page may show: names of products, services and their screens
# ("WooCommerce Analytics", the screen the dashboard's figures reconcile with) kept as is
LATIN_IN_BANGLA = {"Bikri", "WooCommerce", "Analytics", "SMS", "OTP", "CSV", "API", "bKash", "Steadfast", "Pathao", "RedX", "COD"}


def set_language(wordpress, login: str, lang: str, tmp_path: Path) -> None:
    """The wp-admin user's own language (Profile → Language), which the plugin sends with each ticket."""
    wp_eval(wordpress, "update_user_meta( get_user_by( 'login', getenv( 'WHO' ) )->ID, 'locale', getenv( 'LOCALE' ) );",
            tmp_path, {"WHO": login, "LOCALE": LANGUAGES[lang]})


def bn(message: str, **values) -> str:
    """The service's Bangla for `message`, from the catalog it reads; fails when there is none."""
    from babel.support import Translations

    text = Translations.load(str(ROOT / "backend" / "translations"), ["bn"]).gettext(message)
    assert text != message, f"no Bangla for {message!r}"
    return text % values if values else text


def say(lang: str, message: str, **values) -> str:
    return bn(message, **values) if lang == "bn" else (message % values if values else message)


UI_TEXT_JS = """(root, skip) => {
  // the visible text and the labels a screen reader speaks, minus the shop's own data (`skip`):
  // its Latin words outside table cells (cells hold names and addresses), and all of its text
  const words = new Set(), texts = [];
  const add = (text, inCell) => { texts.push(text || ''); if (!inCell) (text || '').match(/[A-Za-z]{2,}/g)?.forEach(w => words.add(w)); };
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode());) {
    const el = node.parentElement;
    if (!el || el.closest('script, style, template, [hidden], ' + skip)) continue;
    if (el.tagName !== 'OPTION' && !el.getClientRects().length) continue;
    add(node.textContent, !!el.closest('td'));
  }
  for (const el of root.querySelectorAll('[placeholder], [aria-label], [title], input[type=submit]')) {
    if (el.closest(skip)) continue;
    for (const name of ['placeholder', 'aria-label', 'title']) add(el.getAttribute(name), false);
    if (el.type === 'submit') add(el.value, false);
  }
  return {words: [...words].filter(w => !/^X+$/.test(w)), text: texts.join(' ')};  // 01XXXXXXXXX: a phone's shape
}"""


def assert_bangla(locator, skip: str = "", allowed=()) -> None:
    """The part of a Bangla page under `locator` speaks Bangla: no English words (bar the names in
    LATIN_IN_BANGLA and `allowed`), and digits are Latin, as everywhere (backend/formatting.py)."""
    # the signed-in user's name is theirs (the role beside it is Bikri's, and checked)
    skip = ", ".join(filter(None, [".bikri-user-name", skip]))
    found = locator.evaluate(UI_TEXT_JS, skip)
    words = set(found["words"]) - LATIN_IN_BANGLA - set(allowed)
    assert not words, f"English on a Bangla page: {sorted(words)}"
    text = found["text"]
    digit = re.search(r"[০-৯]", text)
    assert not digit, f"Bangla digits on the page: {text[max(0, digit.start() - 80):digit.end() + 80]!r}"
    assert re.search(r"[\u0980-\u09FF]", text), "no Bangla on the page"
