"""Support chat in the operators' console (H2): every shop's conversation, newest first, with
what no operator has read; a conversation with its reply box; the offline alert's settings.
Each of these pages polls, and a poll is what says an operator is online."""
from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from backend.extensions import db
from backend.licensing.models import Site
from backend.operator.routes import console_blueprint, load_operator, operator_required
from backend.support import chat, service
from backend.support.models import Attachment, Conversation, Side

blp = console_blueprint("operator_support", __name__, "/operator/support", template_folder="templates")
# The conversation's poll, every second from each open conversation: outside the console's
# blueprint, whose every request reads the operator from the database, so that nothing new is
# answered without the database (below).
poll_blp = Blueprint("operator_support_poll", __name__, url_prefix="/operator/support")


def _image_url(attachment):
    return url_for("operator_support.image", attachment_id=attachment.id)


def _list_context() -> dict:
    return {"conversations": service.conversations_for_operators()}


@blp.get("/")
@operator_required
def conversations():
    service.operator_seen()
    return render_template("support/console.html", desk=service.desk(), alerts=service.recent_alerts(),
                           **_list_context())


@blp.get("/list")
@operator_required
def conversation_list():
    """The list again, every few seconds (the page polls it)."""
    service.operator_seen()
    return render_template("support/_console_list.html", **_list_context())


def _view(conversation) -> dict:
    return {"side": Side.OPERATOR, "image_url": _image_url, "csrf": True,
            "poll_url": url_for("operator_support_poll.poll", conversation_id=conversation.id, shop=conversation.site_id),
            "post_url": url_for("operator_support.reply", conversation_id=conversation.id)}


@blp.get("/<int:conversation_id>")
@operator_required
def conversation(conversation_id):
    found = db.get_or_404(Conversation, conversation_id)
    service.operator_seen()
    service.mark_read(found, Side.OPERATOR)
    lines = service.history(found)
    return render_template("support/console_conversation.html", conversation=found, site=db.session.get(Site, found.site_id),
                           lines=lines, after=lines[-1].message.id if lines else 0, **_view(found))


@poll_blp.get("/<int:conversation_id>/messages")
def poll(conversation_id):
    """Nothing new for the shop (its mark in Redis, named by `shop`, which the page's own link
    carries), and the presence written lately: an empty 204 for a signed-in console session,
    no database read. A wrong `shop` only holds back that page's own news."""
    shop = request.args.get("shop", "")
    if (session.get("operator_id") and shop.isdigit() and not service.presence_due()
            and service.nothing_new(int(shop), chat.after_id())):
        return "", 204
    load_operator()
    if g.operator is None:
        return redirect(url_for("operator.login"))
    found = db.get_or_404(Conversation, conversation_id)
    service.operator_seen()
    return chat.answer(found, site_id=found.site_id, **_view(found))


@blp.post("/<int:conversation_id>")
@operator_required
def reply(conversation_id):
    found = db.get_or_404(Conversation, conversation_id)
    post_url = url_for("operator_support.reply", conversation_id=found.id)
    body = ""
    try:
        body, image = chat.read_form()
        service.write_from_operator(found, operator_id=g.operator.id, author_name=g.operator.email, body=body,
                                    image=image)
    except service.SupportError as error:
        return chat.compose(post_url, error, body=body, csrf=True)
    return chat.compose(post_url, csrf=True)


@blp.get("/images/<int:attachment_id>")
@operator_required
def image(attachment_id):
    return chat.image_response(db.get_or_404(Attachment, attachment_id))


@blp.post("/settings")
@operator_required
def save_settings():
    try:
        service.save_desk(request.form.get("alert_phone", ""), request.form.get("quiet_minutes", ""), by=g.operator.email)
    except service.SupportError as error:
        flash(str(error), "error")
    else:
        flash(_("Support alert settings saved."), "success")
    return redirect(url_for("operator_support.conversations"))
