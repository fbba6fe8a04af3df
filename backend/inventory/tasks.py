"""What inventory's workers run: reading products from WooCommerce, batches (batches.py), and
the owner's low-stock emails."""
from backend.inventory import batches, product_sync, service
from backend.tasks.registry import task


@task("inventory.fetch_items", lane="transactional", max_retries=6)
def fetch_items(site_id: int, ids: list) -> None:
    """Products or variations a push named but Bikri has not stored (or a product save): read and stored."""
    product_sync.fetch_items(site_id, ids)


@task("inventory.backfill", lane="bulk", max_retries=4)
def backfill(site_id: int) -> None:
    product_sync.backfill(site_id)


@task("inventory.reconcile_shop", lane="bulk", max_retries=2)
def reconcile_shop(site_id: int) -> None:
    """What a push missed: products modified since the last run."""
    product_sync.reconcile(site_id)


@task("inventory.apply_batch", lane="bulk", max_retries=4, gave_up=batches.batch_gave_up)
def apply_batch(site_id: int, job_id: int, items: list[str]) -> None:
    """Up to a hundred rows of a batch: one products/batch call per parent, a result per row."""
    batches.apply_rows(site_id, job_id, items)


@task("inventory.email_low_stock", lane="transactional", max_retries=6, gave_up=service.email_gave_up)
def email_low_stock(site_id: int, crossing_ids: list) -> None:
    """The owner's email about products that ran low (once per crossing)."""
    service.email_low_stock(site_id, crossing_ids)
