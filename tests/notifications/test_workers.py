"""Status messages through real workers (`flask worker` on a real Redis broker): the status
change claims its row and queues the shop's dispatch after the commit; a worker dispatches, the
SMS domain's worker delivers to the sandbox gateway; a flap sends nothing twice."""
import time

from tests.notifications.conftest import configure, created_event, order, sends, status_sms, store
from tests.sms.conftest import fund, gateway  # noqa: F401  (fixtures)
from tests.wait import wait_until


def test_a_flap_through_real_workers_sends_each_status_once(app, shop, gateway, fund, workers):
    fund(shop, 100)
    configure(shop, language="en", statuses={"processing": {"sms": True}, "shipped": {"sms": True}})
    worker = workers.start(lanes=("transactional", "bulk"), threads=4)
    for minute, status in enumerate(["processing", "shipped", "processing", "shipped"]):
        store(app, shop, [order(1501, status, minutes=minute)])
    wait_until(lambda: len(gateway.sent) == 2 and {s for _p, _c, s in status_sms(app, shop)} == {"sent"},
               what="two status SMS sent", logs=[worker])
    time.sleep(1.0)  # a duplicate, were there one, would arrive now
    assert len(gateway.sent) == 2 and len(status_sms(app, shop)) == 2
    assert [(row["status"], row["state"]) for row in sends(app, shop)] == [("processing", "queued"), ("shipped", "queued")]


def test_an_order_event_in_a_savepoint_is_dispatched_after_its_commit(app, shop, gateway, fund, workers):
    """The events route applies orders in a savepoint; with a real broker the dispatch goes out
    once the request commits (no minute sweep needed)."""
    fund(shop, 100)
    configure(shop, statuses={"processing": {"sms": True}})
    worker = workers.start(lanes=("transactional",), threads=2)
    response = shop.post("/api/v1/events", json={"events": [created_event(1550)]})
    assert response.json["results"][0]["status"] == "applied", response.json
    wait_until(lambda: len(gateway.sent) == 1, what="the status SMS", logs=[worker])
