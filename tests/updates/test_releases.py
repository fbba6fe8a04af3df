"""P8: releases uploaded in the console, signed with Ed25519, staged rollout, rollback, and the
update check and download a shop's plugin uses."""
import base64
import io
import re
import zipfile

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from backend.extensions import db
from backend.licensing.models import License, LicenseStatus
from backend.updates import service
from backend.updates.models import PluginRelease

# The key the tests and the committed plugin use (wp-plugin/includes/release-key.php holds the
# public half). NOT a production key: production sets BIKRI_RELEASE_SIGNING_KEY and builds the
# plugin with its public key (docs in wp-plugin/includes/release-key.php).
TEST_SIGNING_KEY = "oCnu1tP8r+AprTDmJM5EsfW4bMheLnPQKetYJE0gAmE="
TEST_PUBLIC_KEY = "xNKFVz9TTchJsAewqtniAZ5z7h/mmUiaoBD7z9pi2nI="


def plugin_zip(version, extra=b""):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bikri/bikri.php", f"<?php\n/**\n * Plugin Name: Bikri\n * Version:           {version}\n"
                                            f" * Requires at least: 6.1\n * Requires PHP:      7.4\n */\n")
        archive.writestr("bikri/includes/x.php", b"<?php // " + extra)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def signing_key(app):
    app.config["RELEASE_SIGNING_KEY"] = TEST_SIGNING_KEY


def upload(operator_client, version, rollout="100", changelog="Fixes", data=None, typed=""):
    return operator_client.post("/operator/releases/", data={"version": typed,
        "package": (io.BytesIO(data if data is not None else plugin_zip(version)), "bikri.zip"),
        "changelog": changelog, "rollout": rollout, "csrf_token": operator_client.csrf,
    }, content_type="multipart/form-data")


def check(shop, version="0.1.0"):
    response = shop.post("/api/v1/plugin/update-check", json={"version": version})
    assert response.status_code == 200, response.json
    return response.json["release"]


def test_the_committed_plugin_key_is_the_test_key(app):
    with app.app_context():
        assert service.public_key() == TEST_PUBLIC_KEY
    php = open("wp-plugin/includes/release-key.php").read()
    assert f"'{TEST_PUBLIC_KEY}'" in php


def test_upload_signs_the_zip_and_a_shop_downloads_it(app, operator_client, shop):
    data = plugin_zip("0.2.0")
    response = upload(operator_client, "0.2.0", data=data, changelog="<script>x</script> Faster sync")
    assert response.status_code == 302
    page = operator_client.get("/operator/releases/").get_data(as_text=True)
    assert 'data-release="0.2.0"' in page and "<script>x</script>" not in page and "&lt;script&gt;" in page

    offered = check(shop)
    assert offered["version"] == "0.2.0" and offered["requires_php"] == "7.4" and offered["rollback"] is False
    assert offered["changelog"].endswith("Faster sync")
    Ed25519PublicKey.from_public_bytes(base64.b64decode(TEST_PUBLIC_KEY)).verify(base64.b64decode(offered["signature"]), data)
    with pytest.raises(InvalidSignature):
        Ed25519PublicKey.from_public_bytes(base64.b64decode(TEST_PUBLIC_KEY)).verify(
            base64.b64decode(offered["signature"]), data + b"x")

    path = offered["package"].removeprefix(app.config["PUBLIC_URL"])
    download = shop.get(path)
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert download.get_data() == data and download.headers["Content-Length"] == str(len(data))
    assert shop.client.get(path).status_code == 401, "the ticket alone is not enough: the site's token too"


def test_bad_uploads_are_explained_and_stored_nothing(app, operator_client):
    for data, words in ((b"not a zip", "not a zip"), (plugin_zip("banana"), "Version header")):
        page = upload(operator_client, "x", data=data)
        assert words in operator_client.get("/operator/releases/").get_data(as_text=True), words
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("evil/evil.php", "<?php")
    upload(operator_client, "x", data=other.getvalue())
    assert "not the Bikri plugin" in operator_client.get("/operator/releases/").get_data(as_text=True)
    upload(operator_client, "0.2.0", typed="0.3.0")
    assert "not 0.3.0" in operator_client.get("/operator/releases/").get_data(as_text=True)
    assert upload(operator_client, "0.2.0").status_code == 302
    upload(operator_client, "0.2.0")
    assert "never replaced" in operator_client.get("/operator/releases/").get_data(as_text=True)
    with app.app_context():
        assert db.session.query(PluginRelease).count() == 1


def test_upload_needs_an_operator_and_the_form_token(app, client, operator_client):
    response = operator_client.post("/operator/releases/", data={"package": (io.BytesIO(plugin_zip("0.2.0")), "b.zip")},
                                    content_type="multipart/form-data")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.query(PluginRelease).count() == 0


def test_a_zip_over_one_megabyte_is_taken_by_the_console(app, operator_client):
    big = plugin_zip("0.4.0", extra=__import__("os").urandom(1_500_000))
    assert upload(operator_client, "0.4.0", data=big).status_code == 302
    with app.app_context():
        assert db.session.query(PluginRelease).one().size == len(big)


def test_staged_rollout_reaches_the_share_of_shops_by_their_bucket(app, operator_client):
    upload(operator_client, "0.2.0", rollout="100")
    upload(operator_client, "0.3.0", rollout="30")
    with app.app_context():
        buckets = [service.rollout_bucket(site_id) for site_id in range(1, 2001)]
        got = [service.release_for(site_id)[0].version for site_id in range(1, 2001)]
    share = got.count("0.3.0") / len(got)
    assert 0.25 < share < 0.35, share
    assert all((version == "0.3.0") == (bucket < 30) for version, bucket in zip(got, buckets))
    assert buckets == [service.rollout_bucket(site_id) for site_id in range(1, 2001)], "deterministic"

    with app.app_context():
        release_id = db.session.query(PluginRelease.id).filter_by(version="0.3.0").scalar()
    operator_client.post(f"/operator/releases/{release_id}/rollout", data={"percent": "60", "csrf_token": operator_client.csrf})
    with app.app_context():
        wider = [service.release_for(site_id)[0].version for site_id in range(1, 2001)]
    assert all(w == "0.3.0" for g, w in zip(got, wider) if g == "0.3.0"), "raising the share only adds shops"
    assert 0.55 < wider.count("0.3.0") / len(wider) < 0.65
    page = operator_client.post(f"/operator/releases/{release_id}/rollout", data={"percent": "150", "csrf_token": operator_client.csrf}, follow_redirects=True)
    assert "0 to 100" in page.get_data(as_text=True)


def test_a_shop_outside_the_rollout_gets_nothing_newer(app, operator_client, shop):
    with app.app_context():
        bucket = service.rollout_bucket(shop.site_id)
    upload(operator_client, "0.2.0", rollout=str(bucket))  # just below this shop
    assert check(shop) is None
    upload(operator_client, "0.3.0", rollout=str(bucket + 1))
    assert check(shop)["version"] == "0.3.0"


def test_rollback_offers_the_previous_release(app, operator_client, shop):
    upload(operator_client, "0.2.0")
    upload(operator_client, "0.10.0")  # newer than 0.2.0, compared as versions
    assert check(shop)["version"] == "0.10.0"
    first = operator_client.post("/operator/releases/rollback", data={"csrf_token": operator_client.csrf})
    assert first.status_code == 200 and "0.10.0" in first.get_data(as_text=True), "asks first"
    assert check(shop)["version"] == "0.10.0"
    operator_client.post("/operator/releases/rollback", data={"csrf_token": operator_client.csrf, "confirm": "yes"})

    offered = check(shop, version="0.1.0")
    assert offered["version"] == "0.2.0" and offered["rollback"] is False
    assert check(shop, version="0.10.0")["rollback"] is True, "a shop on the withdrawn version is told to go back"
    assert check(shop, version="0.2.0")["rollback"] is False


def test_a_ticket_of_a_withdrawn_release_no_longer_downloads(app, operator_client, shop):
    upload(operator_client, "0.2.0")
    path = check(shop)["package"].removeprefix(app.config["PUBLIC_URL"])
    operator_client.post("/operator/releases/rollback", data={"csrf_token": operator_client.csrf, "confirm": "yes"})
    assert shop.get(path).status_code == 404


def test_download_tickets_belong_to_one_shop_and_expire(app, operator_client, make_shop):
    shop_a, shop_b = make_shop("https://a.example.com"), make_shop("https://b.example.com")
    upload(operator_client, "0.2.0")
    path_a = check(shop_a)["package"].removeprefix(app.config["PUBLIC_URL"])
    assert shop_b.get(path_a).status_code == 404, "shop B cannot use shop A's ticket"
    assert shop_a.get(path_a).status_code == 200
    ticket = path_a.rsplit("/", 1)[1]
    assert shop_a.get(path_a[:-len(ticket)] + ticket[:-2] + "xx").status_code == 404, "a changed ticket"
    app.config["PLUGIN_DOWNLOAD_TICKET_SECONDS"] = -1
    assert shop_a.get(path_a).status_code == 404, "an expired ticket"


def test_no_update_without_a_usable_license(app, operator_client, shop):
    upload(operator_client, "0.2.0")
    path = check(shop)["package"].removeprefix(app.config["PUBLIC_URL"])
    with app.app_context():
        db.session.query(License).update({"status": LicenseStatus.SUSPENDED})
        db.session.commit()
    response = shop.post("/api/v1/plugin/update-check", json={"version": "0.1.0"})
    assert response.status_code == 403
    assert shop.get(path).status_code == 403, "nor a download with a ticket fetched before"


def test_update_check_refuses_unknown_fields(shop):
    assert shop.post("/api/v1/plugin/update-check", json={"versoin": "1"}).status_code == 422


def test_cli_prints_the_public_key_and_uploads(app, runner, tmp_path):
    result = runner.invoke(args=["releases", "public-key"])
    assert result.exit_code == 0 and result.output.strip() == TEST_PUBLIC_KEY
    path = tmp_path / "bikri.zip"
    path.write_bytes(plugin_zip("0.5.0"))
    result = runner.invoke(args=["releases", "upload", str(path), "--changelog", "CLI", "--rollout", "20"])
    assert result.exit_code == 0, result.output
    assert "0.5.0 signed" in result.output
    with app.app_context():
        assert db.session.query(PluginRelease.rollout_percent).scalar() == 20
    result = runner.invoke(args=["releases", "upload", str(path)])
    assert result.exit_code != 0 and "never replaced" in result.output
