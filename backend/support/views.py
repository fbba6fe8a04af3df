"""The shop's Support page inside wp-admin (H2): its conversation with Bikri's operators, a reply
box with an optional image, and the unread count beside the bell on every Bikri page."""
from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from backend.embed.pages import EmbedPage, register_header_item, register_page
from backend.embed.routes import require_user
from backend.support import chat, service
from backend.support.models import Side

blp = Blueprint("support_embed", __name__, url_prefix="/embed/support", template_folder="templates",
                static_folder="static")

PERMISSION = "contact_support"


def _image_url(site_id):
    return lambda attachment: url_for("support_embed.image", attachment_id=attachment.id,
                                      sig=service.image_signature(site_id, attachment.id))


def _view(user) -> dict:
    return {"side": Side.SHOP, "poll_url": url_for("support_embed.poll"), "post_url": url_for("support_embed.send"),
            "image_url": _image_url(user.site.id)}


def _context(user):
    conversation = service.conversation_of(user.site.id)
    service.mark_read(conversation, Side.SHOP)
    lines = service.history(conversation)
    return {**_view(user), "lines": lines, "after": lines[-1].message.id if lines else 0}


register_page(EmbedPage("support", _l("Support"), permission=PERMISSION, template="support/page.html",
                        context=_context))


@register_header_item
def unread_replies(user):
    """The operators' answers the shop has not seen, beside the bell on every Bikri page."""
    if not user.can(PERMISSION):
        return None
    count = service.unread_for_shop(user.site.id)
    return {"label": _("Bikri support: %(n)s unread", n=count), "count": count, "link_slug": "bikri-support",
            "icon": "chat", "id": "bikri-support-link"}


@blp.get("/messages")
def poll():
    """The page's poll. Who asks is checked as for every embed view (the session, the shop's
    role table); then nothing new, as the shop's mark in Redis says, is an empty 204 without
    reading the conversation."""
    user = require_user(PERMISSION)
    if service.nothing_new(user.site.id, chat.after_id()):
        return "", 204
    return chat.answer(service.conversation_of(user.site.id), site_id=user.site.id, **_view(user))


@blp.post("/messages")
def send():
    user = require_user(PERMISSION)
    body = ""
    try:
        body, image = chat.read_form()
        service.write_from_shop(user.site, wp_user_id=user.wp_user_id, author_name=user.display_name,
                                body=body, image=image)
    except service.SupportError as error:
        return chat.compose(url_for("support_embed.send"), error, body=body)
    return chat.compose(url_for("support_embed.send"))


@blp.get("/images/<int:attachment_id>")
def image(attachment_id):
    """An image of the shop's conversation, opened by the signed link its page rendered."""
    attachment = service.signed_attachment(request.args.get("sig"), attachment_id)
    if attachment is None:
        abort(404)
    return chat.image_response(attachment)
