"""The first-run guide (H1): the steps a new shop goes through, each done or not, computed from
the data the other domains keep (one statement of EXISTS checks, no table of its own)."""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_, select

from backend.checkout.models import CheckoutSettings
from backend.couriers.models import Consignment, CourierAccount
from backend.extensions import db
from backend.licensing.models import Site
from backend.sms.models import SmsMessage, Wallet


@dataclass(frozen=True)
class Step:
    key: str
    title: object
    hint: object
    page: str  # the embed page it links to (its permission decides whether the link shows)
    wp_slug: str


STEPS = (
    Step("license", _l("Activate your license"), _l("Bikri works while the license is active."), "license", "bikri-license"),
    Step("courier", _l("Connect a courier"), _l("Add your Steadfast (or another courier's) API keys."), "couriers", "bikri-couriers"),
    Step("sms_balance", _l("Add SMS balance"), _l("Checkout codes and order updates need balance."), "sms", "bikri-sms"),
    Step("checkout", _l("Choose checkout protection"), _l("Turn on OTP at checkout, or save your choice to keep it off."), "checkout", "bikri-checkout"),
    Step("first_booking", _l("Book your first order"), _l("Send an order to the courier from the Orders page."), "orders", "bikri-orders"),
    Step("first_status_sms", _l("Send your first order update SMS"), _l("Tell a customer their order's status by SMS."), "sms", "bikri-sms"),
)


def progress(site: Site) -> dict:
    """{"steps": [(step, done)], "done": n, "total": n, "complete": bool} for this shop."""
    site_id = site.id
    courier, balance, checkout, booking, status_sms = db.session.execute(select(
        exists().where(CourierAccount.site_id == site_id),
        exists().where(Wallet.site_id == site_id, Wallet.balance > 0),
        # saved on the Checkout page (every save or blacklist change bumps the version), or OTP on
        exists().where(CheckoutSettings.site_id == site_id,
                       or_(CheckoutSettings.otp_enabled.is_(True), CheckoutSettings.version > 1)),
        exists().where(Consignment.site_id == site_id),
        exists().where(SmsMessage.site_id == site_id, SmsMessage.purpose == "order_status", SmsMessage.status == "sent"),
    )).one()
    done = {"license": site.license.is_usable, "courier": courier, "sms_balance": balance, "checkout": checkout,
            "first_booking": booking, "first_status_sms": status_sms}
    steps = [(step, bool(done[step.key])) for step in STEPS]
    count = sum(1 for _step, finished in steps if finished)
    return {"steps": steps, "done": count, "total": len(steps), "complete": count == len(steps)}
