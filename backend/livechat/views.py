"""The Live chat page inside wp-admin: the shop's staff answer visitors from here (the list of
conversations with their unread count, a conversation, the reply), and the owner switches the
storefront's chat box on. While the page is open it asks every 1.5 s for what is new; an ask
with nothing new answers 204 (htmx keeps the page as it is), and it tells the service a staff
member is there, so the box on the storefront does not ask visitors for their number."""
from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l

from backend.embed.pages import EmbedPage, register_nav_badge, register_page
from backend.embed.routes import require_user
from backend.errors import ApiError
from backend.extensions import db
from backend.livechat import service

blp = Blueprint("livechat_embed", __name__, url_prefix="/embed/livechat", template_folder="templates",
                static_folder="static")

NOTHING_NEW = ("", 204)


def _inbox_context(user):
    return {"conversations": service.inbox(user.site.id), "latest": service.latest_message_id(user.site.id)}


def _settings_context(user, errors=None, saved=False):
    return {"chat_settings": service.settings_for(user.site.id), "can_manage": user.can("manage_live_chat"),
            "errors": errors or {}, "saved": saved, "max_greeting": service.MAX_GREETING}


def _context(user):
    service.mark_staff_present(user.site)
    return {**_inbox_context(user), **_settings_context(user), "max_message": service.MAX_MESSAGE}


register_page(EmbedPage("livechat", _l("Live chat"), permission="answer_chats", template="livechat/page.html",
                        context=_context))
register_nav_badge("livechat", lambda user: service.unread_conversations(user.site.id) if user.can("answer_chats") else 0)


def _after() -> int:
    value = request.args.get("after", "0")
    return int(value) if value.isdigit() else 0


@blp.get("/inbox")
def inbox():
    """The list, redrawn only when a message arrived since `after`."""
    user = require_user("answer_chats")
    service.mark_staff_present(user.site)
    if service.latest_message_id(user.site.id) == _after():
        return NOTHING_NEW
    return render_template("livechat/_inbox.html", **_inbox_context(user))


def _conversation_or_404(user, conversation_id):
    conversation = service.conversation_for_staff(user.site.id, conversation_id)
    if conversation is None:
        abort(404)
    return conversation


def _conversation(user, conversation, **extra):
    service.mark_read(conversation)
    return render_template("livechat/_conversation.html", conversation=conversation,
                           messages=service.latest_messages(conversation), max_message=service.MAX_MESSAGE,
                           **_inbox_context(user), **extra)


@blp.get("/c/<int:conversation_id>")
def conversation(conversation_id):
    user = require_user("answer_chats")
    return _conversation(user, _conversation_or_404(user, conversation_id))


@blp.get("/c/<int:conversation_id>/messages")
def new_messages(conversation_id):
    """What the visitor wrote since `after`, appended under the conversation."""
    user = require_user("answer_chats")
    service.mark_staff_present(user.site)
    conversation = _conversation_or_404(user, conversation_id)
    messages = service.messages_after(conversation, _after())
    if not messages:
        return NOTHING_NEW
    service.mark_read(conversation)
    return render_template("livechat/_new_messages.html", conversation=conversation, messages=messages,
                           **_inbox_context(user))


@blp.post("/c/<int:conversation_id>/reply")
def reply(conversation_id):
    user = require_user("answer_chats")
    conversation = _conversation_or_404(user, conversation_id)
    try:
        service.staff_replies(conversation, request.form.get("text", ""), user.display_name)
    except ApiError as error:
        db.session.rollback()
        return _conversation(user, conversation, error=error.message, draft=request.form.get("text", ""))
    return _conversation(user, conversation)


@blp.post("/settings")
def save_settings():
    user = require_user("manage_live_chat")
    try:
        service.update_settings(user.site, enabled=request.form.get("enabled") == "1",
                                greeting=request.form.get("greeting", ""), by=f"{user.display_name} (#{user.wp_user_id})")
    except ApiError as error:
        db.session.rollback()
        return render_template("livechat/_settings.html", **_settings_context(user, errors=error.details))
    # the plugin pulls its copy at once (wp-admin hears it through checkout.js's message)
    return (render_template("livechat/_settings.html", **_settings_context(user, saved=True)), 200,
            {"HX-Trigger": "bikri-checkout-changed"})
