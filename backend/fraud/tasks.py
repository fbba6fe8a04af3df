"""What the fraud check's workers run (issue 19)."""
from backend.fraud.checks import check_gave_up, check_of_job
from backend.tasks import task


@task("fraud.check_phone", lane="transactional", max_retries=2, gave_up=check_gave_up)
def check_phone(site_id: int, job_id: int, items: list[str]) -> None:
    """A phone's history at the shop's couriers (F1): staff wait for it at the desk."""
    check_of_job(site_id, job_id, items)
