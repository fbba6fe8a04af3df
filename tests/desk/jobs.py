"""Status changes run as jobs (issue 19): the API answers 202 with the job, whose items are the
results. In the unit tests' inline mode the job is done when the answer comes."""

RESULT_OF_JOB = ("item", "outcome", "message")


def status_change(shop, ids, status):
    """POST /api/v1/orders/status, then read its job: one result per order, in the order asked."""
    answer = shop.post("/api/v1/orders/status", json={"orders": ids, "status": status})
    assert answer.status_code == 202, answer.json
    assert answer.headers["Location"] == f"/api/v1/jobs/{answer.json['id']}"
    job = shop.get(answer.headers["Location"]).json
    assert job["kind"] == "status_change" and job["status"] == "done" and job["done"] == job["total"] == len(set(ids))
    by_order = {item["wc_id"]: item for item in job["items"]}
    for item in job["items"]:
        assert item["outcome"] == ("changed" if item["ok"] else "gone" if item.get("deleted") else "refused")
    return [{k: v for k, v in by_order[wc_id].items() if k not in RESULT_OF_JOB} for wc_id in dict.fromkeys(ids)]
