"""K1/K2: the time the Bikri plugin adds to a product page view with every storefront tag on
(Meta Pixel with its ViewContent event, Google Tag Manager, GA4, Microsoft Clarity) and a
header, body-open and footer snippet, measured inside PHP as bench/otp.py measures the
checkout: bench/wp-bikri-timing.php times loading the plugin plus every hook callback it
registered. A throwaway WordPress (scripts/wp/setup.sh) with the plugin from dist/bikri.zip
and the product page stand-in (wp-plugin/tests/stand-ins/product-page.php); php -S, one worker,
OPcache on (the target) and off (for the record); tags off for comparison.

Target: <= 2 ms p99 with every tag on, OPcache on.

    make plugin && .venv/bin/python bench/adtags.py [--page-views 300]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, WP_ACTIVE_SITE_PHP, free_port, verdict  # noqa: E402

TARGET_MS = 2.0

# an active site (common.py)
STATE_PHP = WP_ACTIVE_SITE_PHP + r"""
// the checkout settings' copy, as after activation (OTP off: a product page is not a checkout)
update_option( 'bikri_checkout', array( 'version' => 1, 'site' => substr( hash( 'sha256', 'bench-site-token' ), 0, 16 ),
	'otp_enabled' => false, 'synced_at' => time() ), true );
$on = 'on' === $argv[2];
update_option( 'bikri_storefront', $on ? array(
	'pixel' => '1234567890123456', 'gtm' => 'GTM-AB12CD3', 'ga4' => 'G-XY12345678', 'clarity' => 'k3j2h1g0fa',
	'head_code' => '<meta name="facebook-domain-verification" content="abc123">', 'head_target' => 'all',
	'body_code' => '<div id="chat"></div>', 'body_target' => 'product',
	'footer_code' => '<script>window.shopFooter=1;</script>', 'footer_target' => 'all',
) : array(), true );
echo "state: tags {$argv[2]}\n";
"""


def install_stand_in(site_dir: Path) -> None:
    stand_ins = ROOT / "wp-plugin" / "tests" / "stand-ins"
    mu_plugins = site_dir / "wp-content" / "mu-plugins"
    (mu_plugins / "bikri-stand-ins").mkdir(parents=True, exist_ok=True)
    for name in ("woocommerce-checkout.php", "woocommerce-cart.php", "woocommerce-product.php"):
        shutil.copy(stand_ins / name, mu_plugins / "bikri-stand-ins" / name)
    shutil.copy(stand_ins / "product-page.php", mu_plugins / "bikri-product-stand-in.php")


def run(args) -> dict:
    zip_path = ROOT / "dist" / "bikri.zip"
    if not zip_path.exists():
        sys.exit("build the plugin first: make plugin")
    work = Path(tempfile.mkdtemp(prefix="bikri-bench-tags-"))
    site_dir, db_name, port = work / "site", f"bikri_bench_tags_{uuid.uuid4().hex[:8]}", free_port()
    env = {**os.environ, "WP_HOME": f"http://127.0.0.1:{port}"}
    env.pop("BIKRI_SERVICE_URL", None)
    timing = work / "timing.jsonl"
    results = {}
    try:
        subprocess.run(["bash", str(ROOT / "scripts/wp/setup.sh"), str(site_dir), db_name, str(zip_path)], env=env,
                       check=True, capture_output=True)
        install_stand_in(site_dir)
        shutil.copy(ROOT / "bench" / "wp-bikri-timing.php", site_dir / "wp-content" / "mu-plugins" / "bikri-timing.php")
        (work / "state.php").write_text(STATE_PHP)
        url = f"http://127.0.0.1:{port}/product-stand-in/"
        for opcache in (True, False):
            for tags in ("on", "off"):
                subprocess.run(["php", str(work / "state.php"), str(site_dir), tags], env=env, check=True, capture_output=True)
                server = subprocess.Popen(["php", "-d", f"opcache.enable={int(opcache)}", "-S", f"127.0.0.1:{port}", "-t",
                                           str(site_dir), str(ROOT / "scripts/wp/router.php")],
                                          env={**env, "BIKRI_BENCH_TIMING": str(timing)}, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL)
                try:
                    session = requests.Session()
                    for _ in range(100):
                        try:
                            session.get(url, timeout=5)
                            break
                        except requests.RequestException:
                            time.sleep(0.1)
                    for _ in range(30):
                        session.get(url, timeout=10)  # compile and warm caches
                    timing.write_text("")
                    pages = []
                    for _ in range(args.page_views):
                        started = time.perf_counter()
                        page = session.get(url, timeout=10)
                        pages.append((time.perf_counter() - started) * 1000)
                        printed = all(s in page.text for s in ("fbq('init','1234567890123456')", '"ViewContent"',
                                                               "GTM-AB12CD3", "G-XY12345678", "clarity.ms", 'id="chat"'))
                        assert page.status_code == 200 and printed == (tags == "on"), page.text[:2000]
                finally:
                    server.terminate()
                    server.wait(timeout=10)
                lines = [json.loads(line) for line in timing.read_text().splitlines() if line]
                lines = [line for line in lines if line["uri"].startswith("/product-stand-in/")]
                assert all(line["opcache"] == opcache for line in lines), "OPcache is not as asked"
                added = sorted((line["load_us"] + line["hooks_us"]) / 1000 for line in lines)
                if os.environ.get("ADTAGS_BREAKDOWN"):
                    by = {}
                    for line in lines:
                        for name, us in line.get("by", {}).items():
                            by.setdefault(name, []).append(us)
                    print(opcache, tags, sorted(((round(statistics.median(v), 1), k) for k, v in by.items()), reverse=True)[:8])
                results[(opcache, tags)] = {
                    "views": len(added), "median": statistics.median(added), "p99": added[int(len(added) * 0.99) - 1],
                    "load": statistics.median(line["load_us"] / 1000 for line in lines),
                    "hooks": statistics.median(line["hooks_us"] / 1000 for line in lines),
                    "calls": lines[-1]["calls"], "page": statistics.median(pages),
                }
    finally:
        subprocess.run(["bash", str(ROOT / "scripts/wp/teardown.sh"), str(site_dir), db_name], env=env, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--page-views", type=int, default=300)
    args = parser.parse_args()
    results = run(args)
    print(f"bench/adtags.py  plugin's added server time on a product page view, measured in PHP (load + its hook "
          f"callbacks), {args.page_views} views each, php -S, one worker, {os.cpu_count()} cores shared")
    for (opcache, tags), r in results.items():
        label = f"tags {tags:<3} {'OPcache on ' if opcache else 'OPcache off'}"
        target = (f"target <= {TARGET_MS:.0f} ms   {verdict(r['p99'] <= TARGET_MS)}" if opcache and tags == "on"
                  else "(for comparison)")
        print(f"  {label}: median {r['median']:6.3f} ms  p99 {r['p99']:6.3f} ms   {target}"
              f"   [load {r['load']:.3f} ms, hooks {r['hooks']:.3f} ms in {r['calls']} calls; whole page {r['page']:.1f} ms]")


if __name__ == "__main__":
    main()
