"""Operator accounts, and the figures of the work queue page. License changes go through
backend.licensing.service; retries of dead letters through backend.tasks.service."""
from sqlalchemy import select

from backend.extensions import db
from backend.licensing.models import Site
from backend.operator.models import Operator
from backend.tasks import LANES, inspect, service as tasks_service
from backend.clock import utcnow

MIN_PASSWORD_LENGTH = 10


def create_operator(email: str, password: str) -> Operator:
    email = email.strip().lower()
    if "@" not in email:
        raise ValueError("the email address is not valid")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if db.session.execute(select(Operator).where(Operator.email == email)).scalar_one_or_none():
        raise ValueError(f"an operator {email} already exists")
    operator = Operator(email=email)
    operator.set_password(password)
    db.session.add(operator)
    db.session.flush()
    return operator


def sign_in(email: str, password: str) -> Operator | None:
    operator = db.session.execute(
        select(Operator).where(Operator.email == (email or "").strip().lower())
    ).scalar_one_or_none()
    if operator is None or not operator.check_password(password or ""):
        return None
    operator.last_login_at = utcnow()
    return operator


# --- the work queue page ---------------------------------------------------------------------

RECENT_DEAD_LETTERS = 100


def work_queue() -> dict:
    """What the "Work queue" page shows: the broker's queues, the shops' backlogs (largest
    first) and the dead letters waiting for a decision."""
    state = inspect.queue_state()
    dead = tasks_service.dead_letters(limit=RECENT_DEAD_LETTERS)
    counts = tasks_service.dead_letter_counts()
    site_ids = {site_id for site_id in (*state.per_shop, *counts["per_shop"], *(row.site_id for row in dead)) if site_id}
    sites = {site.id: site for site in db.session.execute(select(Site).where(Site.id.in_(site_ids))).scalars()} \
        if site_ids else {}
    backlog = sorted(((site_id, lanes, sum(lanes.values())) for site_id, lanes in state.per_shop.items()),
                     key=lambda row: (-row[2], row[0] or 0))
    return {"state": state, "backlog": backlog, "dead": dead, "dead_counts": counts, "sites": sites, "lanes": LANES}
