"""How many SMS a text costs: GSM-7 or UCS-2, and how many segments.

GSM-7: 160 septets in one SMS, 153 per part of a long one; the extension table's characters
take an escape and so count 2. Any character outside GSM-7 (Bangla, emoji, curly quotes)
makes the whole message UCS-2: 70 UTF-16 units in one SMS, 67 per part (an emoji outside
the BMP is 2 units).
"""
from dataclasses import dataclass

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[]~|€\f")

GSM7, UCS2 = "gsm", "unicode"  # the names the API and the price list use
MAX_SEGMENTS = 10


@dataclass(frozen=True)
class SmsSize:
    encoding: str
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int

    @property
    def is_unicode(self) -> bool:
        return self.encoding == UCS2


def _segments(units: int, single: int, part: int) -> int:
    if units == 0:
        return 0
    return 1 if units <= single else -(-units // part)


def measure(text: str) -> SmsSize:
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        units = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        return SmsSize(GSM7, units, _segments(units, 160, 153))
    units = len(text.encode("utf-16-le")) // 2
    return SmsSize(UCS2, units, _segments(units, 70, 67))
