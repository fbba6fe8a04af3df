"""Operator accounts. License changes go through backend.licensing.service."""
from sqlalchemy import select

from backend.extensions import db
from backend.operator.models import Operator
from backend.timeutil import utcnow

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
