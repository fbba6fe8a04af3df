"""The order desk's CSV export (issue 20, item 3): the list's orders under the list's filters,
streamed, Excel-friendly, formula-safe, translated, for owners and managers only, through a
one-time download ticket of the shop that asked."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from backend.desk import export
from backend.embed.models import EmbedTicket
from backend.extensions import db
from backend.orders.models import Order, OrderItem
from backend.clock import in_dhaka, utcnow
from tests.csv_checks import ATTACKS, assert_formula_safe, read_csv
from tests.desk.test_list import walk

HEADER = ["Order number", "Date", "Status", "Customer name", "Phone", "District / city", "Address", "Items", "Total",
          "Discount", "Shipping", "Payment method", "Courier", "Consignment ID", "Courier status", "Tags", "Note"]


def session(shop, role="administrator", locale=None):
    _response, value = shop.open_page("orders", role=role, locale=locale)
    assert value
    return {"X-Bikri-Embed-Session": value}


def start(shop, headers, **filters):
    """The "Export CSV" button: POST the desk's filters with the session; the answer names the download URL."""
    return shop.client.post("/embed/orders/export", data=filters, headers=headers)


def download_url(shop, headers, **filters) -> str:
    answer = start(shop, headers, **filters)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    url = answer.headers["HX-Redirect"]
    assert url.startswith("/embed/orders/export.csv?ticket=")
    assert headers["X-Bikri-Embed-Session"] not in url  # the long-lived session never goes in a URL
    return url


def table_of(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return read_csv(response.get_data().decode("utf-8"))


def exported(shop, headers=None, **filters) -> list[list[str]]:
    headers = headers or session(shop)
    return table_of(shop.client.get(download_url(shop, headers, **filters)))


@pytest.mark.parametrize("filters", [
    {}, {"status": "processing"}, {"status": "processing,completed"}, {"q": "rahim"}, {"q": "zzyzx-nobody"},
])
def test_the_export_holds_exactly_the_lists_orders_in_its_order(app, synced, filters):
    table = exported(synced, **filters)
    assert table[0] == HEADER
    listed = walk(synced, **filters)
    assert [row[0] for row in table[1:]] == [o["number"] for o in listed]


def test_dates_and_tags_filter_as_on_the_list(app, synced):
    with app.app_context():
        stamps = sorted(db.session.execute(select(Order.date_created_gmt).where(Order.site_id == synced.site_id)).scalars())
    day = in_dhaka(stamps[len(stamps) // 2]).date().isoformat()
    on_day = exported(synced, start=day, end=day)
    assert [r[0] for r in on_day[1:]] == [o["number"] for o in walk(synced, start=day, end=day)]
    assert len(on_day) > 1

    tag = synced.post("/api/v1/order-tags", json={"name": "COD check"}).json["id"]
    numbers = [o["wc_id"] for o in walk(synced)][3:9]
    synced.post(f"/api/v1/order-tags/{tag}/orders", json={"orders": numbers})
    tagged = exported(synced, tag=str(tag))
    assert [r[0] for r in tagged[1:]] == [o["number"] for o in walk(synced, tag=tag)]
    assert len(tagged) == 7 and all(r[HEADER.index("Tags")] == "COD check" for r in tagged[1:])


def test_keyset_batches_cover_every_order_once(app, synced, monkeypatch):
    monkeypatch.setattr(export, "BATCH", 7)
    table = exported(synced)
    numbers = [r[0] for r in table[1:]]
    assert numbers == [o["number"] for o in walk(synced)] and len(set(numbers)) == len(numbers) > 100


def test_a_row_says_what_a_shop_expects(app, synced):
    table = exported(synced)
    with app.app_context():
        order = db.session.execute(select(Order).where(Order.site_id == synced.site_id, Order.number == table[1][0])).scalar_one()
        items = db.session.execute(select(OrderItem.name, OrderItem.quantity).where(OrderItem.order_id == order.id)
                                   .order_by(OrderItem.id)).all()
        row = dict(zip(HEADER, table[1]))
        assert row["Date"] == in_dhaka(order.date_created_gmt).strftime("%Y-%m-%d %H:%M")
        assert row["Customer name"] == order.billing_name
        assert row["Items"] == "; ".join(f"{name} x {qty}" for name, qty in items) and items
        assert Decimal(row["Total"]) == order.total and Decimal(row["Shipping"]) == order.shipping_total
        assert row["Phone"] == (order.phone.removeprefix("+88") if order.phone else order.billing_phone or "")
        assert not order.phone or row["Phone"].startswith("01")
    labels = {"processing": "Processing", "completed": "Completed", "on-hold": "On hold", "pending": "Pending payment",
              "cancelled": "Cancelled", "refunded": "Refunded", "failed": "Failed",
              "shipped": "Shipped", "returned": "Returned"}
    statuses = {r[HEADER.index("Status")] for r in table[1:]}
    assert statuses and statuses <= set(labels.values())  # labels, never a raw slug
    assert {r[HEADER.index("Payment method")] for r in table[1:]} - {"Cash on delivery", "bKash", "Nagad", "Bank transfer", ""} \
        <= {o.payment_method_title for o in _orders(app, synced.site_id)}


def _orders(app, site_id):
    with app.app_context():
        return db.session.execute(select(Order).where(Order.site_id == site_id)).scalars().all()


def test_the_file_streams_a_batch_at_a_time(app, synced, monkeypatch):
    """The header comes first on its own, then one chunk per keyset batch: rows are read and
    sent a batch at a time, never all at once."""
    monkeypatch.setattr(export, "BATCH", 7)
    response = synced.client.get(download_url(synced, session(synced)))
    assert response.is_streamed
    chunks = iter(response.response)  # the WSGI body, read lazily as a server would
    first = next(chunks)
    assert first.decode("utf-8").lstrip("\ufeff").rstrip("\r\n").split(",") == HEADER
    sizes = [len(read_csv(chunk.decode("utf-8"))) for chunk in chunks]
    assert len(sizes) > 10 and max(sizes) == 7 and sum(sizes) == len(walk(synced))


def test_bom_crlf_and_an_attachment(app, synced):
    response = synced.client.get(download_url(synced, session(synced)))
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="orders-')
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf" + b"Order number,Date,Status")
    assert body.count(b"\r\n") == len(read_csv(body.decode("utf-8"))) and b"\n" not in body.replace(b"\r\n", b"")


def test_formula_looking_names_and_notes_are_neutralised(app, synced):
    for attack in ATTACKS[:4]:
        synced.store.data.create({"line_items": [{"product_id": 101, "quantity": 1}], "customer_note": attack,
                                  "billing": {"first_name": attack, "phone": "01711000000", "address_1": attack}})
    from backend.sync import service as sync
    with app.app_context():
        sync.run_reconcile(synced.site_id)
        db.session.commit()
    table = exported(synced)
    assert_formula_safe(table)
    names = {r[HEADER.index("Customer name")] for r in table}
    assert "'" + ATTACKS[0] in names and "'" + ATTACKS[3] in names
    notes = {r[HEADER.index("Note")] for r in table}
    assert "'" + ATTACKS[0] in notes


def test_bangla_headers_and_labels_for_a_bangla_user(app, synced):
    table = exported(synced, session(synced, locale="bn_BD"), status="processing")
    assert table[0][:3] == ["অর্ডার নম্বর", "তারিখ", "অবস্থা"]
    assert table[0][HEADER.index("Consignment ID")] == "কনসাইনমেন্ট আইডি"
    assert len(table) > 1 and {r[2] for r in table[1:]} == {"প্রসেসিং"}


def test_staff_may_not_export_managers_may(app, synced):
    staff = session(synced, role="editor")
    refused = start(synced, staff)
    assert refused.status_code == 403 and "HX-Redirect" not in refused.headers
    page, _value = synced.open_page("orders", role="editor")
    assert 'id="desk-export"' not in page.get_data(as_text=True)
    page, _value = synced.open_page("orders", role="shop_manager")
    assert 'id="desk-export"' in page.get_data(as_text=True)
    assert len(exported(synced, session(synced, role="shop_manager"))) > 1
    with app.app_context():
        assert not db.session.execute(select(EmbedTicket).where(EmbedTicket.page == export.PURPOSE,
                                                                EmbedTicket.role == "staff")).first()


def test_bad_filters_are_named_and_issue_no_ticket(app, synced):
    answer = start(synced, session(synced), start="yesterday", status="on hold")
    assert answer.status_code == 200 and "HX-Redirect" not in answer.headers
    assert "Dates look like 2026-03-01." in answer.get_data(as_text=True)
    with app.app_context():
        assert not db.session.execute(select(EmbedTicket).where(EmbedTicket.page == export.PURPOSE)).first()


def test_a_download_url_works_once_within_its_minute(app, synced):
    headers = session(synced)
    url = download_url(synced, headers)
    assert len(table_of(synced.client.get(url))) > 1
    again = synced.client.get(url)
    assert again.status_code == 410
    # the refusal shows inside the shop's frame, not a blocked frame
    assert again.headers["Content-Security-Policy"].startswith(f"frame-ancestors {synced.url};")

    late = download_url(synced, headers)
    with app.app_context():
        db.session.execute(update(EmbedTicket).where(EmbedTicket.page == export.PURPOSE, EmbedTicket.used_at.is_(None))
                           .values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert synced.client.get(late).status_code == 410
    for made_up in ("/embed/orders/export.csv", "/embed/orders/export.csv?ticket=made-up"):
        assert synced.client.get(made_up).status_code == 410


def test_page_tickets_and_download_tickets_do_not_mix(app, synced):
    page_ticket = synced.post("/api/v1/embed/tickets", json={"wp_user_id": 1, "display_name": "R", "role": "administrator",
                                                            "page": "orders"}).json["url"].split("ticket=")[1]
    assert synced.client.get(f"/embed/orders/export.csv?ticket={page_ticket}").status_code == 410
    raw = download_url(synced, session(synced)).split("ticket=")[1].split("&")[0]
    assert synced.client.get(f"/embed/orders?ticket={raw}").status_code == 401
    # the session itself is no download ticket either
    assert synced.client.get(f"/embed/orders/export.csv?ticket={session(synced)['X-Bikri-Embed-Session']}").status_code == 410


def test_a_shops_download_holds_only_its_own_orders(app, synced, make_synced):
    other = make_synced(orders=30, seed=11)
    theirs = other.post("/api/v1/order-tags", json={"name": "Theirs"}).json["id"]
    other.post(f"/api/v1/order-tags/{theirs}/orders", json={"orders": [o["wc_id"] for o in walk(other)][:5]})
    mine = exported(synced)
    assert [r[0] for r in mine[1:]] == [o["number"] for o in walk(synced)]
    # another shop's tag id names none of this shop's orders
    assert exported(synced, tag=str(theirs)) == [HEADER]
    # a URL issued to one shop answers that shop's orders whoever's session comes along with it
    url = download_url(other, session(other))
    theirs_table = table_of(synced.client.get(url, headers=session(synced)))
    assert [r[0] for r in theirs_table[1:]] == [o["number"] for o in walk(other)]
    with app.app_context():
        tickets = db.session.execute(select(EmbedTicket.site_id).where(EmbedTicket.page == export.PURPOSE)).scalars().all()
    assert set(tickets) == {synced.site_id, other.site_id}


def test_a_deactivated_shops_url_is_refused(app, synced):
    url = download_url(synced, session(synced))
    assert synced.post("/api/v1/sites/deactivate").status_code in (200, 204)
    assert synced.client.get(url).status_code == 410
