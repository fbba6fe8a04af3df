"""The loyalty JSON API (bearer token, scoped to the caller's site) under /api/v1/loyalty: the
shop's settings, a customer's balance and ledger, and the checkout's holds (taken, tied to the
order, released)."""
from flask.views import MethodView

from backend.api import Blueprint, current_site
from backend.extensions import limiter
from backend.loyalty import ledger, service, views
from backend.loyalty.schemas import (
    AttachSchema, BalanceAnswerSchema, BalanceQuerySchema, HoldAnswerSchema, HoldSchema, LedgerAnswerSchema,
    LedgerQuerySchema, LoyaltySettingsAnswerSchema, LoyaltySettingsSchema,
)

blp = Blueprint("loyalty", __name__, url_prefix="/api/v1/loyalty",
                description="Loyalty points: settings, balances and the ledger, redemption holds at checkout")

API_BLUEPRINTS = [blp]
PAGE_BLUEPRINTS = [views.blp]


def _per_shop():
    # one shop's shoppers all come through its WordPress server's address: the limit is the shop's
    return f"loyalty-{current_site().id}"


checkout_limit = limiter.limit("120/minute", key_func=_per_shop)


@blp.route("/settings")
class Settings(MethodView):
    @blp.response(200, LoyaltySettingsAnswerSchema)
    def get(self):
        """The shop's points programme: on/off, earning rate, point value, minimum, expiry, earn SMS."""
        return service.settings_json(service.settings_of(current_site().id))

    @blp.arguments(LoyaltySettingsSchema)
    @blp.response(200, LoyaltySettingsAnswerSchema)
    def put(self, data):
        """Save the programme (422 names each wrong field)."""
        return service.settings_json(service.save_settings(current_site().id, data, updated_by="API"))


@blp.route("/balance")
class Balance(MethodView):
    decorators = [checkout_limit]

    @blp.arguments(BalanceQuerySchema)
    @blp.response(200, BalanceAnswerSchema)
    def post(self, data):
        """A shopper's points at checkout: the phone proven by the checkout code (`proof`), or
        the logged-in customer's own phone (`account`). 403 `phone_not_proven`."""
        site = current_site()
        phone = service.proven_phone(site, data)
        return service.balance_answer(site, phone)


@blp.route("/holds")
class Holds(MethodView):
    decorators = [checkout_limit]

    @blp.arguments(HoldSchema)
    @blp.response(201, HoldAnswerSchema)
    def post(self, data):
        """Set points aside for this checkout (debited now; given back unless an order uses them
        within 30 minutes). 403 `phone_not_proven`, 409 `loyalty_off` / `insufficient_points` /
        `idempotency_key_reused`, 422 `below_minimum` / `more_than_order`. The same
        `idempotency_key` answers the same hold."""
        site = current_site()
        hold = service.take_hold(site, phone=service.proven_phone(site, data), points=data["points"],
                                 idempotency_key=data["idempotency_key"], max_value=data["cart_total"])
        return service.hold_json(hold)


@blp.route("/holds/<token>")
class Hold(MethodView):
    @blp.response(200, HoldAnswerSchema)
    def get(self, token):
        """A hold as it stands."""
        return service.hold_json(service.hold_of(current_site().id, token))

    @blp.response(200, HoldAnswerSchema)
    def delete(self, token):
        """The shopper took the points off before ordering: they go back. 409 `hold_used` once an order has them."""
        return service.hold_json(service.release_hold(current_site(), token))


@blp.route("/holds/<token>/order")
class HoldOrder(MethodView):
    @blp.arguments(AttachSchema)
    @blp.response(200, HoldAnswerSchema)
    def post(self, data, token):
        """The order these points pay for: the hold becomes a redemption when the order is stored,
        and the points go back if it is cancelled. Repeating it is harmless."""
        return service.hold_json(service.attach_hold(current_site(), token, data["order_id"]))


@blp.route("/ledger")
class Ledger(MethodView):
    @blp.arguments(LedgerQuerySchema, location="query")
    @blp.response(200, LedgerAnswerSchema)
    def get(self, args):
        """A customer's points and their last 50 ledger entries, newest first."""
        site_id = current_site().id
        phone = service.normal_phone(args["phone"])
        return {"phone": phone, "points": ledger.balance_of(site_id, phone),
                "entries": ledger.entries_of(site_id, phone)}
