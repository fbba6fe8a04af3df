"""Helpers to walk every registered route, so that new routes join the cross-cutting tests by themselves."""
import pytest

# Routes that hold no shop data, each with the reason. Anything else must be tenant-scoped.
NOT_TENANT_ROUTES = {
    "/healthz": "health check, no data",
    "/api/docs/openapi.json": "API description",
    "/api/docs/": "API description",
    "/api/v1/sites/activate": "public: a license key, not a token, identifies the caller",
    "/embed/<page>": "opened with a one-time ticket (tested in tests/embed)",
}
NOT_TENANT_PREFIXES = {
    "/operator": "operators' console: Bikri staff, cookie sign-in, sees every shop by design",
    "/demo-shop": "demo mode only",
    "/payments": "bKash sends the payer's browser back here; the unguessable payment id, checked with bKash, identifies it",
}

# How to fill a path argument with an id that belongs to the OTHER shop. A new route with a
# new argument name must add a line here, or the walk fails and says so.
PATH_ARGS = {
    # a courier is named by its key: shop A asks about its own account with that courier
    "courier": lambda other_site: "steadfast",
    # shop B's order number (seed_couriers): A must get a 404, never B's consignment
    "invoice": lambda other_site: OTHER_SHOP_INVOICE,
}

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

MARKER = "shop-b-private-marker"


def seed_sms(site_id):
    """Shop B's SMS: a message, a recharge and a balance nobody else may see."""
    from decimal import Decimal

    from backend.extensions import db
    from backend.sms import service
    from backend.sms.models import Recharge, SmsMessage

    service.credit(site_id, Decimal("777.77"), kind="operator_credit", reference="seed", note=MARKER)
    db.session.add(SmsMessage(site_id=site_id, phone="+8801999999999", content=f"{MARKER} message", purpose="manual",
                              encoding="gsm", segments=1, cost=Decimal("0.45"), gateway_cost=Decimal("0.3"), status="sent"))
    db.session.add(Recharge(site_id=site_id, amount=Decimal("777.77"), method="bkash", status="completed",
                            transaction_id=f"{MARKER}-trx", payment_id=f"{MARKER}-payment"))


OTHER_SHOP_INVOICE = f"{MARKER}-1001"
OTHER_SHOP_CONSIGNMENT = "987654321"


def seed_couriers(site_id):
    """Shop B's Steadfast account, settings, a consignment with history: none of it for A."""
    import json
    from decimal import Decimal

    from backend.couriers import service
    from backend.couriers.models import CourierAccount
    from backend.extensions import db
    from backend.integrations.couriers import TrackedStatus
    from backend.licensing.models import Site
    from backend.security import encrypt_secret

    db.session.add(CourierAccount(site_id=site_id, courier="steadfast", balance=Decimal("777.77"), next_request_us=0,
                                  credentials_enc=encrypt_secret(json.dumps({"api_key": f"{MARKER}-api",
                                                                              "secret_key": f"{MARKER}-secret"}))))
    site = db.session.get(Site, site_id)
    service.save_settings(site, {"default_note": f"{MARKER} note", "default_courier": "steadfast"})
    service.register_consignment(site, OTHER_SHOP_INVOICE, "steadfast", OTHER_SHOP_CONSIGNMENT, "MARKERTRK",
                                 Decimal("777.77"), 1001, status=TrackedStatus("pending", "pending"))


# Each domain adds a function that gives shop B data carrying MARKER (and the markers below).
SEED_OTHER_SHOP = [seed_sms, seed_couriers]
OTHER_SHOP_MARKERS = [MARKER, "777.77", "+8801999999999", "01999999999", OTHER_SHOP_CONSIGNMENT, "MARKERTRK"]


def tenant_routes(app):
    """(rule, method) for every route that must be scoped to the caller's site."""
    found = []
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if path in NOT_TENANT_ROUTES or path.startswith(tuple(NOT_TENANT_PREFIXES)):
            continue
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue  # static files of a blueprint
        if not (path.startswith("/api/") or path.startswith("/embed/")):
            pytest.fail(f"route {path} is neither an /api/ nor an /embed/ route; classify it in tests/walk.py")
        for method in sorted(rule.methods & set(METHODS)):
            found.append((rule, method))
    return found


def fill_path(rule, other_site):
    values = {}
    for argument in rule.arguments:
        if argument not in PATH_ARGS:
            pytest.fail(f"route {rule.rule}: tell tests/walk.py PATH_ARGS how to fill <{argument}> with another shop's id")
        values[argument] = PATH_ARGS[argument](other_site)
    path = rule.rule
    for argument, value in values.items():
        for pattern in (f"<{argument}>", f"<int:{argument}>", f"<string:{argument}>", f"<path:{argument}>"):
            path = path.replace(pattern, str(value))
    return path


def json_routes(app):
    """(rule, method) for every route that takes a JSON body."""
    return [
        (rule, method)
        for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/") and not rule.rule.startswith("/api/docs")
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH"})
    ]
