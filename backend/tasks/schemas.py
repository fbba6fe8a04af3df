from marshmallow import Schema, fields

from backend.api import UtcDateTime


class JobItemSchema(Schema):
    class Meta:
        # each kind of job adds its own fields to an item (a booking's consignment id, ...)
        unknown = "include"

    item = fields.String()
    outcome = fields.String()
    message = fields.String()


class JobSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    total = fields.Integer()
    done = fields.Integer()
    error = fields.String(allow_none=True)
    created_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)
    items = fields.List(fields.Dict())
