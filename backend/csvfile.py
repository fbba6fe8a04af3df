"""The one way the service writes CSV: cells a spreadsheet will not run as formulas.

Excel, LibreOffice and Google Sheets read a cell that starts with = + - @ (or a tab or a
carriage return, which they skip first) as a formula, so text that came from a request or a
shop's data (a courier filter, a phone, a name) could put `=HYPERLINK(...)` into the owner's
spreadsheet. Such text is written with a leading apostrophe, which the spreadsheet shows as
text and hides. Numbers stay numbers: int and Decimal values as they are, and text that is a
plain number (a phone such as +8801711234567, an amount such as -12.50).
"""
import csv
import re
from decimal import Decimal

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?\Z")


def csv_cell(value) -> str:
    """The text of one cell, made safe."""
    if value is None:
        return ""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


class SafeWriter:
    """csv.writer's writerow/writerows, every cell through `csv_cell`."""

    def __init__(self, out, **kwargs):
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(out, **kwargs) -> SafeWriter:
    return SafeWriter(out, **kwargs)
