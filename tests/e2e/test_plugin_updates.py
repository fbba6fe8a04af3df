"""P8 in a real browser and a real WordPress: a release uploaded to the service shows under
Dashboard → Updates, a tampered package is refused by the plugin with its message, and the
signed one installs from the service."""
import io
import re
import zipfile

from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, licensed_admin, make_wordpress, wp_eval


def _release_zip(version: str) -> bytes:
    """dist/bikri.zip (the plugin under test) as version `version`."""
    source = zipfile.ZipFile(ROOT / "dist" / "bikri.zip")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "bikri/bikri.php":
                text = data.decode()
                text = re.sub(r"(\* Version:\s+)\S+", rf"\g<1>{version}", text, count=1)
                text = re.sub(r"define\( 'BIKRI_VERSION', '[^']+' \)", f"define( 'BIKRI_VERSION', '{version}' )", text, count=1)
                data = text.encode()
            target.writestr(info, data)
    return out.getvalue()


def _installed_version(site, tmp_path):
    return wp_eval(site, "require_once ABSPATH . 'wp-admin/includes/plugin.php'; echo get_plugin_data( WP_PLUGIN_DIR . '/bikri/bikri.php', false, false )['Version'];", tmp_path)


def _check_again(page, site, tmp_path):
    # WordPress checks at most once a minute on this screen; let that minute pass
    wp_eval(site, "delete_site_transient( 'update_plugins' );", tmp_path)
    page.goto(f"{site['url']}/wp-admin/update-core.php?force-check=1")


def _update_bikri(page):
    table = page.locator("#update-plugins-table")
    table.locator("tr", has_text="Bikri").locator("input[type=checkbox]").check()
    page.locator("#upgrade-plugins").first.click()
    return page.frame_locator("iframe").first.locator("body")


def test_update_shows_is_verified_and_installs(service, browser, tmp_path_factory, tmp_path):
    package = tmp_path / "bikri-0.1.1.zip"
    package.write_bytes(_release_zip("0.1.1"))
    with make_wordpress(service, tmp_path_factory) as site:
        page = licensed_admin(service, site, browser, "updates@e2e.test", viewport={"width": 1280, "height": 900})

        # no release yet: nothing for Bikri
        _check_again(page, site, tmp_path)
        expect(page.locator("h1")).to_contain_text("WordPress Updates")
        expect(page.locator("#update-plugins-table tr", has_text="Bikri")).to_have_count(0)

        service["python"](f"""
from backend.updates import service as updates
updates.upload_release(open({str(package)!r}, "rb").read(), "Faster order sync.", rollout_percent=100)
db.session.commit()
""")
        _check_again(page, site, tmp_path)
        row = page.locator("#update-plugins-table tr", has_text="Bikri")
        expect(row).to_contain_text("0.1.1")

        # the zip changed on the service's side after signing: the plugin refuses it
        service["python"]("""
from backend.updates.models import PluginRelease
release = db.session.query(PluginRelease).one()
release.package = release.package[:-10] + b"tampered!!"
db.session.commit()
""")
        frame = _update_bikri(page)
        expect(frame).to_contain_text("signature does not match", timeout=60_000)
        assert _installed_version(site, tmp_path) == "0.1.0"

        # the signed zip again: it installs
        service["python"](f"""
from backend.updates.models import PluginRelease
release = db.session.query(PluginRelease).one()
release.package = open({str(package)!r}, "rb").read()
db.session.commit()
""")
        _check_again(page, site, tmp_path)
        frame = _update_bikri(page)
        expect(frame).to_contain_text("All updates have been completed", timeout=60_000)
        assert _installed_version(site, tmp_path) == "0.1.1"
