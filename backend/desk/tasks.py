"""What the desk's workers run (issue 19): status changes and manual orders written to WooCommerce."""
from backend.desk import manual_orders
from backend.desk.status_changes import change_status_of_job, status_change_gave_up
from backend.tasks import task


@task("desk.change_status", lane="transactional", max_retries=4, gave_up=status_change_gave_up)
def change_status(site_id: int, job_id: int, items: list[str]) -> None:
    """One order's status change: staff wait for it at the desk."""
    change_status_of_job(site_id, job_id, items)


@task("desk.change_status_bulk", lane="bulk", max_retries=4, gave_up=status_change_gave_up)
def change_status_bulk(site_id: int, job_id: int, items: list[str]) -> None:
    """Up to a hundred orders of a bulk change: one batch call, then a note on each."""
    change_status_of_job(site_id, job_id, items)


@task(manual_orders.TASK, lane="transactional", max_retries=0, gave_up=manual_orders.create_gave_up)
def create_manual_order(site_id: int, job_id: int, items: list[str]) -> None:
    """A manual order (O2) sent to WooCommerce: staff wait for it. Never retried: a second try
    could make a second order."""
    manual_orders.create_order_of_job(site_id, job_id, items)
