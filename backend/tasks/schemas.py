from marshmallow import Schema, fields

from backend.api import UtcDateTime


class JobItemSchema(Schema):
    class Meta:
        # each kind of job adds its own fields to an item (a booking's consignment id, ...)
        unknown = "include"

    item = fields.String()
    outcome = fields.String()
    message = fields.String()


class JobStartedSchema(Schema):
    """A job as the route that queued it answers (202); its progress and the rest of it at
    GET /api/v1/jobs/<id> (JobSchema). Each such route has its own subclass (sms' BatchJobSchema,
    couriers' BookingJobStartedSchema), so the OpenAPI document keeps naming it as before."""
    id = fields.Integer()
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    total = fields.Integer()
    done = fields.Integer()


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
