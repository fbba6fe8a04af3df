"""A batch of parcel changes applied in one transaction (a courier poll's) reads the shop's
rules once; a rule changed, in that transaction or a later one, is what the next claim follows."""
from datetime import timedelta

from backend.clock import utcnow
from backend.couriers.service import apply_status
from backend.extensions import db
from backend.integrations.couriers import TrackedStatus
from backend.licensing.models import Site
from backend.notifications import service
from tests.notifications.conftest import configure, order, parcel, sends, store  # noqa: F401

ON, OFF = {"sms": True}, {"sms": False}


def _read_rules(monkeypatch):
    reads = []
    real = service.rules_of
    monkeypatch.setattr(service, "rules_of", lambda site_id: reads.append(site_id) or real(site_id))
    # the dispatch is handed to the broker after the commit, as in production (the unit tests'
    # inline broker would commit and run it inside the batch)
    monkeypatch.setattr(service, "_schedule", lambda site_id, due: None)
    return reads


def _move(shop, pk, status, minutes):
    apply_status(pk, shop.site_id, TrackedStatus(status, status), utcnow() + timedelta(minutes=minutes),
                 source="poll", poll_minutes=60)


def test_a_poll_batch_reads_the_rules_once(app, shop, fund, parcel, monkeypatch):
    fund(shop, 100)
    configure(shop, statuses={"shipped": ON, "delivered": ON})
    store(app, shop, [order(n, "processing") for n in (601, 602, 603)])
    pks = [parcel(shop, n) for n in (601, 602, 603)]
    reads = _read_rules(monkeypatch)
    with app.app_context():
        for pk in pks:  # one transaction, parcel by parcel, as the poller applies them
            _move(shop, pk, "pending", 1)
        db.session.commit()
        assert reads == [shop.site_id]
        _move(shop, pks[0], "delivered", 2)  # the next batch reads them again
        db.session.commit()
        assert reads == [shop.site_id, shop.site_id]
    assert sorted((s["order_wc_id"], s["status"]) for s in sends(app, shop)) == \
        [(601, "delivered"), (601, "shipped"), (602, "shipped"), (603, "shipped")]


def test_a_rule_switched_in_the_batch_or_after_it_is_followed(app, shop, fund, parcel, monkeypatch):
    fund(shop, 100)
    monkeypatch.setattr(service, "_schedule", lambda site_id, due: None)  # one transaction per batch, as above
    configure(shop, statuses={"shipped": ON})
    store(app, shop, [order(n, "processing") for n in (611, 612, 613)])
    pks = [parcel(shop, n) for n in (611, 612, 613)]
    with app.app_context():
        site = db.session.get(Site, shop.site_id)
        _move(shop, pks[0], "pending", 1)
        service.update_settings(site, {"statuses": {"shipped": OFF}}, "owner")  # in the same transaction
        _move(shop, pks[1], "pending", 1)
        db.session.commit()
    configure(shop, statuses={"shipped": ON})  # a later transaction
    with app.app_context():
        _move(shop, pks[2], "pending", 1)
        db.session.commit()
    assert sorted(s["order_wc_id"] for s in sends(app, shop)) == [611, 613]



def test_a_shop_with_no_rule_on_reads_nothing_for_a_plain_move_but_still_gets_its_alerts(app, shop, fund, parcel,
                                                                                          monkeypatch):
    from sqlalchemy import event, select

    from backend.notifications.models import Alert

    fund(shop, 100)
    monkeypatch.setattr(service, "_schedule", lambda site_id, due: None)
    configure(shop, statuses={status: OFF for status in service.STATUSES})
    store(app, shop, [order(n, "processing") for n in (621, 622, 623, 624)])
    pks = [parcel(shop, n) for n in (621, 622, 623, 624)]
    reads = []  # the claim's reading of the parcel (its courier's word, for "out for delivery")

    def note(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT") and "courier_status" in statement:
            reads.append(statement)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", note)
        try:
            for pk in pks[:3]:
                _move(shop, pk, "pending", 1)  # no rule on, no alert: nothing to read
            assert reads == []
            # an alert needs no rule: returned, partly delivered and on hold still ring the bell
            _move(shop, pks[0], "returned", 2)
            _move(shop, pks[1], "partial_delivered", 2)
            _move(shop, pks[2], "hold", 2)
            db.session.commit()
            assert reads != []
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        kinds = sorted(db.session.execute(select(Alert.kind).where(Alert.site_id == shop.site_id)).scalars())
    assert kinds == ["hold", "partial", "returned"]
    assert sends(app, shop) == []
    # a rule switched on: the same plain move claims its message (the skip is for shops without one)
    configure(shop, statuses={"shipped": ON})
    with app.app_context():
        _move(shop, pks[3], "pending", 1)
        db.session.commit()
    assert [(s["order_wc_id"], s["status"]) for s in sends(app, shop)] == [(624, "shipped")]
