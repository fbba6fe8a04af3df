"""The couriers' tasks (issue 19): booking runs in the workers, never in the web request.

One order (a click on a row) goes in the transactional lane: staff wait a few seconds for its
result, and it must not queue behind another shop's 500-order booking in the bulk lane. More
orders go in the bulk lane, a task per 100 orders (one Steadfast bulk call, one WooCommerce
batch call), under the per-shop bulk cap.
"""
from backend.couriers import booking
from backend.tasks import task


@task(booking.BOOK_ONE, lane="transactional", max_retries=4, gave_up=booking.booking_gave_up)
def book_one(site_id: int, job_id: int, items: list) -> None:
    booking.book_job_items(site_id, job_id, items)


@task(booking.BOOK_MANY, lane="bulk", max_retries=4, gave_up=booking.booking_gave_up)
def book_many(site_id: int, job_id: int, items: list) -> None:
    booking.book_job_items(site_id, job_id, items)
