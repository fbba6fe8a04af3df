"""Support chat (H2): the rules. A shop writes to Bikri's operators in its one conversation; the
operators answer from the console. Each side has a read marker (a message id). Both sides'
pages poll for what is newer than the last message they show (`news`), a query on one index.

When a shop writes while no operator's support page has polled for the desk's quiet minutes, one
SMS goes to the operators' phone: once per quiet period, never more often than ALERT_MIN_GAP,
sent by a worker (tasks.py), Bikri's own message, charged to no shop's wallet.

Every shop-side read and write is scoped by the calling shop's site id."""
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from redis import RedisError
from sqlalchemy import and_, func, or_, select, update

from backend.extensions import db
from backend.licensing.models import Site
from backend.phones import InvalidPhone, normalise_phone
from backend.support.models import Attachment, Conversation, Message, OperatorAlert, Side, SupportDesk
from backend.tasks import coordination, enqueue
from backend.clock import utcnow

MAX_TEXT = 4000
MAX_IMAGE_BYTES = 2 * 1024 * 1024
# what an upload may be, told by its first bytes (never by its name or the browser's word): the
# formats every browser shows as an <img>; SVG is not one of them (it can carry script)
IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
# against a script (or a stuck key) filling the operators' screen
SHOP_MESSAGES_PER_MINUTE = 10
SHOP_IMAGES_PER_DAY = 30
# an operator page polls every second; its presence is written at most this often
PRESENCE_WRITE_EVERY = timedelta(seconds=20)
# however operators come and go, the alert phone gets at most one SMS in this long
ALERT_MIN_GAP = timedelta(minutes=15)
IMAGE_LINK_SECONDS = 12 * 3600
POLL_BATCH = 100
HISTORY = 200
# how long a shop's newest-message mark lives in Redis without a write or a heal (below): also the
# longest a mark Redis failed to raise (and to drop) can hold a message back
MARK_SECONDS = 300

log = logging.getLogger(__name__)


class SupportError(ValueError):
    """What the writer must fix; `field` is the form field it is about."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


@dataclass
class ChatLine:
    message: Message
    attachments: list[Attachment] = field(default_factory=list)


# --- reading -------------------------------------------------------------------------------------


def conversation_of(site_id: int) -> Conversation | None:
    return db.session.execute(select(Conversation).where(Conversation.site_id == site_id)).scalar_one_or_none()


def _lines(query) -> list[ChatLine]:
    messages = db.session.execute(query).scalars().all()
    lines = {message.id: ChatLine(message) for message in messages}
    if lines:
        for attachment in db.session.execute(select(Attachment).where(Attachment.message_id.in_(list(lines)))
                                             .order_by(Attachment.id)).scalars():
            lines[attachment.message_id].attachments.append(attachment)
    return list(lines.values())


def history(conversation: Conversation | None) -> list[ChatLine]:
    """The last HISTORY messages, oldest first."""
    if conversation is None:
        return []
    newest = (select(Message).where(Message.conversation_id == conversation.id)
              .order_by(Message.id.desc()).limit(HISTORY).subquery())
    return _lines(select(Message).join(newest, newest.c.id == Message.id).order_by(Message.id))


# --- the newest message's mark in Redis --------------------------------------------------------
# The pages poll every second, and nearly every poll finds nothing new: the mark (the id of
# the shop's newest message, kept in Redis) lets such a poll answer without the database. It may
# run ahead of the database (a write not committed yet, or rolled back): that poll then asks the
# database, which is always right. It must never lag behind it, or a message would wait: so it only
# ever grows (a concurrent writer or heal cannot lower it), every write raises it before its
# commit, and a missing mark means "ask the database", which sets it again.

_RAISE_MARK = """
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
local wanted = tonumber(ARGV[1])
if wanted > current then current = wanted end
redis.call('SET', KEYS[1], current, 'EX', ARGV[2])
return current
"""


def _mark_key(site_id: int) -> str:
    return coordination.key("support", "newest", site_id)


def raise_mark(site_id: int, message_id: int) -> None:
    try:
        coordination.client().eval(_RAISE_MARK, 1, _mark_key(site_id), message_id, MARK_SECONDS)
    except RedisError:
        # a mark left lower than the database would hold messages back until it expires: drop it
        log.warning("could not raise the support chat mark of shop %s", site_id, exc_info=True)
        forget_mark(site_id)


def forget_mark(site_id: int) -> None:
    try:
        coordination.client().delete(_mark_key(site_id))
    except RedisError:
        log.error("the support chat mark of shop %s may lag until it expires", site_id, exc_info=True)


def nothing_new(site_id: int, after_id: int) -> bool:
    """True when the mark says the shop has no message after `after_id`; False when it says
    otherwise or cannot say (no mark, Redis away): then the database answers."""
    try:
        mark = coordination.client().get(_mark_key(site_id))
    except RedisError:
        return False
    return mark is not None and int(mark) <= after_id


def news(conversation: Conversation | None, after_id: int, site_id: int | None = None) -> list[ChatLine] | None:
    """The poll: None when nothing is newer than `after_id` (the conversation's row says so, no
    message is read), else the newer messages, oldest first. With `site_id` (the conversation's
    shop), the mark is set from the database for the polls that follow."""
    if site_id is not None:
        raise_mark(site_id, conversation.last_message_id if conversation else 0)
    if conversation is None or conversation.last_message_id <= after_id:
        return None
    return _lines(select(Message).where(Message.conversation_id == conversation.id, Message.id > after_id)
                  .order_by(Message.id).limit(POLL_BATCH))


def mark_read(conversation: Conversation | None, side: str) -> None:
    """Everything in the conversation is read by `side` (its page shows it)."""
    if conversation is None:
        return
    column = "shop_read_id" if side == Side.SHOP else "operator_read_id"
    if getattr(conversation, column) < conversation.last_message_id:
        setattr(conversation, column, conversation.last_message_id)
        db.session.flush()


def unread_for_shop(site_id: int) -> int:
    """The operators' messages the shop has not seen (its Support page was not open since)."""
    return db.session.execute(
        select(func.count(Message.id)).join(Conversation, Conversation.id == Message.conversation_id)
        .where(Conversation.site_id == site_id, Message.side == Side.OPERATOR, Message.id > Conversation.shop_read_id)
    ).scalar_one()


def conversations_for_operators(limit: int = HISTORY) -> list[tuple[Conversation, Site, int]]:
    """Every shop's conversation, the newest message first, with what the operators have not read."""
    unread = (select(Message.conversation_id, func.count(Message.id).label("unread"))
              .join(Conversation, Conversation.id == Message.conversation_id)
              .where(Message.side == Side.SHOP, Message.id > Conversation.operator_read_id)
              .group_by(Message.conversation_id).subquery())
    rows = db.session.execute(
        select(Conversation, Site, func.coalesce(unread.c.unread, 0))
        .join(Site, Site.id == Conversation.site_id).outerjoin(unread, unread.c.conversation_id == Conversation.id)
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc()).limit(limit)
    ).all()
    return [(conversation, site, count) for conversation, site, count in rows]


def attachment_of(site_id: int, attachment_id: int) -> Attachment | None:
    return db.session.execute(select(Attachment).where(Attachment.id == attachment_id, Attachment.site_id == site_id)
                              ).scalar_one_or_none()


# --- the shop's image links ----------------------------------------------------------------------
# An <img> cannot send the embed session's header, and the session never goes in a URL: the shop's
# page links each image with a signature of (shop, image) that opens that one image for a while.


def _image_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="support-image")


def image_signature(site_id: int, attachment_id: int) -> str:
    return _image_signer().dumps([site_id, attachment_id])


def signed_attachment(signature: str | None, attachment_id: int) -> Attachment | None:
    """The image the signature opens, if it is this one and still fresh; None otherwise."""
    try:
        site_id, signed_id = _image_signer().loads(signature or "", max_age=IMAGE_LINK_SECONDS)
    except (BadSignature, ValueError, TypeError):
        return None
    if signed_id != attachment_id:
        return None
    return attachment_of(site_id, attachment_id)


# --- writing -------------------------------------------------------------------------------------


def image_type(data: bytes) -> str | None:
    """The image format the bytes are, or None: WebP is RIFF....WEBP, the others a fixed prefix."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for prefix, kind in IMAGE_SIGNATURES if data.startswith(prefix)), None)


def _check(body: str, image: bytes | None) -> tuple[str, str | None]:
    body = (body or "").strip()
    if len(body) > MAX_TEXT:
        raise SupportError("body", _("At most %(n)s characters.", n=MAX_TEXT))
    content_type = None
    if image is not None:
        if len(image) > MAX_IMAGE_BYTES:
            raise SupportError("image", _("The image is larger than 2 MB. Send a smaller one."))
        content_type = image_type(image)
        if content_type is None:
            raise SupportError("image", _("Only images can be sent: PNG, JPEG, GIF or WebP."))
    if not body and image is None:
        raise SupportError("body", _("Write a message or choose an image."))
    return body, content_type


def _conversation_for_writing(site_id: int) -> Conversation:
    conversation = conversation_of(site_id)
    if conversation is None:
        conversation = Conversation(site_id=site_id)
        db.session.add(conversation)
        db.session.flush()
    return conversation


def _add(conversation: Conversation, side: str, body: str, image: bytes | None, content_type: str | None,
         **author) -> Message:
    now = utcnow()
    message = Message(conversation_id=conversation.id, site_id=conversation.site_id, side=side, body=body,
                      created_at=now, **author)
    db.session.add(message)
    db.session.flush()
    if image is not None:
        db.session.add(Attachment(message_id=message.id, site_id=conversation.site_id, content_type=content_type,
                                  size=len(image), data=image, created_at=now))
    conversation.last_message_id, conversation.last_message_at = message.id, now
    raise_mark(conversation.site_id, message.id)  # before the commit: the mark never lags
    # what one writes is read by that side
    if side == Side.SHOP:
        conversation.shop_read_id = message.id
    else:
        conversation.operator_read_id = message.id
    db.session.flush()
    return message


def _check_shop_pace(site_id: int, with_image: bool) -> None:
    now = utcnow()
    recent = db.session.execute(select(func.count(Message.id)).where(
        Message.site_id == site_id, Message.side == Side.SHOP, Message.created_at >= now - timedelta(minutes=1))).scalar_one()
    if recent >= SHOP_MESSAGES_PER_MINUTE:
        raise SupportError("body", _("At most %(n)s messages a minute. Wait a moment and send again.",
                                     n=SHOP_MESSAGES_PER_MINUTE))
    if with_image:
        images = db.session.execute(select(func.count(Attachment.id)).where(
            Attachment.site_id == site_id, Attachment.created_at >= now - timedelta(days=1))).scalar_one()
        if images >= SHOP_IMAGES_PER_DAY:
            raise SupportError("image", _("At most %(n)s images a day. Describe it in words or send it tomorrow.",
                                          n=SHOP_IMAGES_PER_DAY))


def write_from_shop(site: Site, *, wp_user_id: int, author_name: str, body: str,
                    image: bytes | None = None) -> Message:
    body, content_type = _check(body, image)
    _check_shop_pace(site.id, image is not None)
    conversation = _conversation_for_writing(site.id)
    message = _add(conversation, Side.SHOP, body, image, content_type, wp_user_id=wp_user_id,
                   author_name=(author_name or "")[:120])
    _alert_operators_if_away(site, message)
    return message


def write_from_operator(conversation: Conversation, *, operator_id: int, author_name: str, body: str,
                        image: bytes | None = None) -> Message:
    body, content_type = _check(body, image)
    return _add(conversation, Side.OPERATOR, body, image, content_type, operator_id=operator_id,
                author_name=author_name[:120])


# --- the operators' desk: presence, settings, the offline alert ----------------------------------


def desk() -> SupportDesk:
    """The one row of the operators' side (its migration writes it)."""
    return db.session.get(SupportDesk, 1)


def save_desk(alert_phone: str, quiet_minutes: str, by: str) -> SupportDesk:
    alert_phone = (alert_phone or "").strip()
    try:
        phone = normalise_phone(alert_phone) if alert_phone else None
    except InvalidPhone as error:
        raise SupportError("alert_phone", str(error)) from error
    try:
        minutes = int((quiet_minutes or "").strip())
    except ValueError:
        minutes = 0
    if not 1 <= minutes <= 240:
        raise SupportError("quiet_minutes", _("A whole number of minutes from 1 to 240."))
    found = desk()
    found.alert_phone, found.quiet_minutes, found.updated_at, found.updated_by = phone, minutes, utcnow(), by[:254]
    db.session.flush()
    return found


def _presence_key() -> str:
    return coordination.key("support", "presence-written")


def presence_due() -> bool:
    """Whether an operator's poll should go by the database to keep the presence (written there
    at most every PRESENCE_WRITE_EVERY; Redis remembers that it was); True when Redis cannot say."""
    try:
        return not coordination.client().exists(_presence_key())
    except RedisError:
        return True


def operator_seen() -> None:
    """An operator's support page polled: someone is online. Written at most every
    PRESENCE_WRITE_EVERY, so a second's poll is a read (or, by presence_due, not even that)."""
    found, now = desk(), utcnow()
    if found.operator_seen_at is None or found.operator_seen_at < now - PRESENCE_WRITE_EVERY:
        found.operator_seen_at = now
        db.session.flush()
    try:
        coordination.client().set(_presence_key(), 1, ex=int(PRESENCE_WRITE_EVERY.total_seconds()))
    except RedisError:
        log.warning("could not note the operators' presence in Redis; their polls read the database", exc_info=True)


def _alert_due(found: SupportDesk, now):
    """The desk row's condition for an alert now: nobody polled for the quiet minutes, no alert
    since the last poll (one per quiet period), none within ALERT_MIN_GAP."""
    away_since = now - timedelta(minutes=found.quiet_minutes)
    return and_(
        SupportDesk.alert_phone.is_not(None), SupportDesk.quiet_minutes == found.quiet_minutes,
        or_(SupportDesk.operator_seen_at.is_(None), SupportDesk.operator_seen_at < away_since),
        or_(SupportDesk.alerted_at.is_(None),
            and_(SupportDesk.operator_seen_at.is_not(None), SupportDesk.alerted_at < SupportDesk.operator_seen_at)),
        or_(SupportDesk.alerted_at.is_(None), SupportDesk.alerted_at < now - ALERT_MIN_GAP),
    )


def _looks_due(found: SupportDesk, now) -> bool:
    """The same condition read from the row already loaded: most messages arrive while an
    operator is online or after the alert, and then nothing is written to the one desk row."""
    if not found.alert_phone:
        return False
    if found.operator_seen_at is not None and found.operator_seen_at >= now - timedelta(minutes=found.quiet_minutes):
        return False
    if found.alerted_at is None:
        return True
    return (found.operator_seen_at is not None and found.alerted_at < found.operator_seen_at
            and found.alerted_at < now - ALERT_MIN_GAP)


def alert_text(site: Site, conversation_id: int) -> str:
    host = (urlsplit(site.url).hostname or site.url)[:40]
    link = f"{current_app.config['PUBLIC_URL']}/operator/support/{conversation_id}"
    return f"Bikri support: {host} wrote and no operator is online. {link}"[:160]


def _alert_operators_if_away(site: Site, message: Message) -> OperatorAlert | None:
    found, now = desk(), utcnow()
    if not _looks_due(found, now):
        return None
    # the claim: one conditional UPDATE, so two shops writing at once make one alert
    claimed = db.session.execute(update(SupportDesk).where(SupportDesk.id == found.id, _alert_due(found, now))
                                 .values(alerted_at=now).execution_options(synchronize_session=False)).rowcount
    db.session.expire(found)
    if not claimed:
        return None
    alert = OperatorAlert(site_id=site.id, message_id=message.id, phone=found.alert_phone,
                          content=alert_text(site, message.conversation_id), created_at=now)
    db.session.add(alert)
    db.session.flush()
    enqueue("support.alert_operators", site_id=site.id, alert_id=alert.id)
    return alert


def recent_alerts(limit: int = 10) -> list[OperatorAlert]:
    return db.session.execute(select(OperatorAlert).order_by(OperatorAlert.id.desc()).limit(limit)).scalars().all()
