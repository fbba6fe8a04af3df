"""What the bKash and Nagad recharge tests share: the payer's browser coming back, the page's
outcome, the wallet's credits, and callbacks or workers hitting one payment at the same moment."""
import re
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from backend.extensions import db
from backend.sms import service
from backend.sms.models import WalletEntry
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
