"""A shop's address is the caller's text: the service must not fetch its own network for them
(server-side request forgery). Refused at activation, and again at every connection, with
the address checked being the address connected to; no redirects followed."""
import socket
from urllib.parse import urlsplit

import pytest

from backend.config import Config
from backend.extensions import db
from backend.integrations.shop_http import ShopSession
from backend.integrations.woocommerce import ShopAddressNotPublic, WooCommerce, WooCommerceError
from backend.integrations.woocommerce_export import ExportUnavailable, OrderExport
from backend.licensing.models import Site
from backend.sandbox.server import SandboxServer, self_signed_tls
from backend.sandbox.woocommerce import ApiKey, create_sandbox
from tests.conftest import WC_KEY, WC_SECRET

REAL_GETADDRINFO = socket.getaddrinfo
PUBLIC = "93.184.216.34"  # a public address; never connected to in these tests


@pytest.fixture
def public_only(app, monkeypatch):
    """Production's setting: shops must be on the public internet."""
    monkeypatch.setitem(app.config, "ALLOW_PRIVATE_SHOP_HOSTS", False)
    monkeypatch.setenv("BIKRI_ALLOW_PRIVATE_SHOP_HOSTS", "0")


def fake_dns(monkeypatch, answers: dict):
    """Names in `answers` resolve to what their function returns (a list of addresses) at each
    lookup; everything else (addresses, localhost) to what the system says."""
    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if host not in answers:
            return REAL_GETADDRINFO(host, port, family, type, proto, flags)
        found = []
        for address in answers[host]():
            if ":" in address:
                found.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
            else:
                found.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        return found
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def activate(client, make_license, url):
    _license_id, key = make_license()
    return client.post("/api/v1/sites/activate", json={"license_key": key, "site_url": url,
                                                        "wc_consumer_key": WC_KEY, "wc_consumer_secret": WC_SECRET})


def wc(url, **kw):
    return WooCommerce(url, WC_KEY, WC_SECRET, retries=0, timeout=5, **kw)


# --- activation ----------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
    "http://[::1]:5432",
    "http://127.0.0.1:5000",
    "http://localhost:8080/shop",
    "http://10.0.0.5",
    "http://172.16.3.4",
    "https://192.168.1.1",
    "http://100.64.0.1",  # carrier-grade NAT
    "http://0.0.0.0:6379",
    "http://224.0.0.1",  # multicast
    "http://240.0.0.1",  # reserved
    "http://2130706433/",  # 127.0.0.1 as one decimal number
    "http://0177.0.0.1/",  # octal
    "http://0x7f.1/",  # hexadecimal, short form
    "http://127.1/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
    "http://[::ffff:a9fe:a9fe]/",  # 169.254.169.254, mapped, in hex
    "http://[64:ff9b::a9fe:a9fe]/",  # the same through NAT64
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://[fe80::1]/",
    "http://[fc00::1]/",
])
def test_activation_refuses_an_address_that_is_not_public(app, client, make_license, public_only, url):
    response = activate(client, make_license, url)
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_error"
    assert "not on the public internet" in response.json["error"]["message"]
    assert response.json["error"]["details"]["site_url"] == [response.json["error"]["message"]]
    with app.app_context():
        assert db.session.query(Site).count() == 0


def test_activation_refuses_a_name_that_resolves_to_a_private_address(app, client, make_license, public_only,
                                                                      monkeypatch):
    fake_dns(monkeypatch, {"shop.internal.test": lambda: ["10.1.2.3"],
                           # one public and one private answer: the private one would be used when the public is down
                           "shop.mixed.test": lambda: [PUBLIC, "127.0.0.1"]})
    for url in ("https://shop.internal.test", "https://shop.mixed.test"):
        response = activate(client, make_license, url)
        assert response.status_code == 422, (url, response.json)


def test_activation_accepts_a_public_address(app, client, make_license, public_only, monkeypatch):
    fake_dns(monkeypatch, {"shop.example.test": lambda: [PUBLIC, "2606:2800:220:1:248:1893:25c8:1946"]})
    assert activate(client, make_license, "https://shop.example.test").status_code == 201
    assert activate(client, make_license, f"http://{PUBLIC}/shop").status_code == 201


def test_production_refuses_private_shop_addresses_unless_told(monkeypatch):
    monkeypatch.delenv("BIKRI_ALLOW_PRIVATE_SHOP_HOSTS")
    assert Config().ALLOW_PRIVATE_SHOP_HOSTS is False
    monkeypatch.setenv("BIKRI_ALLOW_PRIVATE_SHOP_HOSTS", "1")
    assert Config().ALLOW_PRIVATE_SHOP_HOSTS is True


# --- every connection ---------------------------------------------------------------------

def test_a_name_that_turns_into_loopback_after_activation_is_refused_at_connect_time(
        app, client, make_license, store, public_only, monkeypatch):
    """DNS rebinding: public when activation looked, 127.0.0.1 (the sandbox store) afterwards."""
    lookups = iter([[PUBLIC]])
    fake_dns(monkeypatch, {"shop.rebind.test": lambda: next(lookups, ["127.0.0.1"])})
    response = activate(client, make_license, f"http://shop.rebind.test:{urlsplit(store.url).port}")
    assert response.status_code == 201, response.json
    before = (store.data.requests, store.data.export_requests)
    with app.app_context():
        site = db.session.get(Site, response.json["site_id"])
        with pytest.raises(ShopAddressNotPublic) as error:
            WooCommerce.for_site(site, retries=2, backoff=0.01).get_order(1)
        assert not error.value.retryable
        with pytest.raises(ShopAddressNotPublic):
            OrderExport.for_site(site, retries=2, backoff=0.01).page(limit=1)
    assert (store.data.requests, store.data.export_requests) == before  # nothing reached the store


def test_a_stored_private_address_is_refused_at_connect_time(store, public_only):
    """Sites stored before activation checked (or a setting turned off since) are not fetched."""
    before = store.data.requests
    with pytest.raises(ShopAddressNotPublic):
        wc(store.url).get_order(1)
    with pytest.raises(ShopAddressNotPublic):
        OrderExport(store.url, "secret", retries=0).page(limit=1)
    assert store.data.requests == before


def test_the_setting_lets_loopback_shops_work(app, client, make_license, store, monkeypatch):
    """Demo and tests: the sandbox store on 127.0.0.1, and a name that resolves to it."""
    fake_dns(monkeypatch, {"shop.local.test": lambda: ["127.0.0.1"]})
    for url in (store.url, f"http://shop.local.test:{urlsplit(store.url).port}"):
        response = activate(client, make_license, url)
        assert response.status_code == 201, response.json
        with app.app_context():
            site = db.session.get(Site, response.json["site_id"])
            assert WooCommerce.for_site(site).get_order(3)["id"] == 3


def test_redirects_are_not_followed(store):
    """A shop that redirects could send the service anywhere, an internal address included."""
    def redirecting(environ, start_response):
        query = environ.get("QUERY_STRING")
        start_response("302 Found", [("Location", f"{store.url}{environ['PATH_INFO']}" + (f"?{query}" if query else "")),
                                     ("Content-Length", "0")])
        return [b""]

    with SandboxServer(redirecting) as url:
        before = (store.data.requests, store.data.export_requests)
        with pytest.raises(WooCommerceError) as error:
            wc(url).get_order(1)
        assert error.value.status == 302 and error.value.code == "not_woocommerce"
        with pytest.raises(ExportUnavailable):
            OrderExport(url, "secret", retries=0).page(limit=1)
        # even asked to, the session does not follow
        assert ShopSession(allow_private=True).get(url, allow_redirects=True, timeout=5).status_code == 302
        assert (store.data.requests, store.data.export_requests) == before


def test_tls_is_verified_against_the_shops_name_while_connecting_to_the_checked_address(tmp_path, monkeypatch):
    """Only the socket's target is pinned: SNI and the certificate check use the host name."""
    app = create_sandbox(orders=5, seed=1, keys=[ApiKey(WC_KEY, WC_SECRET)])
    context, cert = self_signed_tls(tmp_path)  # a certificate for 127.0.0.1 and localhost only
    fake_dns(monkeypatch, {"shop.tls.test": lambda: ["127.0.0.1"]})
    with SandboxServer(app, ssl_context=context) as url:
        port = urlsplit(url).port
        assert wc(f"https://localhost:{port}", verify=cert).get_order(2)["id"] == 2
        with pytest.raises(WooCommerceError) as error:
            wc(f"https://shop.tls.test:{port}", verify=cert).get_order(2)
        assert error.value.code == "tls_error"
        assert error.value.message == "The shop's HTTPS certificate was refused."


def test_failures_are_told_in_generic_words(app):
    """No ports, socket errors or statuses in what the caller reads (an internal port scanner)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends
    with pytest.raises(WooCommerceError) as error:
        wc(f"http://127.0.0.1:{port}").get_order(1)
    assert error.value.code == "unreachable" and error.value.retryable
    assert str(error.value) == "WooCommerce: unreachable: The shop could not be reached."

    def forbidden(environ, start_response):
        start_response("403 Forbidden", [("Content-Type", "text/html")])
        return [b"<html>Forbidden by the firewall</html>"]

    with SandboxServer(forbidden) as url:
        with pytest.raises(WooCommerceError) as error:
            wc(url).get_order(1)
    assert error.value.status == 403 and "403" not in str(error.value) and str(port) not in str(error.value)
