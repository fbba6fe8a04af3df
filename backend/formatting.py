"""Numbers, money and dates as every page shows them: Babel, in the reader's locale.

One rule for digits: Latin digits (0-9) in every locale, Bangla included. CLDR (Babel 2.19)
itself gives Bangla Latin digits by default; the numbers staff type (prices, phone numbers,
order numbers, consignment ids) and the ones couriers, bKash and WooCommerce show are Latin, and
a number input takes only Latin digits. Dates get the locale's month names ("7 ডিসে, 2026").
Grouping and the ৳ sign's place follow the locale (Bangla: 1,23,456.50৳; English: ৳123,456.50).
The dashboard's JavaScript asks Intl for the same (`bn-u-nu-latn`, narrow ৳ symbol).
"""
from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency, format_decimal, get_currency_symbol
from flask_babel import format_date, format_time, get_locale

TAKA = "৳"


def _locale():
    return get_locale() or "en"


def number(value, *, fraction_digits=None) -> str:
    """1234567 -> "1,234,567" (bn: "12,34,567"); None -> "—"."""
    if value is None:
        return "—"
    if fraction_digits is not None:
        # the locale's pattern (its grouping) with exactly that many decimals: 75.0%, not 75%
        locale = Locale.parse(_locale())
        pattern = locale.decimal_formats[None].pattern.split(";")[0].split(".")[0]
        pattern += "." + "0" * fraction_digits if fraction_digits else ""
        return format_decimal(Decimal(str(value)), format=pattern, locale=locale, numbering_system="latn")
    return format_decimal(value, locale=_locale(), numbering_system="latn")


def money(value) -> str:
    """Taka with the sign where the locale puts it, two decimals, or four for a fraction of a
    poisha (an SMS price): ৳1,250.00 / 1,250.00৳; None -> "—"."""
    if value is None:
        return "—"
    locale = _locale()
    value = Decimal(str(value))  # str first: a float's binary tail is not money
    if value.as_tuple().exponent < -4:
        value = value.quantize(Decimal("0.0001"))
    text = format_currency(value, "BDT", locale=locale, numbering_system="latn", decimal_quantization=False)
    symbol = get_currency_symbol("BDT", locale)
    return text.replace(symbol, TAKA, 1) if symbol != TAKA else text


def money_input(value) -> str:
    """An amount as a form field's value: plain digits, no grouping, no sign ("1250.00")."""
    return "" if value is None else f"{Decimal(value).quantize(Decimal('0.01')):f}"


def percent(value, *, fraction_digits=0) -> str:
    """A share given in percent (42.5 -> "42.5%" / "43%"); None -> "—"."""
    if value is None:
        return "—"
    return number(Decimal(str(value)), fraction_digits=fraction_digits) + "%"


def date(value) -> str:
    """A day (a date, or a datetime read in Dhaka time): "Dec 7, 2026" / "7 ডিসে, 2026"; None -> "—"."""
    if not value:
        return "—"
    return format_date(value, "medium")


def datetime(value) -> str:
    """A moment in Dhaka time: "Dec 7, 2026, 10:05 AM" / "7 ডিসে, 2026, 10:05 AM"; None -> "—"."""
    if not value:
        return "—"
    return f"{format_date(value, 'medium')}, {format_time(value, 'short')}"


def template_globals() -> dict:
    return {"money": money, "money_input": money_input, "number": number, "percent": percent, "date": date, "datetime": datetime,
            # the old names, kept so a template not yet changed prints the same format
            "dhaka_date": date, "dhaka_datetime": datetime}
