"""Numbers as a Chinese input method types them (full-width digits, 。 and ． as decimal points)."""

import pytest

from lib.halfwidth import normalize_number


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("７６．５", "76.5"),
        ("76。5", "76.5"),
        ("76．5", "76.5"),
        ("７６｡５", "76.5"),
        ("　８０　", "80"),
        ("1 00", "100"),
        ("76.5", "76.5"),
        ("１００", "100"),
        ("－５", "-5"),
        ("", ""),
        (None, ""),
        (80, "80"),
    ],
)
def test_full_width_digits_and_chinese_decimal_points_become_ascii(typed, plain):
    assert normalize_number(typed) == plain


def test_what_is_not_a_number_stays_as_typed_and_a_comma_is_not_a_decimal_point():
    assert normalize_number("七十六") == "七十六"
    assert normalize_number("76，5") == "76,5"
    assert normalize_number("abc") == "abc"
