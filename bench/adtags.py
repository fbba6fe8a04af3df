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
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, WP_ACTIVE_SITE_PHP, plugin_page_timing, print_plugin_timing  # noqa: E402

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


def on_page(page: str, tags: str) -> bool:
    printed = all(s in page for s in ("fbq('init','1234567890123456')", '"ViewContent"', "GTM-AB12CD3", "G-XY12345678",
                                      "clarity.ms", 'id="chat"'))
    return printed == (tags == "on")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--page-views", type=int, default=300)
    args = parser.parse_args()
    results = plugin_page_timing(page_path="/product-stand-in/", state_php=STATE_PHP, states=("on", "off"),
                                 install_stand_in=install_stand_in, check=on_page, page_views=args.page_views)
    print(f"bench/adtags.py  plugin's added server time on a product page view, measured in PHP (load + its hook "
          f"callbacks), {args.page_views} views each, php -S, one worker, {os.cpu_count()} cores shared; "
          f"load average {os.getloadavg()[0]:.2f}")
    print_plugin_timing(results, label=lambda tags: f"tags {tags:<3}", target_ms=TARGET_MS,
                        targeted=lambda opcache, tags: opcache and tags == "on")


if __name__ == "__main__":
    main()
