"""Live chat (H2): the rules. Visitors write from the shop's storefront (public routes, see
routes.py); the shop's staff answer from the Live chat page (views.py).

Keys. The storefront names the shop by its `shop_key` (public, random: it says which shop, it
opens nothing). A visitor's conversation is opened by its token (32 random bytes, given to the
visitor's browser once and stored here only as a SHA-256 hash), looked up together with the
shop: one visitor cannot read another's conversation, nor one shop's token another shop's.

Delivery within 2 s is polling: both sides ask "anything after message N?", one indexed query
each ((conversation_id, id) for a visitor, (site_id, id) for the inbox).

Offline: while no staff member has had the inbox open for STAFF_AWAY_SECONDS, the box asks the
visitor for a phone number with the message (a Bangladeshi mobile number, backend/phones.py),
which the inbox shows beside the conversation.

Limits against spam, counted in the database so every web process agrees: messages per visitor
per minute and per hour, new conversations per IP (an IPv6 visitor's whole /64) per shop per hour. The
per-IP request caps in front of them are the routes' (Flask-Limiter). A conversation's row is
locked (PostgreSQL) while its visitor's messages are counted, so parallel sends cannot slip past.
"""
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import joinedload

from backend.checkout.codes import ip_key, refusal
from backend.errors import ApiError
from backend.extensions import db
from backend.licensing.models import Site
from backend.livechat.models import ChatConversation, ChatMessage, ChatSettings
from backend.phones import InvalidPhone, normalise_phone
from backend.security import hash_token, new_token
from backend.clock import utcnow

MAX_MESSAGE = 1000
MAX_NAME = 80
MAX_GREETING = 300
# no staff poll for this long: the box says the shop is away and asks for a number
STAFF_AWAY_SECONDS = 90
# a conversation silent this long is deleted with its messages and the visitor's number
KEEP_DAYS = 180
# the inbox polls every second or two; its presence is written at most this often
PRESENCE_WRITE_SECONDS = 20
MESSAGES_PER_PAGE = 100
INBOX_ROWS = 50

VISITOR, STAFF = "visitor", "staff"


def _limit(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def invalid(field: str, message: str) -> ApiError:
    return ApiError(message, code="validation_error", status=422, details={field: [message]})


# --- the shop's settings --------------------------------------------------------------------------

def settings_for(site_id: int) -> ChatSettings | None:
    return db.session.get(ChatSettings, site_id)


def ensure_settings(site: Site) -> ChatSettings:
    settings = settings_for(site.id)
    if settings is None:
        settings = ChatSettings(site_id=site.id, enabled=False, shop_key=secrets.token_urlsafe(18), greeting="")
        db.session.add(settings)
        db.session.flush()
    return settings


def update_settings(site: Site, *, enabled: bool, greeting: str, by: str) -> ChatSettings:
    greeting = (greeting or "").strip()
    if len(greeting) > MAX_GREETING:
        raise invalid("greeting", _("At most %(n)s characters.", n=MAX_GREETING))
    settings = ensure_settings(site)
    settings.enabled, settings.greeting, settings.updated_by = bool(enabled), greeting, by[:200]
    db.session.flush()
    return settings


def plugin_config(site: Site) -> dict:
    """What the plugin keeps (pulled with the checkout settings) to print the box without
    asking us on a page view: on or off, where the box sends, the shop's greeting."""
    settings = settings_for(site.id)
    if settings is None or not settings.enabled:
        return {"enabled": False, "endpoint": "", "greeting": ""}
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    return {"enabled": True, "endpoint": f"{base}/api/chat/{settings.shop_key}", "greeting": settings.greeting}


def shop_for_key(shop_key: str) -> tuple[ChatSettings, Site] | None:
    """The shop a storefront's chat request names, while its chat is on, its site active and its
    license usable (one query: every poll of every open box starts here)."""
    found = db.session.execute(
        select(ChatSettings, Site).join(Site, Site.id == ChatSettings.site_id)
        .options(joinedload(Site.license)).where(ChatSettings.shop_key == shop_key)).one_or_none()
    if found is None:
        return None
    settings, site = found
    if not settings.enabled or not site.is_active or not site.license.is_usable:
        return None
    return settings, site


# --- presence -------------------------------------------------------------------------------------

def staff_online(settings: ChatSettings, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return settings.staff_seen_at is not None and now - settings.staff_seen_at < timedelta(seconds=STAFF_AWAY_SECONDS)


def mark_staff_present(site: Site, now: datetime | None = None) -> None:
    """A staff member has the inbox open. Written at most every PRESENCE_WRITE_SECONDS: the
    inbox asks every second or two and most asks write nothing."""
    now = now or utcnow()
    settings = ensure_settings(site)
    if settings.staff_seen_at is None or now - settings.staff_seen_at >= timedelta(seconds=PRESENCE_WRITE_SECONDS):
        settings.staff_seen_at = now
        db.session.flush()


# --- the visitor's side ---------------------------------------------------------------------------

@dataclass
class Started:
    conversation: ChatConversation
    token: str
    message: ChatMessage


def _text(raw) -> str:
    text = (raw or "").strip() if isinstance(raw, str) else ""
    if not text:
        raise invalid("text", _("Write a message."))
    if len(text) > MAX_MESSAGE:
        raise invalid("text", _("A message has at most %(n)s characters.", n=MAX_MESSAGE))
    return text


def _phone(raw) -> str:
    try:
        return normalise_phone(raw)
    except InvalidPhone as error:
        raise invalid("phone", str(error)) from None


def _page_of_the_shop(raw: str, site: Site) -> str:
    """The page the visitor wrote from, if it is one of the shop's own: staff follow that link,
    so an address elsewhere (or a javascript: one) is not kept."""
    origin = site.origin.lower()
    raw = (raw or "").strip()
    return raw[:500] if raw.lower() == origin or raw.lower().startswith(origin + "/") else ""


def start_conversation(settings: ChatSettings, site: Site, *, text, name="", phone=None, page_url="", ip: str) -> Started:
    """A visitor's first message opens a conversation and gives their browser its token."""
    text = _text(text)
    name = (name or "").strip()
    if len(name) > MAX_NAME:
        raise invalid("name", _("At most %(n)s characters.", n=MAX_NAME))
    online = staff_online(settings)
    if phone:
        phone = _phone(phone)
    elif not online:
        raise invalid("phone", _("We are away: leave your mobile number and we will call you back."))
    _address, key = ip_key(ip)
    hour_ago = utcnow() - timedelta(hours=1)
    # per shop: mobile operators put many shoppers behind one address, and one shop's flood
    # should not close every other shop's box to them
    started = db.session.execute(select(func.count(ChatConversation.id)).where(
        ChatConversation.site_id == settings.site_id, ChatConversation.ip_key == key,
        ChatConversation.created_at >= hour_ago)).scalar_one()
    if started >= _limit("LIVECHAT_CONVERSATIONS_PER_IP_PER_HOUR", 20):
        raise refusal(429, "chat_rate_limited", _("Too many chats from this connection. Try again later."), 3600)
    token = new_token()
    conversation = ChatConversation(site_id=settings.site_id, token_hash=hash_token(token), visitor_name=name,
                                    phone=phone or None, page_url=_page_of_the_shop(page_url, site), ip_key=key)
    db.session.add(conversation)
    db.session.flush()
    message = _add(conversation, VISITOR, text, offline=not online)
    return Started(conversation, token, message)


def conversation_for_visitor(settings: ChatSettings, token: str | None) -> ChatConversation | None:
    if not token:
        return None
    return db.session.execute(select(ChatConversation).where(
        ChatConversation.site_id == settings.site_id, ChatConversation.token_hash == hash_token(token))).scalar_one_or_none()


def visitor_writes(settings: ChatSettings, conversation: ChatConversation, *, text, phone=None) -> ChatMessage:
    text = _text(text)
    online = staff_online(settings)
    if phone:
        phone = _phone(phone)
    elif not online and not conversation.phone:
        raise invalid("phone", _("We are away: leave your mobile number and we will call you back."))
    # the row lock makes the count and the insert one step for parallel sends (PostgreSQL)
    db.session.execute(select(ChatConversation.id).where(ChatConversation.id == conversation.id).with_for_update())
    now = utcnow()
    for window, name, default in ((timedelta(minutes=1), "LIVECHAT_MESSAGES_PER_MINUTE", 8),
                                  (timedelta(hours=1), "LIVECHAT_MESSAGES_PER_HOUR", 60)):
        sent = db.session.execute(select(func.count(ChatMessage.id)).where(
            ChatMessage.conversation_id == conversation.id, ChatMessage.sender == VISITOR,
            ChatMessage.created_at >= now - window)).scalar_one()
        if sent >= _limit(name, default):
            raise refusal(429, "chat_rate_limited", _("You are sending messages too fast. Wait a little."),
                          window.total_seconds() / 6)
    if phone:
        conversation.phone = phone
    return _add(conversation, VISITOR, text, offline=not online)


def _add(conversation: ChatConversation, sender: str, text: str, *, offline=False, staff_name=None) -> ChatMessage:
    message = ChatMessage(site_id=conversation.site_id, conversation_id=conversation.id, sender=sender, body=text,
                          offline=offline, staff_name=staff_name)
    db.session.add(message)
    db.session.flush()
    conversation.last_message_id, conversation.last_message_at = message.id, message.created_at
    if sender == VISITOR:
        conversation.staff_unread += 1
    db.session.flush()
    return message


def messages_after(conversation: ChatConversation, after: int) -> list[ChatMessage]:
    if after >= conversation.last_message_id:
        return []  # nothing new: the conversation's row says so without reading messages
    return db.session.execute(select(ChatMessage).where(
        ChatMessage.conversation_id == conversation.id, ChatMessage.id > after)
        .order_by(ChatMessage.id).limit(MESSAGES_PER_PAGE)).scalars().all()


# --- the staff's side -----------------------------------------------------------------------------

def latest_messages(conversation: ChatConversation) -> list[ChatMessage]:
    """The conversation as staff open it: its newest messages, oldest first."""
    newest = db.session.execute(select(ChatMessage).where(ChatMessage.conversation_id == conversation.id)
                                .order_by(ChatMessage.id.desc()).limit(MESSAGES_PER_PAGE)).scalars().all()
    return newest[::-1]


def latest_message_id(site_id: int) -> int:
    """The newest message of the shop: the inbox redraws only when it moved."""
    return db.session.execute(select(func.coalesce(func.max(ChatMessage.id), 0))
                              .where(ChatMessage.site_id == site_id)).scalar_one()


def inbox(site_id: int) -> list[ChatConversation]:
    return db.session.execute(select(ChatConversation).where(ChatConversation.site_id == site_id)
                              .order_by(ChatConversation.last_message_id.desc()).limit(INBOX_ROWS)).scalars().all()


def unread_conversations(site_id: int) -> int:
    return db.session.execute(select(func.count(ChatConversation.id)).where(
        ChatConversation.site_id == site_id, ChatConversation.staff_unread > 0)).scalar_one()


def conversation_for_staff(site_id: int, conversation_id: int) -> ChatConversation | None:
    return db.session.execute(select(ChatConversation).where(
        ChatConversation.site_id == site_id, ChatConversation.id == conversation_id)).scalar_one_or_none()


def mark_read(conversation: ChatConversation) -> None:
    if conversation.staff_unread:
        db.session.execute(update(ChatConversation).where(ChatConversation.id == conversation.id)
                           .values(staff_unread=0))
        conversation.staff_unread = 0


def staff_replies(conversation: ChatConversation, text, staff_name: str) -> ChatMessage:
    message = _add(conversation, STAFF, _text(text), staff_name=(staff_name or "")[:120])
    mark_read(conversation)
    return message


# --- retention ------------------------------------------------------------------------------------

def prune_old_conversations() -> int:
    """Every shop's conversations silent for LIVECHAT_KEEP_DAYS, with their messages (a shopper's
    number is kept no longer than the conversation needs it). Answers how many went."""
    cutoff = utcnow() - timedelta(days=_limit("LIVECHAT_KEEP_DAYS", KEEP_DAYS))
    old = select(ChatConversation.id).where(ChatConversation.last_message_at < cutoff)
    db.session.execute(delete(ChatMessage).where(ChatMessage.conversation_id.in_(old)))
    return db.session.execute(delete(ChatConversation).where(ChatConversation.last_message_at < cutoff)).rowcount
