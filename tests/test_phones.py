import pytest

from backend.phones import InvalidPhone, local_form, msisdn_form, normalise_phone


@pytest.mark.parametrize("raw", [
    "01711234567", "+8801711234567", "8801711234567", "1711234567", "01711-234567", "+880 1711 234567",
    "(017) 1123-4567", "008801711234567", "০১৭১১২৩৪৫৬৭", " 01711234567 ",
])
def test_common_forms_normalise_to_e164(raw):
    assert normalise_phone(raw) == "+8801711234567"


@pytest.mark.parametrize("raw, words", [
    ("", "Enter a mobile number"),
    (None, "Enter a mobile number"),
    ("0171123456", "11 digits"),
    ("017112345678", "11 digits"),
    ("01211234567", "third digit"),
    ("02711234567", "starts with 01"),
    ("+9101711234567", "starts with 01"),
    ("01711abc567", "only digits"),
])
def test_bad_numbers_say_what_is_wrong(raw, words):
    with pytest.raises(InvalidPhone, match=words):
        normalise_phone(raw)


def test_local_and_msisdn_forms():
    assert local_form("+8801911234567") == "01911234567"
    assert msisdn_form("+8801911234567") == "8801911234567"
