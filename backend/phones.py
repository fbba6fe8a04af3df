"""Bangladeshi mobile numbers: the one place that reads them.

Shoppers type numbers every which way: `01711-234567`, `+880 1711 234567`, `8801711234567`,
`1711234567`, or in Bangla digits `০১৭১১২৩৪৫৬৭`. We keep `+8801XXXXXXXXX` (E.164) and render
the local form each outside API wants.
"""
import re
from flask_babel import gettext as _

BANGLA_DIGITS = str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")
LOCAL_MOBILE = re.compile(r"^01[3-9]\d{8}$")
SEPARATORS = re.compile(r"[\s\-().]")


class InvalidPhone(ValueError):
    """The number is not a Bangladeshi mobile number; the message says why, in words."""


def normalise_phone(raw) -> str:
    """Return `+8801XXXXXXXXX`, or raise InvalidPhone saying what is wrong."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidPhone(_("Enter a mobile number."))
    digits = SEPARATORS.sub("", raw.strip().translate(BANGLA_DIGITS))
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    if not digits.isdigit():
        raise InvalidPhone(_("A mobile number has only digits (and an optional + at the start)."))
    if digits.startswith("880"):
        digits = digits[2:]
    elif len(digits) == 10 and digits.startswith("1"):
        digits = "0" + digits
    if not digits.startswith("01"):
        raise InvalidPhone(_("A Bangladeshi mobile number starts with 01 (or +8801)."))
    if len(digits) != 11:
        raise InvalidPhone(_("A Bangladeshi mobile number has 11 digits (01XXXXXXXXX); this one has %(n)s.", n=len(digits)))
    if not LOCAL_MOBILE.match(digits):
        raise InvalidPhone(_("The third digit must be 3 to 9 (013–019 are the mobile operators)."))
    return "+88" + digits


def local_form(e164: str) -> str:
    """`01XXXXXXXXX`, as couriers and some SMS gateways want it."""
    return e164.removeprefix("+88")


def msisdn_form(e164: str) -> str:
    """`8801XXXXXXXXX`, as SSL Wireless, BulkSMSBD and MiM SMS want it."""
    return e164.removeprefix("+")


def is_valid_phone(raw) -> bool:
    try:
        normalise_phone(raw)
    except InvalidPhone:
        return False
    return True
