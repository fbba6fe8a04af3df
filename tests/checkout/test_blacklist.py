"""The blacklist: API, normalisation, the plugin's copy, CSV import with per-row results, the page."""
from sqlalchemy import select

from backend.checkout import blacklist
from backend.checkout.models import BlacklistEntry
from backend.extensions import db
from backend.licensing.models import Site
from tests.embed_helpers import embed


def add(shop, **body):
    return shop.post("/api/v1/blacklist", json=body)


def test_add_reads_the_kind_off_the_value_and_normalises_it(shop):
    cases = [
        ("০১৭১১-২৩৪৫৬৭", "phone", "+8801711234567"),
        ("  Fake@Example.COM ", "email", "fake@example.com"),
        ("203.0.113.7", "ip", "203.0.113.7"),
        ("203.0.113.9/24", "ip", "203.0.113.0/24"),
        ("2001:db8::1/128", "ip", "2001:db8::1"),
    ]
    for raw, kind, stored in cases:
        answer = add(shop, value=raw, reason="কারণ: ভুয়া অর্ডার", added_by="Order desk: Rahima")
        assert answer.status_code == 201, answer.json
        assert (answer.json["kind"], answer.json["value"]) == (kind, stored)
        assert answer.json["reason"] == "কারণ: ভুয়া অর্ডার" and answer.json["added_by"] == "Order desk: Rahima"


def test_adding_twice_answers_the_first_entry(shop):
    first = add(shop, value="01711234567")
    again = add(shop, kind="phone", value="+880 1711-234567")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["id"] == again.json["id"]


def test_bad_values_say_what_is_wrong(shop):
    for body, fragment in [({"value": "0171234", "kind": "phone"}, "11 digits"),
                           ({"value": "not-an-email@", "kind": "email"}, "email"),
                           ({"value": "10.0.0.0/8"}, "/16"),
                           ({"value": "1.2.3", "kind": "ip"}, "IP address")]:
        answer = add(shop, **body)
        assert answer.status_code == 422, body
        assert fragment in answer.json["error"]["details"]["value"][0], answer.json
    assert add(shop, kind="fax", value="1").json["error"]["details"] == {"kind": ["Must be one of: phone, email, ip."]}


def test_list_filter_and_remove(shop):
    for value in ("01711000001", "01711000002", "a@b.com"):
        add(shop, value=value, reason="late")
    listed = shop.get("/api/v1/blacklist?kind=phone").json
    assert listed["total"] == 2 and [item["value"] for item in listed["items"]] == ["+8801711000002", "+8801711000001"]
    assert shop.get("/api/v1/blacklist?q=b.com").json["total"] == 1
    entry_id = listed["items"][0]["id"]
    assert shop.client.delete(f"/api/v1/blacklist/{entry_id}", headers=shop.auth).status_code == 204
    assert shop.client.delete(f"/api/v1/blacklist/{entry_id}", headers=shop.auth).status_code == 404
    assert shop.get("/api/v1/blacklist").json["total"] == 2


def test_another_shop_cannot_see_or_remove_an_entry(app, shop, make_shop):
    shop_b = make_shop(url="https://shop-b.example.com")
    entry_id = add(shop_b, value="01711234567").json["id"]
    assert shop.get("/api/v1/blacklist").json["total"] == 0
    assert shop.client.delete(f"/api/v1/blacklist/{entry_id}", headers=shop.auth).status_code == 404
    assert shop.client.delete(f"/embed/checkout/blacklist/{entry_id}", headers=embed(shop, "blacklist")).status_code == 404
    assert shop_b.get("/api/v1/blacklist").json["total"] == 1
    assert shop.get("/api/v1/checkout/config").json["blacklist"]["phones"] == []


def test_the_plugins_copy_follows_every_change(shop):
    first = shop.get("/api/v1/checkout/config").json
    assert first["blacklist"] == {"message": None, "phones": [], "emails": [], "ips": []}
    assert shop.get(f"/api/v1/checkout/config?since={first['version']}").json["blacklist"] is None
    add(shop, value="01711234567")
    add(shop, value="x@y.com")
    add(shop, value="198.51.100.0/24")
    second = shop.get(f"/api/v1/checkout/config?since={first['version']}").json
    assert second["version"] > first["version"]
    assert second["blacklist"] == {"message": None, "phones": ["+8801711234567"], "emails": ["x@y.com"], "ips": ["198.51.100.0/24"]}
    entry_id = shop.get("/api/v1/blacklist").json["items"][0]["id"]
    shop.client.delete(f"/api/v1/blacklist/{entry_id}", headers=shop.auth)
    assert shop.get(f"/api/v1/checkout/config?since={second['version']}").json["blacklist"]["ips"] == []


def test_find_matches_phone_email_address_and_network(app, shop):
    add(shop, value="01711234567")
    add(shop, value="Spam@Example.com")
    add(shop, value="198.51.100.0/24")
    add(shop, value="2001:db8:5::/48")
    with app.app_context():
        site = db.session.get(Site, shop.site_id)
        assert blacklist.find(site, phone="+8801711234567").kind == "phone"
        assert blacklist.find(site, email="SPAM@example.com ").kind == "email"
        assert blacklist.find(site, ip="198.51.100.200").value == "198.51.100.0/24"
        assert blacklist.find(site, ip="2001:db8:5:1::9").value == "2001:db8:5::/48"
        assert blacklist.find(site, phone="+8801811234567", email="ok@example.com", ip="198.51.101.1") is None


CSV = """type,value,reason
phone,01711000001,fake orders
email,Spam@Example.com,
,203.0.113.5,chargebacks
phone,0171234,typo
01811000002,returned twice
phone,01711000001,again
ip,10.0.0.0/8,too wide
"""


def test_csv_import_reports_each_row(app, shop):
    with app.app_context():
        results = blacklist.import_csv(db.session.get(Site, shop.site_id), CSV, added_by="Rahima (#1), CSV")
        db.session.commit()
    outcomes = [(r["row"], r["outcome"]) for r in results]
    assert outcomes == [(2, "added"), (3, "added"), (4, "added"), (5, "error"), (6, "added"), (7, "exists"), (8, "error")]
    assert "11 digits" in results[3]["message"] and "/16" in results[6]["message"]
    with app.app_context():
        entries = {e.value: e for e in db.session.execute(select(BlacklistEntry)).scalars()}
    assert set(entries) == {"+8801711000001", "spam@example.com", "203.0.113.5", "+8801811000002"}
    assert entries["+8801811000002"].reason == "returned twice"
    assert entries["203.0.113.5"].added_by == "Rahima (#1), CSV"


def test_blacklist_page_adds_imports_lists_and_removes(shop, client):
    headers = embed(shop, "blacklist", role="shop_manager")
    page = shop.open_page(page="blacklist", role="shop_manager")[0]
    assert page.status_code == 200 and 'id="blacklist-import"' in page.get_data(as_text=True)

    added = client.post("/embed/checkout/blacklist", data={"value": "01711234567", "reason": "ভুয়া"}, headers=headers)
    assert "Blocked: +8801711234567" in added.get_data(as_text=True)
    assert added.headers["HX-Trigger"] == "bikri-checkout-changed"
    bad = client.post("/embed/checkout/blacklist", data={"value": "0171"}, headers=headers)
    assert "11 digits" in bad.get_data(as_text=True) and "HX-Trigger" not in bad.headers

    from io import BytesIO

    imported = client.post("/embed/checkout/blacklist/import", headers=headers, content_type="multipart/form-data",
                           data={"file": (BytesIO(CSV.encode("utf-8")), "list.csv")}).get_data(as_text=True)
    assert 'data-added="4" data-exists="1" data-errors="2"' in imported
    pasted = client.post("/embed/checkout/blacklist/import", headers=headers, data={"csv": "01911000003\n"}).get_data(as_text=True)
    assert 'data-added="1"' in pasted
    latin1 = client.post("/embed/checkout/blacklist/import", headers=headers, content_type="multipart/form-data",
                         data={"file": (BytesIO("phone,01711000009,caf\xe9".encode("latin-1")), "x.csv")})
    assert "UTF-8" in latin1.get_data(as_text=True)

    rows = client.get("/embed/checkout/blacklist/rows?kind=phone", headers=headers).get_data(as_text=True)
    assert rows.count("<tr data-value=") == 4 and "ভুয়া" in rows
    entry_id = shop.get("/api/v1/blacklist?q=01711234567").json["items"][0]["id"]
    removed = client.delete(f"/embed/checkout/blacklist/{entry_id}", headers=headers)
    assert removed.status_code == 200 and removed.headers["HX-Trigger"] == "bikri-checkout-changed"
    assert shop.get("/api/v1/blacklist?q=01711234567").json["total"] == 0


def test_staff_cannot_open_or_change_the_blacklist(shop, client):
    response = shop.post("/api/v1/embed/tickets", json={"wp_user_id": 3, "display_name": "S", "role": "editor", "page": "blacklist"})
    assert client.get(response.json["url"].removeprefix("http://bikri.test")).status_code == 403
    staff = embed(shop, "home", role="editor")
    assert client.post("/embed/checkout/blacklist", data={"value": "01711234567"}, headers=staff).status_code == 403
    assert client.get("/embed/checkout/blacklist/rows", headers=staff).status_code == 403
