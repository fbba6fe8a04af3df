"""What the bKash and Nagad recharge tests share: the payer's browser coming back, the page's
outcome, the wallet's credits, and callbacks or workers hitting one payment at the same moment."""
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select

from backend.clock import utcnow
from backend.extensions import db
from backend.sms import service
from backend.sms.models import Recharge, WalletEntry
from tests.threads import errors_at_once


def callback(client, location):
    """The browser following the gateway's redirect back to the service."""
    return client.get("/" + location.split("/", 3)[3])


def outcome(page):
    return re.search(r'data-status="([a-z]+)"', page.get_data(as_text=True)).group(1)


def balance(shop):
    return shop.get("/api/sms/balance").json["balance"]


def credits(app, shop):
    """The shop's wallet entries as (kind, amount)."""
    with app.app_context():
        return [(entry.kind, entry.amount) for entry in
                db.session.execute(select(WalletEntry).where(WalletEntry.site_id == shop.site_id)).scalars()]


def payment_id(app, recharge):
    """The gateway's id of the recharge's payment, which its callbacks name."""
    with app.app_context():
        return db.session.get(Recharge, recharge["id"]).payment_id


def forged_success(client, shop, forged, asked, once):
    """The gateway's success callback `forged`, sent before the payer paid: the page waits while
    the gateway is asked (`asked()` then answers `once`) and nothing is credited; a flood of five
    more asks the gateway nothing more (at most once per VERIFY_EVERY). Returns the first page."""
    page = client.get(forged)
    assert page.status_code == 200 and outcome(page) == "confirming"
    assert balance(shop) == "0.00" and asked() == once
    for _ in range(5):
        client.get(forged)
    assert asked() == once
    return page


def verify_due_again(app, recharge):
    """The recharge's last check with the gateway a minute ago: past VERIFY_EVERY, so the next
    callback queues another."""
    with app.app_context():
        db.session.get(Recharge, recharge["id"]).verify_queued_at = utcnow() - timedelta(minutes=1)
        db.session.commit()


def callbacks_at_once(app, location, n=6):
    """`n` browsers (the payer's, replays) open the callback address at the same moment; their pages."""
    path = "/" + location.split("/", 3)[3]
    barrier = threading.Barrier(n)

    def hit(_n):
        with app.test_client() as client:
            barrier.wait()
            return client.get(path)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(hit, range(n)))


def verifications_at_once(app, shop, recharge_id, method, n=4):
    """`n` workers (callbacks' tasks, the reconcile job) ask the gateway about one payment at the
    same moment, each committing as a worker does; the errors they raised."""
    barrier = threading.Barrier(n)

    def verify():
        with app.app_context():
            try:
                barrier.wait()
                service.verify_payment(shop.site_id, recharge_id, method)
                db.session.commit()
            except Exception:
                db.session.rollback()
                raise

    return errors_at_once(verify, n)
