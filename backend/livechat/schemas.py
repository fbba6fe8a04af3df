from marshmallow import EXCLUDE, Schema, fields, validate

from backend.api import StrictSchema, UtcDateTime


class StartChatSchema(StrictSchema):
    text = fields.String(required=True, metadata={"description": "The visitor's first message (at most 1000 characters)."})
    name = fields.String(load_default="", metadata={"description": "What the visitor wants to be called (optional)."})
    phone = fields.String(load_default=None, allow_none=True,
                          metadata={"description": "A Bangladeshi mobile number; required while the shop is away."})
    page_url = fields.String(load_default="", validate=validate.Length(max=2000),
                             metadata={"description": "The storefront page the visitor writes from."})


class VisitorMessageSchema(StrictSchema):
    text = fields.String(required=True)
    phone = fields.String(load_default=None, allow_none=True)


class AfterArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    after = fields.Integer(load_default=0, validate=validate.Range(min=0))


class ChatMessageSchema(Schema):
    id = fields.Integer()
    sender = fields.String(metadata={"description": "visitor or staff"})
    body = fields.String()
    created_at = UtcDateTime()


class ChatStatusSchema(Schema):
    online = fields.Boolean(metadata={"description": "A staff member has the inbox open; else the box asks for a number."})


class ChatMessagesSchema(ChatStatusSchema):
    messages = fields.List(fields.Nested(ChatMessageSchema))
    last_id = fields.Integer()
    phone_given = fields.Boolean()


class ChatStartedSchema(ChatMessagesSchema):
    token = fields.String(metadata={"description": "The visitor's key to this conversation, given once: "
                                                  "send it as X-Bikri-Visitor."})
