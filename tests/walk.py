"""Helpers to walk every registered route, so that new routes join the cross-cutting tests by themselves."""
from decimal import Decimal

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
    "/r/": "the shopper's reasons page: the unguessable token in the reminder's link is the only key (tests/abandoned)",
    "/payments": "bKash sends the payer's browser back here; the unguessable payment id, checked with bKash, identifies it",
    "/o/": "the customer's opt-out link: the signed token (shop and phone) is the only key (tests/notifications)",
    "/api/sms/inbound": "the SMS gateway's replies: its shared secret, no shop's token (tests/notifications)",
}

# How to fill a path argument with an id that belongs to the OTHER shop. A new route with a
# new argument name must add a line here, or the walk fails and says so.
PATH_ARGS = {
    "tag_id": lambda other_shop: SEEDED["tag_id"],  # shop B's order tag (seed_desk)
    # shop B's blacklist entry (seed_checkout notes its id)
    "entry_id": lambda other_site: SEEDED["blacklist_entry"],
    # a courier is named by its key: shop A asks about its own account with that courier
    "courier": lambda other_site: "steadfast",
    # shop B's order number (seed_couriers): A must get a 404, never B's consignment
    "invoice": lambda other_site: OTHER_SHOP_INVOICE,
    "cost_id": lambda other_site: SEEDED["cost_id"],  # shop B's dashboard cost (seed_dashboard)
    "checkout_id": lambda other_site: SEEDED["checkout_id"],  # shop B's abandoned checkout (seed_abandoned)
    "job_id": lambda other_site: SEEDED["job_id"],  # shop B's work job (seed_tasks)
    "recharge_id": lambda other_site: SEEDED["recharge_id"],  # shop B's bKash recharge (seed_sms)
    "message_id": lambda other_site: SEEDED["message_id"],  # shop B's SMS (seed_sms)
    "request_id": lambda other_site: SEEDED["feature_request_id"],  # shop B's own (new) feature request (seed_ideas)
    "ticket": lambda other_site: SEEDED["download_ticket"],  # shop B's plugin download ticket (seed_updates)
    "customer_id": lambda other_site: SEEDED["customer_id"],  # shop B's customer (seed_customers)
    "segment_id": lambda other_site: SEEDED["segment_id"],  # shop B's saved segment (seed_customers)
    "campaign_id": lambda other_site: SEEDED["campaign_id"],  # shop B's SMS campaign (seed_customers)
    "action": lambda other_site: "pause",  # a campaign's action: A pausing B's campaign must be a 404
    "product_id": lambda other_site: 777001,  # shop B's product (seed_inventory)
    "spend_id": lambda other_site: SEEDED["spend_id"],  # shop B's ad spend (seed_adtracking)
    # help articles belong to no shop; a draft (seed_help) is what no shop may read
    "article_id": lambda other_site: SEEDED["help_draft_id"],
    # shop B's storefront chat: its public key (A's credentials open no conversation there) and a conversation
    "shop_key": lambda other_site: SEEDED["chat_shop_key"],
    "conversation_id": lambda other_site: SEEDED["chat_conversation_id"],
    "attachment_id": lambda other_site: SEEDED["support_attachment_id"],  # shop B's support chat image (seed_support)
    "token": lambda other_site: SEEDED["hold_token"],  # shop B's loyalty hold at checkout (seed_loyalty)
}
SEEDED = {}

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

MARKER = "shop-b-private-marker"


def seed_sms(site_id):
    """Shop B's SMS: a message, a recharge and a balance nobody else may see."""
    from decimal import Decimal

    from backend.extensions import db
    from backend.sms import service
    from backend.sms.models import Recharge, SmsMessage

    service.credit(site_id, Decimal("777.77"), kind="operator_credit", reference="seed", note=MARKER)
    message = SmsMessage(site_id=site_id, phone="+8801999999999", content=f"{MARKER} message", purpose="manual",
                         encoding="gsm", segments=1, cost=Decimal("0.45"), gateway_cost=Decimal("0.3"), status="sent")
    db.session.add(message)
    recharge = Recharge(site_id=site_id, amount=Decimal("777.77"), method="bkash", status="pending",
                        transaction_id=f"{MARKER}-trx", payment_id=f"{MARKER}-payment",
                        payment_url=f"https://bkash.example/pay/{MARKER}")
    db.session.add(recharge)
    db.session.flush()
    SEEDED["message_id"] = message.id
    SEEDED["recharge_id"] = recharge.id


def seed_desk(site_id):
    """Shop B's order desk: a tagged order (name and phone are markers) and the tag."""
    from backend.desk.models import OrderTag, OrderTagLink
    from backend.extensions import db
    from backend.orders.models import Order
    from backend.orders.service import upsert_orders

    upsert_orders(site_id, [{"id": 7001, "status": "processing", "date_created_gmt": "2026-03-02T09:00:00",
                             "total": "777.77", "billing": {"first_name": MARKER, "phone": "01999999999"}}])
    tag = OrderTag(site_id=site_id, name=f"{MARKER}-tag"[:40], colour="#123456")
    db.session.add(tag)
    db.session.flush()
    order_id = db.session.query(Order.id).filter(Order.site_id == site_id, Order.wc_id == 7001).scalar()
    db.session.add(OrderTagLink(site_id=site_id, order_id=order_id, tag_id=tag.id))
    db.session.flush()
    SEEDED["tag_id"] = tag.id


def seed_order_tasks(site_id):
    """Shop B's order tasks (T3): a staff member, B's desk order assigned to them, a call with a
    marker note, and the booking setting (after seed_desk, whose order it uses)."""
    from backend.desk.models import OrderAssignment, OrderTaskSettings, PhoneConfirmation, StaffMember
    from backend.extensions import db
    from backend.orders.models import Order
    from backend.clock import utcnow

    order_id = db.session.query(Order.id).filter(Order.site_id == site_id, Order.wc_id == 7001).scalar()
    db.session.add(StaffMember(site_id=site_id, wp_user_id=7001, display_name=f"{MARKER} staff", role="staff"))
    db.session.add(OrderAssignment(site_id=site_id, order_id=order_id, assignee_wp_user_id=7001, due_at=utcnow(),
                                   assigned_by=MARKER))
    db.session.add(PhoneConfirmation(site_id=site_id, order_id=order_id, outcome="confirmed", note=f"{MARKER} call",
                                     by_wp_user_id=7001, by_name=f"{MARKER} caller", created_at=utcnow()))
    db.session.add(OrderTaskSettings(site_id=site_id, require_phone_confirmation=True, updated_by=MARKER))
    db.session.flush()


def seed_dashboard(site_id):
    """Shop B's dashboard: a sales target, a campaign and a cost only B has."""
    from datetime import date, datetime

    from backend.dashboard.models import Cost, DaySource, SalesTarget
    from backend.extensions import db

    db.session.add(SalesTarget(site_id=site_id, month=date(2026, 3, 1), amount=Decimal("777.77"), set_by=MARKER,
                               updated_at=datetime(2026, 3, 1)))
    db.session.add(DaySource(site_id=site_id, day=date(2026, 3, 1), source_type="utm", utm_source="facebook",
                             utm_medium="cpc", utm_campaign=MARKER, referrer_host="", created_via="checkout",
                             click_source="", orders=1, revenue=Decimal("777.77")))
    cost = Cost(site_id=site_id, day=date(2026, 3, 1), category="ads", amount=Decimal("777.77"), note=MARKER, created_by=MARKER)
    db.session.add(cost)
    db.session.flush()
    SEEDED["cost_id"] = cost.id


def seed_checkout(site_id):
    """Shop B's checkout protection: settings with a marker message, a blacklist entry, an OTP
    request and a reported order, all for numbers and addresses nobody else may see."""
    from datetime import timedelta

    from backend.checkout.models import BlacklistEntry, CheckoutOrder, CheckoutSettings, OtpCode
    from backend.extensions import db
    from backend.clock import utcnow

    db.session.add(CheckoutSettings(site_id=site_id, otp_enabled=True, blacklist_message=f"{MARKER} blocked",
                                    otp_text_en=f"{{code}} {MARKER}", shop_name="MarkerShopB"))
    entry = BlacklistEntry(site_id=site_id, kind="phone", value="+8801888888888", reason=f"{MARKER} reason",
                           added_by=f"{MARKER} admin")
    db.session.add(entry)
    db.session.add(BlacklistEntry(site_id=site_id, kind="ip", value="198.51.100.77", reason=MARKER))
    db.session.add(OtpCode(site_id=site_id, phone="+8801999999999", session_id="b" * 32, ip="198.51.100.77",
                           ip_key="198.51.100.77", status="verified", created_at=utcnow(), verified_at=utcnow(),
                           expires_at=utcnow() + timedelta(minutes=5)))
    db.session.add(CheckoutOrder(site_id=site_id, wc_order_id=777001, phone="+8801999999999", otp="verified", status="completed"))
    db.session.flush()
    SEEDED["blacklist_entry"] = entry.id


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


def seed_fraud(site_id):
    """Shop B's fraud check of its customer (the desk order's phone): who checked and what was found."""
    import json

    from sqlalchemy import update

    from backend.extensions import db
    from backend.fraud.models import FraudCheck
    from backend.orders.models import Customer

    sources = {"couriers": [{"courier": "steadfast", "name": MARKER, "ok": False, "error": "x", "message": MARKER}],
               "shop": {"orders": 777, "delivered": 0, "returned": 0, "cancelled": 0, "success_percent": None},
               "network": {"delivered": 0, "returned": 0, "success_percent": None}}
    db.session.add(FraudCheck(site_id=site_id, phone="+8801999999999", checked_by=f"{MARKER} manager", forced=False,
                              sources=json.dumps(sources), delivered=0, returned=0, risk="new"))
    db.session.execute(update(Customer).where(Customer.site_id == site_id).values(fraud_risk="high", fraud_success_percent=7))


def seed_abandoned(site_id):
    """Shop B's abandoned checkout (phone, name, cart and reason are markers) and its settings."""
    import json

    from backend.abandoned.models import AbandonedCheckout, AbandonedSettings
    from backend.extensions import db

    db.session.add(AbandonedSettings(site_id=site_id, capture_enabled=True, reminders_enabled=True, text1=f"{MARKER} {{link}}"))
    checkout = AbandonedCheckout(site_id=site_id, capture_key="b" * 32, phone="+8801999999999", name=MARKER,
                                 cart=json.dumps([{"product_id": 5, "name": MARKER, "quantity": 1, "total": "777.77"}]),
                                 value=Decimal("777.77"), status="abandoned", reason_token="markertokenb" * 2,
                                 reason="other", reason_text=MARKER)
    db.session.add(checkout)
    db.session.flush()
    SEEDED["checkout_id"] = checkout.id


def seed_adtracking(site_id):
    """Shop B's ad tracking: a Pixel id, an encrypted token, a sent event and ad spend."""
    from datetime import date

    from backend.adtracking.models import AdSettings, CapiEvent
    from backend.dashboard.models import AdSpend
    from backend.extensions import db
    from backend.security import encrypt_secret

    db.session.add(AdSettings(site_id=site_id, pixel_id="777777777777777", capi_token_enc=encrypt_secret(MARKER + "-token"),
                              capi_enabled=True, delivered_event="custom", delivered_event_name="Delivered",
                              refund_on_return=False, test_event_code=""))
    db.session.add(CapiEvent(site_id=site_id, order_wc_id=777, kind="purchase", event_name="Purchase",
                             event_id=f"bikri-777-{MARKER}", event_time=1772323200, value=Decimal("777.77"), status="sent"))
    spend = AdSpend(site_id=site_id, network="facebook", campaign=MARKER, start_day=date(2026, 3, 1),
                    end_day=date(2026, 3, 31), amount=Decimal("777.77"), source="manual", created_by=MARKER)
    db.session.add(spend)
    db.session.flush()
    SEEDED["spend_id"] = spend.id


def seed_loyalty(site_id):
    """Shop B's loyalty points: the programme on, the marker phone's points and a checkout hold."""
    from backend.extensions import db
    from backend.licensing.models import Site
    from backend.loyalty import service
    from backend.loyalty.ledger import Account
    from backend.loyalty.models import EARN

    service.save_settings(site_id, {"enabled": True, "points_per_100": 7, "point_value": "7.77", "min_redeem": 7,
                                    "expiry_days": 0, "earn_sms": False, "earn_sms_text": MARKER})
    Account.lock(site_id, "+8801999999999").post(777, EARN, "order:777:0", order_wc_id=777)
    hold = service.take_hold(db.session.get(Site, site_id), phone="+8801999999999", points=77, idempotency_key=MARKER)
    SEEDED["hold_token"] = hold.token


def seed_tasks(site_id):
    """Shop B's work job, its item's result carrying the marker."""
    from backend.extensions import db
    from backend.tasks.models import WorkJob, WorkJobItem
    from backend.clock import utcnow

    job = WorkJob(site_id=site_id, kind="booking", task="couriers.book_many", per_task=25, total=1, done=1, status="done", params="{}", started_by=MARKER,
                  error=MARKER, created_at=utcnow())
    db.session.add(job)
    db.session.flush()
    db.session.add(WorkJobItem(job_id=job.id, item="777001", outcome="booked", message=MARKER, created_at=utcnow(),
                               data=f'{{"consignment_id": "{OTHER_SHOP_CONSIGNMENT}", "tracking_code": "MARKERTRK"}}'))
    SEEDED["job_id"] = job.id


def seed_updates(site_id):
    """A plugin release (its zip carries the marker, stored uncompressed) and shop B's download ticket for it."""
    import io
    import zipfile

    from backend.updates import service

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("bikri/bikri.php", f"<?php\n/*\n * Version: 9.9.9\n * {MARKER}\n */\n")
    release = service.upload_release(buffer.getvalue(), "a release every shop may see", rollout_percent=100)
    SEEDED["download_ticket"] = service.download_ticket(site_id, release)


def seed_ideas(site_id):
    """Shop B's feature request, still its own (new): nobody else sees or votes on it."""
    from backend.extensions import db
    from backend.ideas.models import FeatureRequest

    request = FeatureRequest(site_id=site_id, title=f"{MARKER} idea", body=MARKER, asked_by=MARKER, reply=MARKER)
    db.session.add(request)
    db.session.flush()
    SEEDED["feature_request_id"] = request.id


def seed_activity(site_id):
    """Shop B's activity log (a person, an order, an IP) and its own role matrix: none of it for A."""
    from backend.activity.models import Activity
    from backend.embed import matrix
    from backend.extensions import db
    from backend.clock import utcnow

    db.session.add(Activity(site_id=site_id, at=utcnow(), actor_kind="user", actor=f"{MARKER} staff", actor_id=9,
                            kind="order_status", order_wc_id=777001, subject=MARKER, before='{"status":"processing"}',
                            after=f'{{"status":"{MARKER}"}}', source=f"/embed/orders {MARKER}", ip="198.51.100.77"))
    matrix.save(site_id, {"permissions": {"admin": ["manage_roles", "view_activity"], "manager": [], "staff": []},
                          "wordpress_roles": {"administrator": "admin", f"{MARKER}-role": "manager"}})
    db.session.flush()


def seed_customers(site_id):
    """Shop B's customer (seed_desk's order: its name and phone are markers) with a tag, a saved
    segment, an opt-out and a scheduled campaign, all carrying the marker."""
    import json
    from datetime import timedelta

    from backend.customers.models import Campaign, CustomerStats, CustomerTag, SavedSegment, SmsOptOut
    from backend.extensions import db
    from backend.clock import utcnow

    stats = db.session.query(CustomerStats).filter(CustomerStats.site_id == site_id).one()
    db.session.add(CustomerTag(site_id=site_id, customer_id=stats.customer_id, tag=MARKER[:40]))
    segment = SavedSegment(site_id=site_id, name=MARKER, filters=json.dumps({"tag": MARKER[:40]}))
    campaign = Campaign(site_id=site_id, name=MARKER, content=f"{MARKER} offer", audience="{}", status="scheduled",
                        scheduled_at=utcnow() + timedelta(days=30), recipients=1, segments=1)
    db.session.add_all([segment, campaign, SmsOptOut(site_id=site_id, phone="+8801888888888")])
    db.session.flush()
    SEEDED.update(customer_id=stats.customer_id, segment_id=segment.id, campaign_id=campaign.id)


def seed_inventory(site_id):
    """Shop B's product (name and SKU are markers), low on stock, with a batch row."""
    from datetime import datetime

    from backend.extensions import db
    from backend.inventory.models import InventorySettings, LowStockCrossing, StockBatch, StockBatchRow, StockItem

    item = StockItem(site_id=site_id, wc_id=777001, parent_wc_id=0, type="simple", name=f"{MARKER} product",
                     sku="MarkerShopB", manage_stock=True, stock_quantity=1, stock_status="instock",
                     price=Decimal("777.77"), regular_price=Decimal("777.77"), stock_version=1,
                     date_modified_gmt=datetime(2026, 1, 1), last_sold_at=datetime(2025, 1, 1))
    db.session.add(item)
    db.session.add(InventorySettings(site_id=site_id, default_threshold=5, cover_days=7, alert_phone="+8801999999999"))
    db.session.flush()
    db.session.add(LowStockCrossing(site_id=site_id, item_id=item.id, quantity=1, threshold=5, alert="sms"))
    batch = StockBatch(site_id=site_id, source="grid", created_by=MARKER)
    db.session.add(batch)
    db.session.flush()
    db.session.add(StockBatchRow(batch_id=batch.id, site_id=site_id, wc_id=777001, sku="MarkerShopB", outcome="done",
                                 old_stock=5, new_stock=1, set_sale_price=False))
    db.session.flush()


def seed_notifications(site_id):
    """Shop B's status-message texts, a claimed send and a delivery alert, each carrying the marker."""
    from backend.extensions import db
    from backend.notifications.models import Alert, NotificationSend, NotificationSettings, StatusRule
    from backend.clock import utcnow

    db.session.add(NotificationSettings(site_id=site_id, owner_phone="+8801999999999", updated_by=MARKER))
    db.session.add(StatusRule(site_id=site_id, status="shipped", sms=True, text_bn=f"{MARKER} {{order}}", text_en=MARKER))
    db.session.add(NotificationSend(site_id=site_id, order_wc_id=777001, status="shipped", channel="sms", state="queued",
                                    phone="+8801999999999", detail=MARKER, created_at=utcnow(), due_at=utcnow()))
    db.session.add(Alert(site_id=site_id, kind="returned", consignment_pk=777001, order_wc_id=777001, courier="steadfast",
                         consignment=OTHER_SHOP_CONSIGNMENT, created_at=utcnow()))


def seed_help(site_id):
    """An operator's draft help article carrying the marker: hidden from every shop until published."""
    from backend.help import service

    article = service.save_article(None, {"slug": "draft-marker", "language": "en", "title": f"{MARKER} draft",
                                          "body": f"{MARKER} not published", "page_key": "orders"}, by="ops@bikri.test")
    SEEDED["help_draft_id"] = article.id


def seed_livechat(site_id):
    """Shop B's live chat: on, a visitor's conversation (name, phone, page, message are markers)."""
    from backend.extensions import db
    from backend.livechat.models import ChatConversation, ChatMessage, ChatSettings
    from backend.security import hash_token

    db.session.add(ChatSettings(site_id=site_id, enabled=True, shop_key="markershopbchatkey", greeting=MARKER))
    conversation = ChatConversation(site_id=site_id, token_hash=hash_token(MARKER), visitor_name=MARKER,
                                    phone="+8801999999999", page_url=f"https://{MARKER}.example/p", ip_key="198.51.100.77")
    db.session.add(conversation)
    db.session.flush()
    message = ChatMessage(site_id=site_id, conversation_id=conversation.id, sender="visitor", body=f"{MARKER} question")
    db.session.add(message)
    db.session.flush()
    conversation.last_message_id, conversation.staff_unread = message.id, 1
    SEEDED.update(chat_shop_key="markershopbchatkey", chat_conversation_id=conversation.id)


def seed_support(site_id):
    """Shop B's support chat: its question (the marker), the operators' answer, an image whose
    bytes carry the marker, and the offline alert it caused."""
    from backend.extensions import db
    from backend.support.models import Attachment, Conversation, Message, OperatorAlert
    from backend.clock import utcnow

    conversation = Conversation(site_id=site_id)
    db.session.add(conversation)
    db.session.flush()
    question = Message(conversation_id=conversation.id, site_id=site_id, side="shop", author_name=f"{MARKER} owner",
                       wp_user_id=7001, body=f"{MARKER} question", created_at=utcnow())
    answer = Message(conversation_id=conversation.id, site_id=site_id, side="operator", author_name="ops@bikri.test",
                     body=f"{MARKER} answer", created_at=utcnow())
    db.session.add_all([question, answer])
    db.session.flush()
    image = Attachment(message_id=question.id, site_id=site_id, content_type="image/png", size=40,
                       data=b"\x89PNG\r\n\x1a\n" + MARKER.encode(), created_at=utcnow())
    db.session.add(image)
    db.session.add(OperatorAlert(site_id=site_id, message_id=question.id, phone="+8801999999999",
                                 content=f"{MARKER} alert", status="sent", created_at=utcnow()))
    conversation.last_message_id, conversation.shop_read_id = answer.id, question.id
    db.session.flush()
    SEEDED["support_attachment_id"] = image.id


# Each domain adds a function that gives shop B data carrying MARKER (and the markers below).
SEED_OTHER_SHOP = [seed_sms, seed_desk, seed_order_tasks, seed_dashboard, seed_checkout, seed_couriers, seed_fraud,
                   seed_abandoned, seed_tasks, seed_updates, seed_ideas, seed_activity, seed_customers, seed_inventory,
                   seed_adtracking, seed_notifications, seed_help, seed_livechat, seed_support, seed_loyalty]
OTHER_SHOP_MARKERS = [MARKER, "777.77", "+8801999999999", "01999999999", "+8801888888888", "01888888888",
                      "198.51.100.77", "MarkerShopB", "777001", OTHER_SHOP_CONSIGNMENT,
                      "MARKERTRK"]


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
