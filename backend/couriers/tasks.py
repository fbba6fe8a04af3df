"""What the couriers' workers run (issue 19): booking, the on-demand status check, the
balance and checking new keys, never in the web request.

One order (a click on a row) is booked in the transactional lane: staff wait a few seconds for
its result, and it must not queue behind another shop's 500-order booking in the bulk lane. More
orders go in the bulk lane, a task per 100 orders (one Steadfast bulk call, one WooCommerce batch
call), under the per-shop bulk cap.
"""
from backend.couriers import booking
from backend.couriers import key_checks
from backend.couriers.balances import refresh_gave_up, refresh_of_job
from backend.couriers.status_checks import check_gave_up, check_statuses_of_job
from backend.tasks import task


@task(booking.BOOK_ONE, lane="transactional", max_retries=4, gave_up=booking.booking_gave_up)
def book_one(site_id: int, job_id: int, items: list) -> None:
    booking.book_job_items(site_id, job_id, items)


@task(booking.BOOK_MANY, lane="bulk", max_retries=4, gave_up=booking.booking_gave_up)
def book_many(site_id: int, job_id: int, items: list) -> None:
    booking.book_job_items(site_id, job_id, items)


@task("couriers.check_statuses", lane="transactional", max_retries=3, gave_up=check_gave_up)
def check_statuses(site_id: int, job_id: int, items: list[str]) -> None:
    """The on-demand status check (C6): staff or the plugin wait for it."""
    check_statuses_of_job(site_id, job_id, items)


@task(key_checks.TASK, lane="transactional", max_retries=2, gave_up=key_checks.check_gave_up)
def check_keys(site_id: int, job_id: int, items: list[str]) -> None:
    """New keys for a courier account, checked with the courier before they are saved (C8)."""
    key_checks.check_keys_of_job(site_id, job_id, items)


@task("couriers.refresh_balance", lane="transactional", max_retries=2, gave_up=refresh_gave_up)
def refresh_balance(site_id: int, job_id: int, items: list[str]) -> None:
    """The balance with a courier, asked now (C5): a page or the API waits a moment for it."""
    refresh_of_job(site_id, job_id, items)
