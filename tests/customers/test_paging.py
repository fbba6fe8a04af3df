"""The customer list pages by keyset (sort key, then id): walking the pages with each sort key,
with and without filters, gives every matching customer exactly once, in the order the raw rows
sort to — ties (same spend, same number of orders, the same last-order second) broken by id."""
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from backend.customers import segments
from backend.customers.models import CustomerStats
from backend.extensions import db
from backend.orders.service import upsert_orders

LATEST = datetime(2026, 3, 1, 12, 0, 0)


def order(wc_id, customer, *, total, hours_ago):
    created = (LATEST - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%S")
    return {"id": wc_id, "status": "processing", "date_created_gmt": created, "date_modified_gmt": created,
            "total": total, "billing": {"first_name": f"Customer {customer}", "phone": f"01711{customer:06d}",
                                        "state": "Dhaka" if customer % 3 else "Sylhet"}}


@pytest.fixture
def customers(app, shop):
    """40 customers with many ties: four spends, one to three orders, a few shared last-order times."""
    orders, wc_id = [], 0
    for customer in range(1, 41):
        for n in range(1 + customer % 3):
            wc_id += 1
            orders.append(order(wc_id, customer, total=("500.00", "750.50", "1000.00", "500.00")[customer % 4],
                                hours_ago=(customer % 5) * 24 + n * 1000))
    with app.app_context():
        upsert_orders(shop.site_id, orders)
        db.session.commit()
    return shop


def walk(site_id, filters, sort, limit):
    seen, cursor = [], None
    while True:
        page = segments.list_customers(site_id, filters, sort=sort, cursor=cursor, limit=limit)
        assert len(page["customers"]) <= limit
        seen += [row.customer_id for row in page["customers"]]
        cursor = page["next"]
        if not cursor:
            return seen


@pytest.mark.parametrize("sort", segments.SORTS)
@pytest.mark.parametrize("filters", [{}, {"district": "Dhaka"}, {"orders_min": 2}, {"spend_min": Decimal("1000")},
                                     {"segment": "lost"}])
def test_every_page_walk_gives_each_customer_once_in_order(app, customers, sort, filters):
    key = {"last_order": "last_order_gmt", "spend": "spend", "orders": "orders"}[sort]
    with app.app_context():
        rows = db.session.execute(select(CustomerStats).where(CustomerStats.site_id == customers.site_id)).scalars().all()
        matching = [r for r in rows if all({"district": r.district == filters.get("district"),
                                            "orders_min": r.orders >= filters.get("orders_min", 0),
                                            "spend_min": r.spend >= filters.get("spend_min", 0),
                                            "segment": r.segment == filters.get("segment")}[f] for f in filters)]
        expected = [r.customer_id for r in sorted(matching, key=lambda r: (getattr(r, key), r.customer_id), reverse=True)]
        assert len({getattr(r, key) for r in matching}) < len(matching), "the data has ties to break"
        for limit in (1, 3, 7, 100):
            assert walk(customers.site_id, filters, sort, limit) == expected


def test_the_api_pages_by_each_sort_and_refuses_a_bad_sort_or_cursor(customers):
    for sort in segments.SORTS:
        seen, cursor = [], None
        while True:
            answer = customers.get("/api/v1/customers", query_string={"limit": 6, "sort": sort,
                                                                       **({"cursor": cursor} if cursor else {})})
            assert answer.status_code == 200, answer.json
            seen += [c["id"] for c in answer.json["customers"]]
            cursor = answer.json["next"]
            if not cursor:
                break
        assert len(seen) == len(set(seen)) == 40
    assert customers.get("/api/v1/customers", query_string={"sort": "name"}).status_code == 422
    for sort, cursor in (("spend", "2026-03-01T12:00:00|5"), ("orders", "1.5|5"), ("spend", "NaN|5"),
                         ("last_order", "1000|5")):
        assert customers.get("/api/v1/customers", query_string={"sort": sort, "cursor": cursor}).status_code == 422


def test_the_page_lists_in_the_chosen_order(client, customers):
    _page, session = customers.open_page("customers")
    headers = {"X-Bikri-Embed-Session": session}
    for sort in segments.SORTS:
        page = client.get(f"/embed/customers/rows?sort={sort}", headers=headers).get_data(as_text=True)
        listed = [int(i) for i in re.findall(r'class="customer-row" data-id="(\d+)"', page)]
        api = customers.get("/api/v1/customers", query_string={"sort": sort}).json["customers"]
        assert listed == [c["id"] for c in api] and len(listed) == 40
    refused = client.get("/embed/customers/rows?sort=nonsense", headers=headers).get_data(as_text=True)
    assert "notice-error" in refused and "customer-row" not in refused
