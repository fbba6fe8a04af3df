"""H2: what the storefront's chat box adds to a page, measured in Chromium. A throwaway WordPress
(scripts/wp/setup.sh) with the plugin from dist/bikri.zip and the product page stand-in, served by
php -S; the box on, then off. Figures: the bytes transferred for the box's script and stylesheet
(Resource Timing's transferSize) plus the bytes it adds to the page's HTML (the holder with its
configuration and the script tag), against the 30 KB target; and that none of it blocks the
first render (Chromium's renderBlockingStatus, the `defer` on the script tag) and that the page
view asks the Bikri service nothing.

    make plugin && .venv/bin/python bench/livechat_weight.py
"""
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from adtags import install_stand_in  # noqa: E402
from common import WP_ACTIVE_SITE_PHP, throwaway_wordpress, verdict  # noqa: E402

TARGET_KB = 30.0
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SERVICE = "http://127.0.0.1:9"  # the active site's service (common.WP_ACTIVE_SITE_PHP): nothing answers there

# an active site (common.py) with the box on or off
STATE_PHP = WP_ACTIVE_SITE_PHP + r"""
$on = 'on' === $argv[2];
// the settings copy as the pull leaves it (Bikri_Checkout_Config::sync)
update_option( 'bikri_checkout', array( 'version' => 1, 'site' => substr( hash( 'sha256', 'bench-site-token' ), 0, 16 ),
	'otp_enabled' => false, 'synced_at' => time(),
	'live_chat' => array( 'enabled' => $on, 'endpoint' => 'http://127.0.0.1:9/api/chat/benchshopkey0123456789',
		'greeting' => 'Assalamu alaikum! Ask us about any saree, size or delivery.' ) ), true );
echo "state: chat {$argv[2]}\n";
"""

MEASURE_JS = """() => performance.getEntriesByType('resource').map(e => ({
  name: e.name, transfer: e.transferSize, body: e.encodedBodySize, blocking: e.renderBlockingStatus, initiator: e.initiatorType}))"""


def measure(browser, url: str) -> dict:
    context = browser.new_context(viewport={"width": 360, "height": 740})
    asked_service = []
    context.on("request", lambda request: asked_service.append(request.url) if request.url.startswith(SERVICE) else None)
    page = context.new_page()
    document = {}
    page.on("response", lambda response: document.setdefault("bytes", len(response.body()))
            if response.request.resource_type == "document" else None)
    page.goto(url, wait_until="load")
    chat = page.locator("#bikri-live-chat")
    if chat.count():
        chat.locator(".bikri-chat-launcher").wait_for(state="visible", timeout=10000)  # styled and shown
    page.wait_for_timeout(500)
    resources = page.evaluate(MEASURE_JS)
    script_tag = page.evaluate("() => { const s = document.querySelector('script[src*=\"live-chat.js\"]');"
                               " return s ? {defer: s.defer, html: s.outerHTML} : null; }")
    holder = page.evaluate("() => { const h = document.getElementById('bikri-live-chat');"
                           " return h ? h.getAttribute('data-config').length : 0; }")
    context.close()
    return {"resources": resources, "document": document.get("bytes", 0), "script_tag": script_tag, "holder": holder,
            "asked_service": asked_service}


def main():
    from playwright.sync_api import sync_playwright

    found = {}
    with throwaway_wordpress("chat", install_stand_in=install_stand_in, state_php=STATE_PHP) as site:
        url = site.url("/product-stand-in/")
        with site.serving(url), sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            for state in ("off", "on"):
                site.set_state(state)
                found[state] = measure(browser, url)
            browser.close()

    on, off = found["on"], found["off"]
    widget = [r for r in on["resources"] if "/live-chat." in r["name"]]
    assert {Path(r["name"].split("?")[0]).name for r in widget} == {"live-chat.js", "live-chat.css"}, widget
    assert not [r for r in off["resources"] if "/live-chat." in r["name"]] and not off["holder"], "the box printed while off"
    resources_kb = sum(r["transfer"] for r in widget) / 1024
    html_kb = (on["document"] - off["document"]) / 1024
    total_kb = resources_kb + html_kb
    blocking = [r for r in widget if r["blocking"] != "non-blocking"]
    deferred = bool(on["script_tag"] and on["script_tag"]["defer"])
    quiet = not on["asked_service"]
    print(f"bench/livechat_weight.py  the storefront's chat box, product page at 360 px, Chromium {CHROMIUM}, php -S "
          f"(no compression), {os.cpu_count()} cores shared")
    for r in widget:
        print(f"  {Path(r['name'].split('?')[0]).name:<14} {r['transfer'] / 1024:6.2f} KB transferred "
              f"({r['body'] / 1024:.2f} KB body)  renderBlockingStatus={r['blocking']}  via {r['initiator']}")
    print(f"  page HTML      {html_kb:6.2f} KB more with the box on (holder with its configuration, script tag)")
    print(f"  added in all   {total_kb:6.2f} KB   target <= {TARGET_KB:.0f} KB   {verdict(total_kb <= TARGET_KB)}")
    print(f"  render-blocking requests of the box: {len(blocking)}; script deferred: {deferred}   "
          f"{verdict(not blocking and deferred)}")
    print(f"  requests to the Bikri service on the page view: {len(on['asked_service'])}   {verdict(quiet)}")
    print(f"  with the box off: nothing printed, nothing loaded   {verdict(True)}")


if __name__ == "__main__":
    main()
