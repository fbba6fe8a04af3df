"""The wallet: a shop's balance, its ledger and credits, and the errors a send may refuse with.

The balance lives in `wallets` so a debit is one conditional UPDATE (`balance >= cost`),
which is atomic on SQLite and PostgreSQL alike; every change of it writes a ledger row in
the same transaction, so the balance always equals the ledger's sum.
"""
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from backend.errors import ApiError
from backend.extensions import db
from backend.sms.models import Wallet, WalletEntry

class InsufficientBalance(ApiError):
    status = 402
    code = "insufficient_balance"
    message = "Not enough SMS balance. Recharge to send."


def validation_error(field: str, message: str) -> ApiError:
    return ApiError(_("Some fields are missing or invalid."), code="validation_error", status=422, details={field: [message]})


def rate_limited(message: str, retry_after: int) -> ApiError:
    retry_after = max(1, int(retry_after))
    return ApiError(message, code="rate_limited", status=429, details={"retry_after": retry_after},
                    headers={"Retry-After": str(retry_after)})


def balance_of(site_id: int) -> Decimal:
    value = db.session.execute(select(Wallet.balance).where(Wallet.site_id == site_id)).scalar_one_or_none()
    return value if value is not None else Decimal("0.0000")


def take_at_once(site_id: int, total: Decimal, refusal) -> Decimal:
    """Debit `total` in one conditional UPDATE (bulk sends charge their whole cost up front);
    the balance left. Short of it, nothing is taken and `InsufficientBalance` says why:
    `refusal(cost=..., balance=...)` gives its message. The caller writes the ledger row."""
    left = db.session.execute(
        update(Wallet).where(Wallet.site_id == site_id, Wallet.balance >= total)
        .values(balance=Wallet.balance - total).returning(Wallet.balance)).scalar_one_or_none()
    if left is None:
        balance = balance_of(site_id)
        raise InsufficientBalance(refusal(cost=f"{total.normalize():f}", balance=f"{balance.normalize():f}"),
                                  details={"cost": str(total), "balance": str(balance)})
    return left


def ledger_sum(site_id: int) -> Decimal:
    # summed in Python from exact integers-as-Decimal; fine for audits and tests
    return sum(db.session.execute(select(WalletEntry.amount).where(WalletEntry.site_id == site_id)).scalars(), Decimal("0"))


def _ensure_wallet(site_id: int) -> None:
    if db.session.execute(select(Wallet.site_id).where(Wallet.site_id == site_id)).first():
        return
    try:
        with db.session.begin_nested():
            db.session.execute(insert(Wallet).values(site_id=site_id, balance=Decimal("0")))
    except IntegrityError:
        pass  # another request made it first


def credit(site_id: int, amount: Decimal, *, kind: str, reference: str, note: str | None = None,
           created_by: str | None = None) -> bool:
    """Add money once per (kind, reference). Returns False when that reference was credited before."""
    if amount <= 0:
        raise ValueError("a credit must be positive")
    _ensure_wallet(site_id)
    try:
        with db.session.begin_nested():
            db.session.add(WalletEntry(site_id=site_id, amount=amount, kind=kind, reference=reference,
                                       note=note, created_by=created_by))
            db.session.flush()
    except IntegrityError:
        return False
    db.session.execute(update(Wallet).where(Wallet.site_id == site_id).values(balance=Wallet.balance + amount))
    return True
