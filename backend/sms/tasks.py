"""What the SMS wallet's workers run (issue 19)."""
from backend.sms.recharges import open_payment, payment_gave_up
from backend.tasks import task


@task("sms.open_bkash_payment", lane="transactional", max_retries=3, gave_up=payment_gave_up)
def open_bkash_payment(site_id: int, recharge_id: int) -> None:
    """Open a recharge's payment at bKash (K3): the shop owner waits for the address to pay at."""
    open_payment(site_id, recharge_id)
