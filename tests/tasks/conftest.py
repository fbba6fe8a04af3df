"""Set-up shared by the real-worker tests."""
from backend.couriers import service as courier_service
from backend.extensions import db
from backend.licensing.models import Site
from backend.sandbox.steadfast import API_KEY, SECRET_KEY


def connect_steadfast(app, shop) -> None:
    """The shop's Steadfast keys saved as a worker saves them once Steadfast accepted them: set-up
    for tests about something else, so it does not wait on a worker (couriers/key_checks.py has
    its own tests)."""
    with app.app_context():
        courier_service.connect_account(db.session.get(Site, shop.site_id), "steadfast",
                                        {"api_key": API_KEY, "secret_key": SECRET_KEY})
        db.session.commit()
