import pytest

from backend.sms.encoding import GSM7, UCS2, measure


@pytest.mark.parametrize("length, segments", [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (1530, 10)])
def test_gsm7_boundaries(length, segments):
    size = measure("a" * length)
    assert (size.encoding, size.units, size.segments) == (GSM7, length, segments)


@pytest.mark.parametrize("length, segments", [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_boundaries_with_bangla(length, segments):
    size = measure("ক" * length)
    assert (size.encoding, size.units, size.segments) == (UCS2, length, segments)


def test_extension_characters_count_double():
    assert measure("{" * 80).units == 160 and measure("{" * 80).segments == 1
    assert measure("€" * 81).segments == 2
    assert measure("a" * 159 + "^").segments == 2  # 161 septets


def test_one_bangla_letter_makes_the_whole_message_unicode():
    text = "Your order #1234 is confirmed. ধন্যবাদ"
    size = measure(text)
    assert size.encoding == UCS2 and size.units == len(text)


def test_emoji_outside_the_bmp_takes_two_units():
    assert measure("😀").units == 2
    assert measure("😀" * 35).segments == 1 and measure("😀" * 36).segments == 2


def test_curly_quotes_are_not_gsm():
    assert measure("it’s").encoding == UCS2


def test_gsm_specials_stay_gsm():
    assert measure("Price: £5 @ shop_1 ¿Ñ?").encoding == GSM7


def test_empty_text_has_no_segments():
    assert measure("").segments == 0
