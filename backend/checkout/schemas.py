from marshmallow import Schema, fields, validate

from backend.api import PageArgsSchema, PageSchema, StrictSchema, UtcDateTime
from backend.checkout.blacklist import KINDS
from backend.checkout.service import ORDER_OTP_STATES, PROOF_VERSIONS


def _proof_version():
    """2: the plugin holds its export key and takes only proofs signed with it (see
    backend/checkout/service.py, PROOF_CONTEXTS); absent or 1: an older plugin, or one that has
    not pulled its key yet, which still checks proofs with the token."""
    return fields.Integer(load_default=1, validate=validate.OneOf(PROOF_VERSIONS),
                          metadata={"description": "2 when the plugin holds its export key: the proof is signed "
                                                   "with it; 1 (the default) with the site token"})


class OtpSendSchema(StrictSchema):
    phone = fields.String(required=True, validate=validate.Length(max=40))
    # the plugin's checkout session: a code and its proof only count in the session that asked
    session_id = fields.String(required=True, validate=validate.Length(max=64))
    # the shopper's address, as WordPress saw it (the plugin calls us, not the shopper)
    ip = fields.String(required=True, validate=validate.Length(max=64))
    proof_version = _proof_version()


class OtpVerifySchema(StrictSchema):
    phone = fields.String(required=True, validate=validate.Length(max=40))
    session_id = fields.String(required=True, validate=validate.Length(max=64))
    code = fields.String(required=True, validate=validate.Length(max=20))
    proof_version = _proof_version()


class OtpAnswerSchema(Schema):
    status = fields.String(metadata={"description": "sent | verified | trusted | skipped"})
    phone = fields.String()
    expires_in = fields.Integer(allow_none=True, metadata={"description": "seconds the code is valid (sent)"})
    resend_after = fields.Integer(allow_none=True, metadata={"description": "seconds before another code may be asked for"})
    proof = fields.String(allow_none=True, metadata={"description": "signed proof for the order (verified, trusted, skipped)"})
    proof_expires_at = UtcDateTime(allow_none=True)
    reason = fields.String(allow_none=True, metadata={"description": "trusted_customer | no_balance"})


class ConfigArgsSchema(Schema):
    since = fields.Integer(load_default=None, metadata={"description": "the version the plugin holds"})
    site_name = fields.String(load_default=None, validate=validate.Length(max=1000),
                              metadata={"description": "the WordPress site title, kept for the shop's SMS"})
    locale = fields.String(load_default=None, validate=validate.Length(max=16),
                           metadata={"description": "the WordPress locale, like bn_BD"})


class OtpConfigSchema(Schema):
    enabled = fields.Boolean()
    balance_ok = fields.Boolean()
    no_balance_since = UtcDateTime(allow_none=True)
    code_digits = fields.Integer()
    cooldown_seconds = fields.Integer()
    code_ttl_seconds = fields.Integer()
    proof_seconds = fields.Integer()


class BlacklistCopySchema(Schema):
    message = fields.String(allow_none=True)
    phones = fields.List(fields.String())
    emails = fields.List(fields.String())
    ips = fields.List(fields.String())


class ConfigSchema(Schema):
    version = fields.Integer()
    otp = fields.Nested(OtpConfigSchema)
    abandoned = fields.Dict(metadata={"description": "{capture: bool}: whether the checkout captures what shoppers type"})
    live_chat = fields.Dict(metadata={"description": "{enabled, endpoint, greeting}: the storefront's chat box "
                                                    "(backend/livechat), printed by the plugin from its copy"})
    wishlist = fields.Dict(metadata={"description": "{alerts: bool}: whether product pages offer back-in-stock / price-drop SMS"})
    loyalty = fields.Dict(metadata={"description": "{enabled, point_value, min_redeem}: the points box at checkout"})
    export_key = fields.String(metadata={"description": "the key the plugin's order export checks signatures with, "
                                                     "and checkout proofs (version 2) are signed with"})
    blacklist = fields.Nested(BlacklistCopySchema, allow_none=True,
                              metadata={"description": "null when `since` is the current version"})


class OrderReportSchema(StrictSchema):
    wc_order_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    otp = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ORDER_OTP_STATES))
    status = fields.String(required=True, validate=validate.Length(min=1, max=40))


class CheckoutOrderSchema(Schema):
    wc_order_id = fields.Integer()
    phone = fields.String(allow_none=True)
    otp = fields.String()
    status = fields.String()


class BlacklistEntrySchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    value = fields.String()
    reason = fields.String(allow_none=True)
    added_by = fields.String(allow_none=True)
    created_at = UtcDateTime()


class BlacklistAddSchema(StrictSchema):
    kind = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(KINDS),
                         metadata={"description": "phone | email | ip; read off the value when left out"})
    value = fields.String(required=True, validate=validate.Length(min=1, max=254))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))
    added_by = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120))


class BlacklistArgsSchema(PageArgsSchema):
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    q = fields.String(load_default=None, validate=validate.Length(max=100))


class BlacklistPageSchema(PageSchema):
    items = fields.List(fields.Nested(BlacklistEntrySchema))
