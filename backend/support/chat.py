"""The chat's screens, shared by the shop's Support page and the operators' console.

Delivery: each page polls every second for what is newer than the last message it shows. Nothing
new costs a Redis read or two (service.nothing_new) and an empty 204, which htmx leaves alone
(without a mark, an indexed read of the conversation's row sets it again); news is
answered with the new lines (appended to the thread out of band) and the poller again, now
asking after the newest line. Why polling and not server-sent events: gunicorn.conf.py runs sync
workers (backend/web_worker.py), one request at a time per process; an open event stream would
hold a whole worker per open page."""
from flask import make_response, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from backend.support import service
from backend.support.models import Conversation


def after_id() -> int:
    """The poll's "since": the id of the newest message the page shows."""
    raw = request.args.get("after", "0")
    return int(raw) if raw.isdigit() else 0


def answer(conversation: Conversation | None, site_id: int | None = None, **view):
    """The poll's answer for the page of `view["side"]`; `view` carries what the templates need
    (side, poll_url, image_url). What the other side wrote is read once the page shows it.
    `site_id`: the conversation's shop, whose mark (service.nothing_new) the answer keeps set."""
    lines = service.news(conversation, after_id(), site_id)
    if lines is None:
        return "", 204
    if any(line.message.side != view["side"] for line in lines):
        service.mark_read(conversation, view["side"])
    return render_template("support/_news.html", lines=lines, after=lines[-1].message.id, **view)


def read_form() -> tuple[str, bytes | None]:
    """The form's text and image (None when none was chosen). The body may be a little larger
    than the image's cap (the text, the form's boundaries); a larger one is refused unread, and
    then the text is lost with it."""
    limit = service.MAX_IMAGE_BYTES
    request.max_content_length = limit + 64 * 1024
    try:
        body, upload = request.form.get("body", ""), request.files.get("image")
    except RequestEntityTooLarge:
        raise service.SupportError("image", _("The image is larger than 2 MB. Send a smaller one.")) from None
    if upload is None or not upload.filename:
        return body, None
    return body, upload.stream.read(limit + 1)


def compose(post_url: str, error: service.SupportError | None = None, **context):
    """The reply box again: empty after a send (the poller, told at once, brings the message),
    or with the writer's text and the reason it was refused."""
    response = make_response(render_template("support/_compose.html", post_url=post_url, error=error, **context))
    if error is None:
        response.headers["HX-Trigger"] = "support-sent"
    return response


def image_response(attachment):
    response = make_response(attachment.data)
    response.headers["Content-Type"] = attachment.content_type  # what the bytes are, sniffed when stored
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
