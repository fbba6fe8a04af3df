"""The desk follows the couriers' bookings through a signal: couriers never import the desk.
With "require phone confirmation before booking" (order tasks, T3), a booking leaves alone each
order its customer has not confirmed by phone. `connect` is called once by
`backend.app.create_app`; tests/test_signals.py checks it was."""
from backend.couriers.signals import booking_asked
from backend.desk import order_tasks


def on_booking_asked(site, *, orders) -> dict:
    return order_tasks.unconfirmed_reasons(site.id, orders)


def connect() -> None:
    booking_asked.connect(on_booking_asked, weak=False)
