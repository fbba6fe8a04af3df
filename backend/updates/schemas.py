from marshmallow import Schema, fields, validate

from backend.api import StrictSchema, UtcDateTime


class UpdateCheckSchema(StrictSchema):
    # the version the shop runs (bikri.php's Version header)
    version = fields.String(load_default=None, validate=validate.Length(max=40))


class OfferedReleaseSchema(Schema):
    version = fields.String()
    # a download URL for this shop alone, working for PLUGIN_DOWNLOAD_TICKET_SECONDS (10 minutes);
    # send the site's bearer token with it
    package = fields.String()
    # Ed25519 over the zip's bytes, base64; the plugin refuses a zip it does not verify
    signature = fields.String()
    sha256 = fields.String()
    size = fields.Integer()
    changelog = fields.String()  # plain text
    requires = fields.String(allow_none=True)
    requires_php = fields.String(allow_none=True)
    released_at = UtcDateTime()
    # the shop runs a version that was rolled back: install this older one over it
    rollback = fields.Boolean()


class UpdateCheckAnswerSchema(Schema):
    # null: nothing newer for this shop (none uploaded, or it is not in the rollout yet)
    release = fields.Nested(OfferedReleaseSchema, allow_none=True)
