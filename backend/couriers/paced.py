"""A courier adapter asked within the account's rate limit across every worker: what a booking
task asks the courier through (backend/couriers/booking.py)."""
from backend.couriers.service import courier_rate
from backend.integrations.couriers.base import CourierRateLimited, ParcelRequest, TrackedStatus
from backend.tasks import RetryLater, coordination


class PacedCourier:
    """The courier adapter, asked within the account's rate limit across every worker
    (`coordination.take_turn`, in Redis: COURIERS[key]["requests_per_second"]); the wait for a
    turn is short, a longer one sends the task back to the queue instead of holding its worker.
    A 429 from the courier: the task comes back after its Retry-After (`RetryLater`)."""

    def __init__(self, courier, account):
        self.courier = courier
        self.service = f"{account.courier}:{account.id}"
        self.per_second = courier_rate(account.courier)

    def __getattr__(self, name):  # checks (parcel_errors) need no turn
        return getattr(self.courier, name)

    def _turn(self) -> None:
        coordination.take_turn(self.service, self.per_second)

    def status_by_invoice(self, invoice: str) -> TrackedStatus:
        self._turn()
        try:
            return self.courier.status_by_invoice(invoice)
        except CourierRateLimited as error:
            raise RetryLater(error.retry_after or 60, error.message) from error

    def create_consignment(self, parcel: ParcelRequest):
        self._turn()
        try:
            return self.courier.create_consignment(parcel)
        except CourierRateLimited as error:
            raise RetryLater(error.retry_after or 60, error.message) from error

    def create_many(self, parcels: list[ParcelRequest]):
        # the adapter sends max_bulk parcels a call; a booking task holds at most ORDERS_PER_TASK of them
        for _call in range(0, len(parcels), self.courier.max_bulk):
            self._turn()
        items = self.courier.create_many(parcels)
        limited = [item.error for item in items if isinstance(item.error, CourierRateLimited)]
        if limited:
            raise RetryLater(max(error.retry_after or 60 for error in limited), limited[0].message)
        return items
