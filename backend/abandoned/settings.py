"""A shop's abandoned-checkout settings and reminder texts, the states a checkout moves through, and
the field checks capture and the pages share.
"""
import re
from datetime import timedelta

from flask import current_app

from backend.abandoned.models import AbandonedSettings
from backend.checkout import service as checkout
from backend.database import row_for_site
from backend.errors import ApiError
from backend.extensions import db
from backend.licensing.models import Site
from backend.sms import service as sms


def N_(message: str) -> str:
    """Marks a note stored in English for the catalog; the page translates it when it shows it."""
    return message


STATUSES = ("open", "abandoned", "reminded", "recovered", "lost", "ordered")
ACTIVE = ("open", "abandoned", "reminded")  # an order from the phone closes these
CHASED = ("abandoned", "reminded")  # reminders go to these
# WooCommerce statuses that are not orders (yet, or any more)
NOT_ORDERS = ("checkout-draft", "failed", "cancelled", "trash", "deleted")
REASONS = ("too_expensive", "delivery_charge", "just_looking", "other")
# an order's clock (the shop's server) and ours may differ a little
CLOCK_SLACK = timedelta(minutes=2)

MAX_ITEMS = 50
CAPTURE_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")

# name -> (low, high): what a shop may set
LIMITS = {
    "abandon_after_minutes": (15, 1440),
    "reminder1_minutes": (10, 2880),
    "reminder2_minutes": (60, 10080),
    "coupon_percent": (1, 90),
    "coupon_days": (1, 60),
    "lost_after_days": (1, 60),
}
TEXT_FIELDS = ("text1", "text2")
PLACEHOLDERS = {"name", "shop", "link", "coupon", "percent"}
DEFAULT_TEXTS = {
    "en": ("{name}, your cart at {shop} is waiting. Order here: {link}",
           "{name}, your {shop} cart is still saved. Use code {coupon} for {percent}% off: {link}"),
    "bn": ("{name}, {shop}-এ আপনার কার্ট অপেক্ষা করছে। অর্ডার করুন: {link}",
           "{name}, {shop}-এ আপনার কার্ট এখনো আছে। {coupon} কোডে {percent}% ছাড়: {link}"),
}
DEFAULT_TEXTS_NO_COUPON = {
    "en": "{name}, your {shop} cart is still saved. Order before it is gone: {link}",
    "bn": "{name}, {shop}-এ আপনার কার্ট এখনো আছে। শেষ হওয়ার আগে অর্ডার করুন: {link}",
}


def invalid(field_name: str, message: str) -> ApiError:
    return sms.validation_error(field_name, message)


def clean_text(value, limit: int) -> str | None:
    value = re.sub(r"\s+", " ", str(value or "")).strip()
    return value[:limit] or None


def settings_for(site: Site) -> AbandonedSettings:
    return row_for_site(AbandonedSettings, site.id)


def capture_enabled(site: Site) -> bool:
    settings = db.session.get(AbandonedSettings, site.id)
    return bool(settings and settings.capture_enabled)


def shop_name(site: Site) -> str:
    return checkout.shop_name(site, checkout.settings_for(site))


def text_template(settings: AbandonedSettings, number: int) -> str:
    custom = settings.text1 if number == 1 else settings.text2
    if custom:
        return custom
    if number == 2 and not settings.coupon_enabled:
        return DEFAULT_TEXTS_NO_COUPON[settings.sms_language]
    if number == 1 and settings.coupon_enabled:
        return DEFAULT_TEXTS[settings.sms_language][1]
    return DEFAULT_TEXTS[settings.sms_language][number - 1]


def reason_link(token: str) -> str:
    return f"{current_app.config['PUBLIC_URL']}/r/{token}"


def render_text(site: Site, settings: AbandonedSettings, template: str, *, name: str | None, token: str,
                coupon: str | None) -> str:
    values = {"name": (name or "").split(" ")[0][:20] or ("Hello" if settings.sms_language == "en" else "প্রিয় গ্রাহক"),
              "shop": shop_name(site), "link": reason_link(token), "coupon": coupon or "",
              "percent": str(settings.coupon_percent)}
    text = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def check_template(site: Site, settings: AbandonedSettings, template: str, coupon_enabled: bool) -> str:
    def coupon_rule(text):
        if "{coupon}" in text and not coupon_enabled:
            raise ValueError("{coupon} needs the coupon switched on.")

    return sms.check_shop_text(template, placeholders=PLACEHOLDERS, hint="{name}, {shop}, {link}, {coupon} and {percent}",
                               also=coupon_rule, sample=lambda text: render_text(site, settings, text, name="Rahima",
                                                                                  token="x" * 16, coupon="BK-XXXXXXXX"))


def settings_errors(site: Site, values: dict) -> dict:
    """Field -> [messages]; empty when the form may be saved. Texts are cleaned in place."""
    settings = settings_for(site)
    errors = sms.range_errors(values, LIMITS, optional=("reminder2_minutes",))  # None: no second reminder
    if values.get("sms_language", settings.sms_language) not in DEFAULT_TEXTS:
        errors["sms_language"] = ["bn or en."]
    coupon = values.get("coupon_enabled", settings.coupon_enabled)
    for name in TEXT_FIELDS:
        if values.get(name):
            try:
                values[name] = check_template(site, settings, values[name], coupon)
            except ValueError as error:
                errors[name] = [str(error)]
    return errors


def update_settings(site: Site, values: dict, by: str) -> AbandonedSettings:
    """Apply the settings form. Switching reminders on needs an SMS balance (S8)."""
    settings = settings_for(site)
    sms.apply_sms_option_settings(site, settings, values, settings_errors(site, values), switch="reminders_enabled",
                                  text_fields=TEXT_FIELDS, by=by)
    return settings


def reminder_price(site: Site, settings: AbandonedSettings):
    sample = render_text(site, settings, text_template(settings, 1), name="Rahima", token="x" * 16, coupon="BK-XXXXXXXX")
    return sms.quote(site, sample).cost
