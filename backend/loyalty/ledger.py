"""The points ledger: as exact as the SMS wallet.

Every change of a customer's points locks the account's row first (`Account.lock`: an UPDATE,
which on PostgreSQL takes the row lock and on SQLite the database's write lock, before the
balance is read), then appends entries and moves the balance by the same amount, in the caller's
transaction. Two changes of one account run one after the other whatever the concurrency, so the
balance equals the sum of the entries and never goes below zero. Entry keys are unique per
account: an order earns once, a hold is redeemed once and released once.

Expiry: the oldest points are spent first. The points due to lapse now are those of the lots
(earn, restore) past their expiry less everything taken out since (redeemed, reversed, expired
before; a release gives back), never more than the balance. It is applied under the lock before
every change, and for every account by the daily job (`expire_all`).
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select, update

from backend.database import upsert_insert
from backend.extensions import db
from backend.loyalty.models import EXPIRE, LOTS, LoyaltyAccount, LoyaltyEntry
from backend.clock import utcnow


@dataclass
class Account:
    site_id: int
    phone: str
    balance: int
    expired: int = 0  # points lapsed when the lock was taken

    @classmethod
    def lock(cls, site_id: int, phone: str, now: datetime | None = None) -> "Account":
        """The account, its row locked until the caller's transaction ends; lapsed points expired."""
        now = now or utcnow()
        db.session.execute(upsert_insert(LoyaltyAccount).values(site_id=site_id, phone=phone, balance=0, updated_at=now)
                           .on_conflict_do_nothing(index_elements=["site_id", "phone"]))
        # the UPDATE waits for any other change of this account, then reads its committed balance
        balance = db.session.execute(
            update(LoyaltyAccount).where(LoyaltyAccount.site_id == site_id, LoyaltyAccount.phone == phone)
            .values(updated_at=now).returning(LoyaltyAccount.balance)).scalar_one()
        account = cls(site_id, phone, balance)
        account.expired = account.expire_due(now)
        return account

    def post(self, points: int, kind: str, key: str, **columns) -> LoyaltyEntry:
        """Append one entry and move the balance by its points (the caller checked the balance)."""
        if self.balance + points < 0:
            raise ValueError("a ledger entry may not take the balance below zero")
        entry = LoyaltyEntry(site_id=self.site_id, phone=self.phone, points=points, kind=kind, key=key,
                             created_at=utcnow(), **columns)
        db.session.add(entry)
        db.session.flush()
        if points:
            db.session.execute(update(LoyaltyAccount).where(LoyaltyAccount.site_id == self.site_id,
                                                            LoyaltyAccount.phone == self.phone)
                               .values(balance=LoyaltyAccount.balance + points))
            self.balance += points
        return entry

    def entry_count(self) -> int:
        return db.session.execute(select(func.count(LoyaltyEntry.id)).where(
            LoyaltyEntry.site_id == self.site_id, LoyaltyEntry.phone == self.phone)).scalar_one()

    def expire_due(self, now: datetime) -> int:
        due = lapsing(self.site_id, self.phone, self.balance, now)
        if due:
            self.post(-due, EXPIRE, f"expire:{self.entry_count()}")
        return due


def lapsing(site_id: int, phone: str, balance: int, now: datetime) -> int:
    """Points of this account past their expiry and not spent (oldest spent first)."""
    lot = LoyaltyEntry.kind.in_(LOTS)
    lapsed, taken = db.session.execute(
        select(func.coalesce(func.sum(case((lot & (LoyaltyEntry.expires_at <= now), LoyaltyEntry.points), else_=0)), 0),
               func.coalesce(func.sum(case((lot, 0), else_=-LoyaltyEntry.points)), 0))
        .where(LoyaltyEntry.site_id == site_id, LoyaltyEntry.phone == phone)).one()
    return max(0, min(int(lapsed) - int(taken), balance))


def balance_of(site_id: int, phone: str, now: datetime | None = None) -> int:
    """What the customer may spend now (read only: lapsed points are left out, not written off)."""
    balance = db.session.execute(select(LoyaltyAccount.balance).where(
        LoyaltyAccount.site_id == site_id, LoyaltyAccount.phone == phone)).scalar_one_or_none() or 0
    return balance - lapsing(site_id, phone, balance, now or utcnow()) if balance else 0


def ledger_sum(site_id: int, phone: str) -> int:
    return int(db.session.execute(select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
        LoyaltyEntry.site_id == site_id, LoyaltyEntry.phone == phone)).scalar_one())


def entries_of(site_id: int, phone: str, limit: int = 50) -> list[LoyaltyEntry]:
    return list(db.session.execute(select(LoyaltyEntry).where(LoyaltyEntry.site_id == site_id, LoyaltyEntry.phone == phone)
                                   .order_by(LoyaltyEntry.id.desc()).limit(limit)).scalars())


def accounts_with_lapsed_points(now: datetime) -> list[tuple[int, str]]:
    return [tuple(row) for row in db.session.execute(
        select(LoyaltyEntry.site_id, LoyaltyEntry.phone).distinct()
        .join(LoyaltyAccount, (LoyaltyAccount.site_id == LoyaltyEntry.site_id) & (LoyaltyAccount.phone == LoyaltyEntry.phone))
        .where(LoyaltyEntry.kind.in_(LOTS), LoyaltyEntry.expires_at <= now, LoyaltyAccount.balance > 0))]


def expire_all(now: datetime | None = None) -> int:
    """The daily job: lapse every account's expired points (database only; the runner commits).
    Returns the points expired."""
    now = now or utcnow()
    return sum(Account.lock(site_id, phone, now).expired for site_id, phone in accounts_with_lapsed_points(now))
