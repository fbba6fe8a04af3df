"""Issue 21's benchmark: a bulk status change of 10,000 orders -> every status SMS queued within
10 s, none twice.

On a throwaway PostgreSQL database with the Redis broker. The orders exist as "processing"; the
shop sends an SMS on "confirmed". The timer runs from the start of the status change (the one
upsert storing the 10,000 orders as confirmed, in pages of 1,000 as the sync applies them, each
page its own transaction: order_stored claims one row per order and queues the shop's dispatch
for after the commit) until the dispatch task (run here in-process, as a worker runs it) has put
every SMS in the SMS domain's queue (debited, "queued", their batch jobs' tasks handed to the
broker). Delivery at the gateway's pace is the SMS domain's own bench (bench/sms_send.py).

Then the status flaps (confirmed -> processing -> confirmed for all 10,000): nothing new may be
queued. Prints the figure beside the target.

    .venv/bin/python bench/notifications.py [--orders 10000]
"""
import argparse
import os
import sys
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import throwaway_database  # noqa: E402

TARGET_SECONDS = 10.0
PAGE = 1000


def _orders(first, count, status, minute):
    at = (datetime.utcnow() + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%S")
    return [{"id": wc_id, "number": str(wc_id), "status": status, "total": "1250.00", "date_created_gmt": at,
             "date_modified_gmt": at, "billing": {"first_name": "Rahima", "last_name": "Akter",
                                                  "phone": f"017{wc_id:08d}", "address_1": "House 1, Dhaka"}}
            for wc_id in range(first, first + count)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true", help="print where the dispatch spends its time")
    parser.add_argument("--baseline", action="store_true", help="the same status change with no status SMS switched on")
    args = parser.parse_args()
    with throwaway_database() as database_url:
        os.environ.setdefault("BIKRI_INSTANCE_DIR", "/tmp/bikri-bench-notifications")
        from flask_migrate import upgrade
        from sqlalchemy import func, select

        from backend.app import create_app
        from backend.extensions import db

        namespace = f"bikri-bench-{uuid.uuid4().hex[:8]}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench", "PUBLIC_URL": "http://bikri.test",
                          "QUEUE_NAMESPACE": namespace})
        with app.app_context():
            upgrade()
            from backend.licensing.models import Site
            from backend.licensing.service import activate_site, create_license
            from backend.notifications import sending, service
            from backend.notifications.models import NotificationSend
            from backend.orders.service import upsert_orders
            from backend.sms import service as sms
            from backend.sms.models import SmsMessage
            from backend.tasks.models import WorkJob

            _license, key = create_license("bench@shop.test", sites=1, plan="standard")
            site, _token = activate_site(key, "https://bench-shop.example.com")
            sms.credit(site.id, Decimal("100000"), kind="operator_credit", reference="bench")
            db.session.commit()
            site_id = site.id
            for first in range(1, args.orders + 1, PAGE):
                upsert_orders(site_id, _orders(first, min(PAGE, args.orders - first + 1), "processing", 0))
                db.session.commit()
            if not args.baseline:
                service.update_settings(db.session.get(Site, site_id), {"language": "en", "statuses": {"confirmed": {"sms": True}}},
                                        by="bench")
            db.session.commit()

            def change_all(status, minute):
                for first in range(1, args.orders + 1, PAGE):
                    upsert_orders(site_id, _orders(first, min(PAGE, args.orders - first + 1), status, minute))
                    db.session.commit()  # each page its own transaction; the dispatch is queued after it

            def dispatch_as_a_worker():
                while sending.dispatch(site_id):
                    db.session.commit()
                db.session.commit()

            def counts():
                rows = db.session.execute(select(func.count(NotificationSend.id)).where(NotificationSend.site_id == site_id)).scalar_one()
                queued = db.session.execute(select(func.count(SmsMessage.id)).where(
                    SmsMessage.site_id == site_id, SmsMessage.purpose == "order_status")).scalar_one()
                distinct = db.session.execute(select(func.count()).select_from(
                    select(SmsMessage.phone, SmsMessage.content).where(SmsMessage.site_id == site_id, SmsMessage.purpose == "order_status")
                    .distinct().subquery())).scalar_one()
                jobs = db.session.execute(select(func.count(WorkJob.id)).where(WorkJob.site_id == site_id)).scalar_one()
                return rows, queued, distinct, jobs

            # the listener's share of the status change: its claims, timed where order_stored calls them
            claiming = [0.0]
            record = service.record_order_changes

            def timed_record(*a, **kw):
                began = time.perf_counter()
                try:
                    return record(*a, **kw)
                finally:
                    claiming[0] += time.perf_counter() - began
            service.record_order_changes = timed_record

            if args.profile:
                import cProfile
                import pstats
                profiler = cProfile.Profile()
                profiler.enable()
            started = time.perf_counter()
            change_all("confirmed", 1)
            stored = time.perf_counter() - started
            dispatch_as_a_worker()
            if args.profile:
                profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats("notifications|sms|orders/service", 30)
            elapsed = time.perf_counter() - started
            own = claiming[0] + (elapsed - stored)
            rows, queued, distinct, jobs = counts()
            change_all("processing", 2)
            change_all("confirmed", 3)
            dispatch_as_a_worker()
            rows_after, queued_after, _distinct, _jobs = counts()
            balance = sms.balance_of(site_id)
        _purge(app, namespace)
    print(f"orders changed: {args.orders}; status change stored in {stored:.2f} s (the orders' upsert and every "
          f"listener), of which the notification claims {claiming[0]:.2f} s")
    print(f"notifications' own time (claims + dispatch into the SMS queue): {own:.2f} s")
    print(f"status SMS queued: {queued} ({distinct} distinct, {rows} claim rows, {jobs} batch jobs), "
          f"all queued in {elapsed:.2f} s (target <= {TARGET_SECONDS:.0f} s) -> {'OK' if elapsed <= TARGET_SECONDS and queued == args.orders else 'MISSED'}")
    print(f"after flapping confirmed -> processing -> confirmed: {queued_after - queued} queued twice "
          f"(target 0), claim rows {rows_after}; wallet left {balance}")


def _purge(app, namespace):
    """The batch jobs' tasks went to Redis under the bench's namespace; nobody consumes them."""
    import redis

    client = redis.Redis.from_url(app.config["REDIS_URL"])
    for key in client.scan_iter(f"{namespace}*"):
        client.delete(key)


if __name__ == "__main__":
    main()
