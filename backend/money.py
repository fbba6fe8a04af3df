"""Money: Decimal in Python, exact integers in the database.

SQLite has no decimal type (it would do float arithmetic in `balance - cost`), so amounts
are stored as whole ten-thousandths of a taka. That keeps SMS rates like 0.3500 exact and
makes the wallet's conditional UPDATE exact on SQLite and PostgreSQL alike.
"""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import BigInteger
from sqlalchemy.types import TypeDecorator

SCALE = Decimal("10000")
POISHA = Decimal("0.01")
RATE = Decimal("0.0001")


def taka(value) -> Decimal:
    """A Decimal from user input or an int/str; never from float arithmetic."""
    return Decimal(str(value))


def decimal_or_none(value) -> Decimal | None:
    """An amount from an outside answer (a JSON number read as Decimal, or a string), or None
    when it is missing or not a number: the caller decides whether that is an error."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def whole_poisha(amount: Decimal) -> bool:
    """Whether an amount is finite and has at most two decimal places. Never raises: quantize()
    raises InvalidOperation on 1e30 (more digits than the context holds) and on infinities."""
    return amount.is_finite() and (amount == 0 or amount.normalize().as_tuple().exponent >= -2)


def to_poisha(amount: Decimal) -> Decimal:
    return amount.quantize(POISHA, rounding=ROUND_HALF_UP)


class Money(TypeDecorator):
    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        scaled = Decimal(str(value)) * SCALE
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than 4 decimal places")
        return int(scaled)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(value) / SCALE).quantize(RATE)
