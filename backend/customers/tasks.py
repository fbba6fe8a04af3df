"""What the workers run for customers: a campaign's recipients, a chunk per task, in the bulk
lane (each shop a capped share of the bulk workers)."""
from backend.customers import campaigns
from backend.tasks import task


@task(campaigns.TASK, lane="bulk", max_retries=8)
def send_campaign(site_id: int, job_id: int, items: list[str]) -> None:
    campaigns.deliver_chunk(site_id, job_id, items)
