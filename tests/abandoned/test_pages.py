"""The shopper's reasons page (U4) and the Abandoned checkouts page in wp-admin."""
from backend.abandoned import service
from tests.abandoned.conftest import capture, row, run
from tests.embed_helpers import embed


def _abandoned(app, shop, key="k" * 32, phone="01711-234567"):
    checkout_id = capture(shop, key=key, phone=phone).json["id"]
    run(app, service.mark_abandoned, 120)
    return checkout_id


def test_reasons_page_in_both_languages_and_the_answer_is_stored(app, client, capturing):
    checkout_id = _abandoned(app, capturing)
    token = row(app, checkout_id)["reason_token"]
    assert len(token) >= 16
    bangla = client.get(f"/r/{token}", headers={"Accept-Language": "bn-BD,bn;q=0.9"}).get_data(as_text=True)
    english = client.get(f"/r/{token}?lang=en").get_data(as_text=True)
    assert "What stopped you from ordering?" in english and 'lang="en"' in english
    assert 'lang="bn"' in bangla and "What stopped you from ordering?" not in bangla
    # no shopper data on a page anyone with the link can open
    assert "Rahima" not in english and "01711" not in english and "Jamdani" not in english
    answer = client.post(f"/r/{token}", data={"reason": "other", "other_text": "ডেলিভারি অনেক দেরি", "lang": "en"})
    assert answer.status_code == 200 and 'id="reason-thanks"' in answer.get_data(as_text=True)
    stored = row(app, checkout_id)
    assert stored["reason"] == "other" and stored["reason_text"] == "ডেলিভারি অনেক দেরি"
    assert client.post(f"/r/{token}", data={"reason": "free-text"}).status_code == 422
    assert client.get("/r/not-a-real-token").status_code == 404
    assert client.post("/r/not-a-real-token/stop").status_code == 404


def test_reasons_chart_counts_answers(app, client, capturing):
    answers = ["too_expensive", "too_expensive", "delivery_charge", "just_looking"]
    for n, reason in enumerate(answers):
        checkout_id = _abandoned(app, capturing, key=f"{n}" * 32, phone=f"0171123456{n}")
        client.post(f"/r/{row(app, checkout_id)['reason_token']}", data={"reason": reason})
    chart = client.get("/embed/abandoned/reasons.json", headers=embed(capturing, "abandoned"))
    assert chart.json["keys"] == ["too_expensive", "delivery_charge", "just_looking", "other"]
    assert chart.json["counts"] == [2, 1, 1, 0]


def test_list_filters_and_shows_the_cart(app, client, capturing):
    first = _abandoned(app, capturing)
    capture(capturing, key="o" * 32, phone="01811111111")  # still open: not listed by default
    headers = embed(capturing, "abandoned")
    body = client.get("/embed/abandoned/rows", headers=headers).get_data(as_text=True)
    assert f'data-id="{first}"' in body and "2 × Jamdani saree" in body and "৳3,500.00" in body
    assert "01811111111" not in body
    assert "01811111111" in client.get("/embed/abandoned/rows?status=open", headers=headers).get_data(as_text=True)
    assert f'data-id="{first}"' not in client.get("/embed/abandoned/rows?status=recovered", headers=headers).get_data(as_text=True)
    assert f'data-id="{first}"' in client.get("/embed/abandoned/rows?q=1711", headers=headers).get_data(as_text=True)
    assert f'data-id="{first}"' not in client.get("/embed/abandoned/rows?q=1999", headers=headers).get_data(as_text=True)
    assert f'data-id="{first}"' not in client.get("/embed/abandoned/rows?start=2020-01-01&end=2020-01-31",
                                                  headers=headers).get_data(as_text=True)
    assert "The start date is after the end date." in client.get("/embed/abandoned/rows?start=2026-02-01&end=2026-01-01",
                                                                 headers=headers).get_data(as_text=True)


def test_page_opens_for_managers_not_staff(app, capturing):
    page, _ = capturing.open_page(page="abandoned", role="shop_manager")
    assert page.status_code == 200 and 'id="abandoned-settings"' in page.get_data(as_text=True)
    staff, _ = capturing.open_page(page="abandoned", role="shop_worker")
    assert staff.status_code == 403


def test_one_shop_cannot_see_or_answer_for_another(app, client, make_shop):
    from tests.abandoned.conftest import set_abandoned

    shop_a, shop_b = make_shop(url="https://a.example.com"), make_shop(url="https://b.example.com")
    for shop in (shop_a, shop_b):
        set_abandoned(app, shop, capture_enabled=True)
    b_id = capture(shop_b, key="b" * 32, phone="01999999999").json["id"]
    run(app, service.mark_abandoned, 120)
    # the same capture key from shop A is shop A's own row
    a_id = capture(shop_a, key="b" * 32).json["id"]
    assert a_id != b_id and row(app, b_id)["phone"] == "+8801999999999"
    body = client.get("/embed/abandoned/rows", headers=embed(shop_a, "abandoned")).get_data(as_text=True)
    assert "01999999999" not in body and f'data-id="{b_id}"' not in body
