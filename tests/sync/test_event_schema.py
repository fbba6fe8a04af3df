"""The events route loads the plain events the plugin sends without marshmallow's machinery
(`schemas.plain_event`): for every event it takes, it must give exactly what EventSchema gives,
and it must leave every other event (an error to name, a shape it does not know) to the schema."""
import copy
import itertools

import pytest
from marshmallow import ValidationError

from backend.sync.schemas import EventSchema, EventsSchema, plain_event
from tests.sync.test_events import event, order

BASE = event(order(3, "2026-03-01T10:00:00"), key="k-3")
VARIANTS = {
    "idempotency_key": ["k", "x" * 200, "x" * 201, "", 7, None, ["k"]],
    "type": ["created", "updated", "status_changed", "deleted", "Updated", "", 1, None],
    "order_id": [1, 3, 2**53, 2**53 + 1, 0, -1, True, 3.0, "3", None],
    "date_modified_gmt": ["2026-03-01T10:00:00", "2026-03-01T10:00:00Z", "2026-03-01T10:00:00+06:00",
                          "2026-03-01T10:00:00.5", "2026-02-30T10:00:00", "2026-03-01 10:00:00", "2026-03-01",
                          "x", 1, None],
    "order": [{}, {"id": 3}, [], "order", 1, None],
    "order_shape": ["export", "Export", "", 1, None],
}


def loaded_by_schema(item):
    try:
        return EventSchema().load(copy.deepcopy(item))
    except ValidationError as error:
        return error


def cases():
    yield BASE
    for name, values in VARIANTS.items():
        for value in values:
            yield {**BASE, name: value}
        yield {k: v for k, v in BASE.items() if k != name}  # missing
    yield {**BASE, "extra": 1}
    yield [BASE]
    yield "event"
    for a, b in itertools.combinations(VARIANTS, 2):  # two fields off at once
        yield {**BASE, a: VARIANTS[a][-1], b: VARIANTS[b][-1]}


@pytest.mark.parametrize("item", list(cases()), ids=lambda item: str(item)[:60])
def test_the_plain_way_loads_what_the_schema_loads_or_leaves_it(item):
    quick = plain_event(copy.deepcopy(item))
    if quick is not None:
        assert quick == loaded_by_schema(item)


def test_the_plugins_events_take_the_plain_way():
    assert plain_event(BASE) is not None
    assert plain_event({**BASE, "order_shape": "export"}) is not None
    assert plain_event({k: v for k, v in BASE.items() if k != "order"} | {"type": "deleted"}) is not None
    loaded = EventsSchema().load({"events": [BASE, {**BASE, "order_id": True}]})["events"]
    assert loaded[0] == EventSchema().load(BASE) and loaded[1].messages == {"order_id": ["Not a valid integer."]}
