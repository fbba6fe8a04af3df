"""A shop's checkout code settings: limits, the SMS text and its price."""
import re
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import update

from backend.checkout.models import CheckoutSettings
from backend.database import row_for_site
from backend.extensions import db
from backend.licensing.models import Site
from backend.sms import service as sms

PROOF_SECONDS = 30 * 60
CODE_DIGITS = 6
HOUR = timedelta(hours=1)

# name -> (low, high): what a shop may set; the defaults are the model's
LIMITS = {
    "cooldown_seconds": (30, 600),
    "sends_per_phone_per_hour": (1, 10),
    "sends_per_ip_per_hour": (1, 100),
    "max_attempts": (1, 5),
    "code_ttl_seconds": (60, 900),
}
TEXT_FIELDS = ("otp_text_en", "otp_text_bn")
PLACEHOLDERS = {"code", "shop", "minutes"}

DEFAULT_TEXTS = {
    "en": "{code} is your {shop} verification code. It expires in {minutes} minutes.",
    "bn": "{shop} যাচাই কোড {code}। {minutes} মিনিট পর্যন্ত বৈধ।",
}


# --- settings ---------------------------------------------------------------------------------

def settings_for(site: Site) -> CheckoutSettings:
    return row_for_site(CheckoutSettings, site.id)


def bump_version(site_id: int) -> None:
    """The plugin's copy (settings, blacklist) is out of date: its next pull gets it all."""
    db.session.execute(update(CheckoutSettings).where(CheckoutSettings.site_id == site_id)
                       .values(version=CheckoutSettings.version + 1).execution_options(synchronize_session=False))
    db.session.expire_all()


def default_shop_name(site: Site) -> str:
    """The WordPress site title the plugin reported; the host only while it is not known."""
    if site.name:
        return site.name[:40].rstrip()
    host = site.origin.split("://", 1)[-1].split(":")[0]
    return host.removeprefix("www.")[:40]


def shop_name(site: Site, settings: CheckoutSettings) -> str:
    return settings.shop_name or default_shop_name(site)


def text_template(settings: CheckoutSettings, language: str | None = None) -> str:
    language = language or settings.otp_language
    custom = settings.otp_text_bn if language == "bn" else settings.otp_text_en
    return custom or DEFAULT_TEXTS[language]


def render_text(site: Site, settings: CheckoutSettings, code: str, template: str | None = None) -> str:
    template = template or text_template(settings)
    values = {"code": code, "shop": shop_name(site, settings), "minutes": str(max(1, settings.code_ttl_seconds // 60))}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


def check_template(site: Site, settings: CheckoutSettings, template: str) -> str:
    """A shop's own SMS text: it must carry {code}, only known placeholders, and fit 2 SMS."""
    if "{code}" not in (template or ""):
        raise ValueError(_("The text must contain {code}, where the code goes."))
    return sms.check_shop_text(template, placeholders=PLACEHOLDERS, hint="{code}, {shop} and {minutes}",
                               sample=lambda text: render_text(site, settings, "0" * CODE_DIGITS, text))


def settings_errors(site: Site, values: dict) -> dict:
    """Field -> [messages] for a settings form; empty when it may be saved. Texts are cleaned in place."""
    settings = settings_for(site)
    errors = sms.range_errors(values, LIMITS)
    if values.get("otp_language", settings.otp_language) not in DEFAULT_TEXTS:
        errors["otp_language"] = ["bn or en."]
    for name in TEXT_FIELDS:
        if values.get(name):
            try:
                values[name] = check_template(site, settings, values[name])
            except ValueError as error:
                errors[name] = [str(error)]
    if values.get("shop_name") is not None and len(values["shop_name"].strip()) > 40:
        errors["shop_name"] = [_("At most %(n)s characters.", n=40)]
    if values.get("blacklist_message") is not None and len(values["blacklist_message"].strip()) > 300:
        errors["blacklist_message"] = [_("At most %(n)s characters.", n=300)]
    return errors


def update_settings(site: Site, values: dict, by: str) -> CheckoutSettings:
    """Apply the settings form. Switching OTP on needs an SMS balance (S8)."""
    settings = settings_for(site)
    sms.apply_sms_option_settings(site, settings, values, settings_errors(site, values), switch="otp_enabled",
                                  text_fields=(*TEXT_FIELDS, "shop_name", "blacklist_message"), by=by)
    bump_version(site.id)
    return settings_for(site)


def otp_price(site: Site, settings: CheckoutSettings):
    return sms.quote(site, render_text(site, settings, "0" * CODE_DIGITS)).cost


def balance_ok(site: Site, settings: CheckoutSettings) -> bool:
    """Whether the wallet pays for one more code."""
    return sms.balance_of(site.id) >= otp_price(site, settings)
