"""Loyalty points ledger (U2) under concurrency, on PostgreSQL with threads.

200 operations at once on a few customers' accounts (so they contend for the same rows), each
in its own session and transaction, as web requests and listeners run them:
- earn: an order stored as completed through the real upsert (`order_stored` → the loyalty
  listener); every order is delivered twice, by two threads at once (a repeated push), and must
  earn once;
- redeem: a checkout hold of a random number of points (`service.take_hold`), refused when the
  account has too few.
Afterwards, per account: the balance equals the ledger's sum, never went below zero, and equals
what the delivered orders earned less the holds that were granted; each order earned once.
Prints the figure beside the target "exact under 200 concurrent ops", and the ops' p95.
Run: .venv/bin/python bench/loyalty_ledger.py [--ops 200] [--threads 20] [--accounts 5]
"""
import random
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_app, sizes_parser  # noqa: E402

TARGET = "exact under 200 concurrent ops"


def order(wc_id: int, phone: str, total: int) -> dict:
    from backend.clock import utcnow

    created = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    return {"id": wc_id, "status": "completed", "date_created_gmt": created, "date_modified_gmt": created,
            "total": f"{total}.00", "shipping_total": "0.00", "billing": {"first_name": "Bench", "phone": phone},
            "line_items": [{"id": wc_id * 10, "name": "Saree", "product_id": 1, "quantity": 1, "price": str(total),
                            "subtotal": str(total), "total": str(total)}]}


def setup(app) -> int:
    from backend.extensions import db
    from backend.licensing.service import create_license
    from backend.loyalty import service

    client = app.test_client()
    with app.app_context():
        _license, key = create_license("bench@shop.test", sites=1, days=30, plan="standard")
        db.session.commit()
    site_id = client.post("/api/v1/sites/activate", json={"license_key": key, "site_url": "https://bench.example"}).json["site_id"]
    with app.app_context():
        service.save_settings(site_id, {"enabled": True, "points_per_100": 1, "point_value": "1.00", "min_redeem": 1,
                                        "expiry_days": 0, "earn_sms": False, "earn_sms_text": ""})
        db.session.commit()
    return site_id


def run(app, site_id: int, ops: int, threads: int, accounts: int) -> bool:
    from sqlalchemy import func, select

    from backend.errors import ApiError
    from backend.extensions import db
    from backend.licensing.models import Site
    from backend.loyalty import ledger, service
    from backend.loyalty.models import EARN, LoyaltyAccount, LoyaltyEntry, LoyaltyHold
    from backend.orders.service import upsert_orders

    rng = random.Random(7)
    phones = [f"+88017110000{n:02d}" for n in range(accounts)]
    work = []
    orders = {}
    for n in range(ops // 4):  # a quarter of the ops are orders, each delivered twice: half the ops earn
        wc_id = 1000 + n
        orders[wc_id] = (rng.choice(phones), rng.randrange(100, 3000))
        work += [("earn", wc_id), ("earn", wc_id)]
    work += [("redeem", (rng.choice(phones), rng.randrange(1, 40))) for _ in range(ops - len(work))]
    rng.shuffle(work)
    start = threading.Barrier(threads)
    latencies, refused, errors = [], [], []
    lock = threading.Lock()

    def one(item):
        kind, what = item
        with app.app_context():
            began = time.perf_counter()
            try:
                if kind == "earn":
                    phone, total = orders[what]
                    upsert_orders(site_id, [order(what, phone, total)])
                else:
                    phone, points = what
                    service.take_hold(db.session.get(Site, site_id), phone=phone, points=points,
                                      idempotency_key=uuid.uuid4().hex)
                db.session.commit()
            except ApiError as error:
                db.session.rollback()
                with lock:
                    refused.append(error.code)
            except Exception as error:  # noqa: BLE001  a deadlock or a broken invariant: counted, reported
                db.session.rollback()
                with lock:
                    errors.append(repr(error))
            finally:
                db.session.remove()
            with lock:
                latencies.append((time.perf_counter() - began) * 1000)

    def worker(items):
        start.wait()
        for item in items:
            one(item)

    chunks = [work[i::threads] for i in range(threads)]
    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, chunks))
    took = time.perf_counter() - began

    with app.app_context():
        exact = True
        for phone in phones:
            balance = db.session.execute(select(LoyaltyAccount.balance).where(
                LoyaltyAccount.site_id == site_id, LoyaltyAccount.phone == phone)).scalar_one_or_none() or 0
            earned = sum(total // 100 for p, total in orders.values() if p == phone)
            held = db.session.execute(select(func.coalesce(func.sum(LoyaltyHold.points), 0)).where(
                LoyaltyHold.site_id == site_id, LoyaltyHold.phone == phone)).scalar_one()
            ok = balance == ledger.ledger_sum(site_id, phone) == earned - held and balance >= 0
            exact &= ok
            print(f"  {phone}: balance {balance}, ledger {ledger.ledger_sum(site_id, phone)}, "
                  f"earned {earned} − redeemed {held}  {'ok' if ok else 'WRONG'}")
        earns = db.session.execute(select(LoyaltyEntry.order_wc_id, func.count()).where(
            LoyaltyEntry.site_id == site_id, LoyaltyEntry.kind == EARN).group_by(LoyaltyEntry.order_wc_id)).all()
        once = len(earns) == len([o for o in orders.values() if o[1] >= 100]) and all(c == 1 for _w, c in earns)
        exact &= once and not errors
        latencies.sort()
        p95 = latencies[int(len(latencies) * 0.95) - 1]
        print(f"{len(work)} ops ({len(orders)} orders delivered twice each, {len(work) - 2 * len(orders)} redemptions, "
              f"{refused.count('insufficient_points')} refused for too few points) on {threads} threads, "
              f"{accounts} accounts, in {took:.2f} s; p95 {p95:.0f} ms, median {statistics.median(latencies):.0f} ms")
        print(f"each order earned once: {'yes' if once else 'NO'}; unexpected errors: {len(errors)}"
              + (f" (first: {errors[0]})" if errors else ""))
        print(f"ledger exact: {'yes' if exact else 'NO'}   target: {TARGET}")
        return exact


def main():
    args = sizes_parser(ops=200, threads=20, accounts=5).parse_args()
    with bench_app("loyalty", SQLALCHEMY_ENGINE_OPTIONS={"pool_size": args.threads + 2, "max_overflow": 0},
                   BROKER_URL="inline://", QUEUE_NAMESPACE=f"bench-loyalty-{uuid.uuid4().hex[:8]}") as app:
        site_id = setup(app)
        ok = run(app, site_id, args.ops, args.threads, args.accounts)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
