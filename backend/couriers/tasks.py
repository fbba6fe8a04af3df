"""What the couriers' workers run (issue 19)."""
from backend.couriers.balances import refresh_gave_up, refresh_of_job
from backend.couriers.status_checks import check_gave_up, check_statuses_of_job
from backend.tasks import task


@task("couriers.check_statuses", lane="transactional", max_retries=3, gave_up=check_gave_up)
def check_statuses(site_id: int, job_id: int, items: list[str]) -> None:
    """The on-demand status check (C6): staff or the plugin wait for it."""
    check_statuses_of_job(site_id, job_id, items)


@task("couriers.refresh_balance", lane="transactional", max_retries=2, gave_up=refresh_gave_up)
def refresh_balance(site_id: int, job_id: int, items: list[str]) -> None:
    """The balance with a courier, asked now (C5): a page or the API waits a moment for it."""
    refresh_of_job(site_id, job_id, items)
