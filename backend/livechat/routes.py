"""The storefront's chat box talks to these routes directly from the shopper's browser (not
through the shop's WordPress: a proxy would boot WordPress's PHP for every poll of every open
box, on shop hosting that is often small and shared; here a poll is one indexed query).

Public: no bearer token. The shop is named by its public `shop_key`; a visitor's conversation by
the token it was given (header X-Bikri-Visitor). CORS admits only the shop's own site origin
(the site URL it activated with); a request carrying another Origin is refused outright.
"""
from flask import current_app, g, request
from flask.views import MethodView
from flask_babel import gettext as _

from backend.api import Blueprint, public
from backend.errors import ApiError
from backend.extensions import limiter
from backend.livechat import service
from backend.livechat.schemas import (AfterArgsSchema, ChatMessagesSchema, ChatStartedSchema, ChatStatusSchema,
                                      StartChatSchema, VisitorMessageSchema)
from backend.livechat import views
from backend.security import hash_token

blp = Blueprint("livechat", __name__, url_prefix="/api/chat",
                description="Live chat on the shop's storefront (public; CORS for the shop's own site only)")

API_BLUEPRINTS = [blp]
PAGE_BLUEPRINTS = [views.blp]

VISITOR_HEADER = "X-Bikri-Visitor"
# how long a browser may keep a preflight's answer (Chromium keeps at most 2 hours)
PREFLIGHT_SECONDS = 7200


def _poll_limit_per_ip():
    # generous: mobile networks put many shoppers behind one address, each polling while the box is open
    return current_app.config.get("LIVECHAT_POLL_RATE_LIMIT", "600 per minute")


def _poll_limit_per_visitor():
    return current_app.config.get("LIVECHAT_VISITOR_POLL_RATE_LIMIT", "90 per minute")


def _send_limit_per_ip():
    return current_app.config.get("LIVECHAT_SEND_RATE_LIMIT", "60 per minute")


def _visitor_key():
    token = request.headers.get(VISITOR_HEADER, "")
    return "chat-visitor:" + hash_token(token) if token else "chat-ip:" + (request.remote_addr or "")


def _shop():
    """(settings, site) of the shop in the path, once per request; 404 while its chat is off."""
    if "livechat_shop" not in g:
        g.livechat_shop = service.shop_for_key((request.view_args or {}).get("shop_key", ""))
    if g.livechat_shop is None:
        raise ApiError(_("This shop's chat is off."), code="chat_off", status=404)
    return g.livechat_shop


@blp.before_request
def refuse_other_origins():
    """A browser on another site may not use a shop's chat (its JSON POSTs would be stopped by
    the preflight anyway; a simple request would not)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return  # not a browser's cross-site request (a server, curl): the keys still apply
    _settings, site = _shop()
    if origin.lower() != site.origin.lower():
        raise ApiError(_("Chat requests come from the shop's own site."), code="forbidden_origin", status=403)


@blp.after_request
def allow_the_shops_origin(response):
    shop = g.get("livechat_shop")
    origin = request.headers.get("Origin")
    if shop is not None and origin and origin.lower() == shop[1].origin.lower():
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, POST"
        response.headers["Access-Control-Allow-Headers"] = f"Content-Type, {VISITOR_HEADER}"
        response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_SECONDS)
    response.headers["Vary"] = "Origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def _visitor_conversation(settings):
    conversation = service.conversation_for_visitor(settings, request.headers.get(VISITOR_HEADER))
    if conversation is None:
        raise ApiError(_("This conversation is not known here. Start a new one."), code="unknown_visitor", status=401)
    return conversation


def _answer(settings, conversation, messages, **extra):
    return {"online": service.staff_online(settings), "messages": messages, "last_id": conversation.last_message_id,
            "phone_given": bool(conversation.phone), **extra}


@blp.route("/<shop_key>/status")
@public
class ChatStatus(MethodView):
    decorators = [limiter.limit(_poll_limit_per_ip, methods=["GET"])]

    @blp.response(200, ChatStatusSchema)
    def get(self, shop_key):
        """Whether someone at the shop is answering (asked when a visitor opens the box)."""
        settings, _site = _shop()
        return {"online": service.staff_online(settings)}


@blp.route("/<shop_key>/conversations")
@public
class Conversations(MethodView):
    decorators = [limiter.limit(_send_limit_per_ip, methods=["POST"])]

    @blp.arguments(StartChatSchema)
    @blp.response(201, ChatStartedSchema)
    def post(self, data, shop_key):
        """A visitor's first message: opens their conversation and answers its token (once)."""
        settings, site = _shop()
        started = service.start_conversation(settings, site, ip=request.remote_addr or "", **data)
        return _answer(settings, started.conversation, [started.message], token=started.token)


@blp.route("/<shop_key>/messages")
@public
class VisitorMessages(MethodView):
    decorators = [limiter.limit(_poll_limit_per_ip, methods=["GET"]),
                  limiter.limit(_poll_limit_per_visitor, key_func=_visitor_key, methods=["GET"]),
                  limiter.limit(_send_limit_per_ip, methods=["POST"])]

    @blp.arguments(AfterArgsSchema, location="query")
    @blp.response(200, ChatMessagesSchema)
    def get(self, args, shop_key):
        """The conversation's messages after `after` (the box asks every second or two while open)."""
        settings, _site = _shop()
        conversation = _visitor_conversation(settings)
        return _answer(settings, conversation, service.messages_after(conversation, args["after"]))

    @blp.arguments(VisitorMessageSchema)
    @blp.response(201, ChatMessagesSchema)
    def post(self, data, shop_key):
        """The visitor writes again (with a number, if the shop is away and has none yet)."""
        settings, _site = _shop()
        conversation = _visitor_conversation(settings)
        message = service.visitor_writes(settings, conversation, **data)
        return _answer(settings, conversation, [message])
