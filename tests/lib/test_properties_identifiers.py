"""Properties of the identifier checks (issue 9): 居民身份证号码 (GB 11643-1999), 统一社会信用代码
(GB 32100-2015) and the 22-character certificate number.

The check characters are computed here again from the standards' own definitions (weights as
powers of 2 mod 11 and of 3 mod 31), so the properties test the code against the standard rather
than against itself. Runs are derandomized: CI sees the same examples every time.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from lib import numbering
from lib.identifiers import (
    CREDIT_CODE_ALPHABET,
    check_credit_code,
    check_id_number,
    credit_code_check_char,
    id_number_check_char,
)

PROPERTIES = settings(
    max_examples=300, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
TODAY = dt.date(2026, 11, 25)
DIGITS = "0123456789"
# Mostly characters the format allows, so the check characters and comparisons are what refuses.
id_characters = st.one_of(st.sampled_from(DIGITS + "X"), st.characters(codec="utf-8"))
credit_characters = st.one_of(st.sampled_from(CREDIT_CODE_ALPHABET), st.characters(codec="utf-8"))
number_characters = st.one_of(st.sampled_from(DIGITS + "YS"), st.characters(codec="utf-8"))


# --- 居民身份证号码, GB 11643-1999 ----------------------------------------------------------------
def gb11643_check_char(body: str) -> str:
    """ISO 7064 MOD 11-2 as GB 11643 states it: weight of position i (1–17) is 2^(18-i) mod 11."""
    total = sum(int(digit) * pow(2, 17 - index, 11) for index, digit in enumerate(body))
    return "0123456789X"[(12 - total % 11) % 11]


regions = st.integers(min_value=110000, max_value=829999).map(str)
births = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999).map(lambda n: f"{n:03d}")


@st.composite
def id_numbers(draw) -> str:
    body = draw(regions) + draw(births).strftime("%Y%m%d") + draw(sequences)
    return body + gb11643_check_char(body)


@PROPERTIES
@given(id_numbers())
def test_an_id_number_built_from_region_birth_date_and_sequence_is_valid(number):
    assert id_number_check_char(number[:17]) == number[17]
    assert check_id_number(number, today=TODAY) is None


@PROPERTIES
@given(id_numbers(), st.integers(min_value=0, max_value=17), id_characters)
def test_any_single_character_change_of_a_valid_id_number_is_refused(number, position, replacement):
    changed = number[:position] + replacement + number[position + 1 :]
    if changed == number:
        return
    assert check_id_number(changed, today=TODAY) is not None


@st.composite
def impossible_dates(draw) -> str:
    """YYYYMMDD with a month or day that no calendar has: 00, 13–99, 30 February, 29 February 1900…"""
    year = draw(st.integers(min_value=1900, max_value=2025))
    month = draw(st.integers(min_value=0, max_value=99))
    day = draw(st.integers(min_value=0, max_value=99))
    try:
        dt.date(year, month, day)
    except ValueError:
        return f"{year:04d}{month:02d}{day:02d}"
    assume(False)
    return ""


@PROPERTIES
@given(regions, impossible_dates(), sequences)
@example("441900", "19000229", "001")  # 1900 is not a leap year
@example("441900", "20230229", "001")
@example("441900", "20240431", "001")
def test_an_id_number_whose_birth_date_does_not_exist_is_refused_even_with_a_correct_check_character(
    region, date, sequence
):
    body = region + date + sequence
    assert check_id_number(body + gb11643_check_char(body), today=TODAY) == "身份证号码中的出生日期不存在"


@PROPERTIES
@given(regions, st.dates(min_value=TODAY + dt.timedelta(days=1), max_value=dt.date(2099, 12, 31)), sequences)
def test_an_id_number_born_after_today_is_refused(region, birth, sequence):
    body = region + birth.strftime("%Y%m%d") + sequence
    assert check_id_number(body + gb11643_check_char(body), today=TODAY) == "身份证号码中的出生日期不合理"


# --- 统一社会信用代码, GB 32100-2015 ----------------------------------------------------------------
def gb32100_check_char(body: str) -> str:
    """C18 = 31 − (Σ Ci·Wi mod 31), Wi = 3^(i−1) mod 31; 31 is written as 0."""
    total = sum(CREDIT_CODE_ALPHABET.index(ch) * pow(3, index, 31) for index, ch in enumerate(body))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


@st.composite
def credit_codes(draw) -> str:
    body = "".join(draw(st.lists(st.sampled_from(CREDIT_CODE_ALPHABET), min_size=17, max_size=17)))
    return body + gb32100_check_char(body)


@PROPERTIES
@given(credit_codes())
def test_a_credit_code_with_its_gb_32100_check_character_is_valid(code):
    assert credit_code_check_char(code[:17]) == code[17]
    assert check_credit_code(code) is None


@PROPERTIES
@given(credit_codes(), st.integers(min_value=0, max_value=17), credit_characters)
def test_any_single_character_change_of_a_valid_credit_code_is_refused(code, position, replacement):
    changed = code[:position] + replacement + code[position + 1 :]
    if changed == code:
        return
    assert check_credit_code(changed) is not None


@PROPERTIES
@given(credit_codes(), st.sampled_from("IOZSV"), st.integers(min_value=0, max_value=17))
def test_the_letters_gb_32100_leaves_out_are_refused_anywhere(code, letter, position):
    assert check_credit_code(code[:position] + letter + code[position + 1 :]) is not None


# --- the certificate number -----------------------------------------------------------------------
parts = st.fixed_dictionaries(
    {
        "type_letter": st.sampled_from(numbering.TYPE_LETTERS),
        "ministry_code": st.text(DIGITS, min_size=4, max_size=4),
        "province_code": st.text(DIGITS, min_size=2, max_size=2),
        "org_sequence": st.text(DIGITS, min_size=6, max_size=6),
        "year": st.integers(min_value=numbering.MIN_YEAR, max_value=numbering.MAX_YEAR),
        "level": st.sampled_from(numbering.LEVELS),
        "serial": st.integers(min_value=numbering.MIN_SERIAL, max_value=numbering.MAX_SERIAL),
    }
)


def required(fields: dict) -> dict:
    """What validate_number can compare: every part the certificate and its organisation fix."""
    return {name: value for name, value in fields.items() if name != "serial"}


@PROPERTIES
@given(parts)
def test_a_formatted_number_parses_back_to_its_parts_and_validates(fields):
    text = numbering.format_number(**fields)

    assert len(text) == numbering.NUMBER_LENGTH
    assert numbering.parse_number(text) == numbering.CertificateNumber(**fields)
    assert numbering.validate_number(text, **required(fields)) == []
    assert numbering.normalise_number(text) == text


@PROPERTIES
@given(parts, number_characters)
def test_any_change_of_the_level_digit_is_refused(fields, replacement):
    text = numbering.format_number(**fields)
    changed = text[:15] + replacement + text[16:]
    if changed == text:
        return
    assert numbering.validate_number(changed, **required(fields))


@PROPERTIES
@given(parts, st.integers(min_value=0, max_value=22), number_characters, st.booleans())
def test_a_number_one_character_longer_or_shorter_is_refused(fields, position, extra, insert):
    text = numbering.format_number(**fields)
    if insert:
        changed = text[:position] + extra + text[position:]
    else:
        position = min(position, numbering.NUMBER_LENGTH - 1)
        changed = text[:position] + text[position + 1 :]

    assert len(changed) != numbering.NUMBER_LENGTH
    assert numbering.validate_number(changed) == [f"证书编号应为 22 位，现为 {len(changed)} 位，请核对是否多填或漏填"]
