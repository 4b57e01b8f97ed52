"""The 22-character certificate number (人社鉴发〔2019〕2号, domain.md §5)."""

import pytest

from lib.numbering import (
    LEVEL_WORDING,
    CertificateNumber,
    NumberError,
    format_number,
    normalise_number,
    parse_number,
    validate_number,
)

EXAMPLE = "Y000044001234263000017"  # Y + 0000 + 44 + 001234 + 26 + 3 + 000017
EXPECTED = {
    "level": 3,
    "year": 2026,
    "org_sequence": "001234",
    "type_letter": "Y",
    "ministry_code": "0000",
    "province_code": "44",
}
PARTS = {
    "type_letter": "Y",
    "ministry_code": "0000",
    "province_code": "44",
    "org_sequence": "001234",
    "year": 2026,
    "level": 3,
    "serial": 17,
}
# Positions as the rule counts them (1-based) → the span each message must name.
SPANS = {1: "第 1 位", **dict.fromkeys(range(2, 6), "第 2–5 位"), **dict.fromkeys(range(6, 8), "第 6–7 位")}
SPANS |= {**dict.fromkeys(range(8, 14), "第 8–13 位"), **dict.fromkeys(range(14, 16), "第 14–15 位"), 16: "第 16 位"}
SPANS |= dict.fromkeys(range(17, 23), "第 17–22 位")
SERIAL_POSITIONS = range(17, 23)
REPLACEMENTS = "0123456789YSysAOX- 　３"


def _replace(text, position, char):
    return text[: position - 1] + char + text[position:]


def test_the_example_number_parses_into_its_parts():
    number = parse_number(EXAMPLE)

    assert number == CertificateNumber(**PARTS)
    assert number.level_wording == "三级/高级工"


def test_the_example_number_round_trips_through_format_number():
    assert format_number(**PARTS) == EXAMPLE
    assert parse_number(EXAMPLE).text == EXAMPLE
    assert str(parse_number(EXAMPLE)) == EXAMPLE


def test_format_number_pads_the_serial_and_keeps_only_the_last_two_digits_of_the_year():
    text = format_number(**(PARTS | {"type_letter": "S", "year": 2030, "level": 5, "serial": 1}))

    assert text == "S000044001234305000001"


@pytest.mark.parametrize(
    ("part", "value"),
    [
        ("type_letter", "X"),
        ("type_letter", "y"),
        ("ministry_code", "000"),
        ("ministry_code", "00A0"),
        ("province_code", "4"),
        ("org_sequence", "1234567"),
        ("org_sequence", "００１２３４"),
        ("year", 1999),
        ("year", 2100),
        ("year", 26),
        ("level", 0),
        ("level", 6),
        ("level", True),
        ("serial", 0),
        ("serial", 1_000_000),
        ("serial", "17"),
    ],
)
def test_format_number_rejects_a_part_out_of_range(part, value):
    with pytest.raises(ValueError, match=r"[\u4e00-\u9fff]"):
        format_number(**(PARTS | {part: value}))


def test_a_certificate_number_cannot_be_built_from_invalid_parts():
    with pytest.raises(NumberError):
        CertificateNumber(**(PARTS | {"serial": 0}))


def test_the_example_number_with_its_expected_parts_is_valid():
    assert validate_number(EXAMPLE, **EXPECTED) == []


def test_it_rejects_every_single_character_change_that_breaks_a_rule_and_names_where():
    checked = 0
    for position in range(1, 23):
        for char in REPLACEMENTS:
            if char == EXAMPLE[position - 1]:
                continue
            if position in SERIAL_POSITIONS and char.isascii() and char.isdigit():
                continue  # a different serial is a different, well-formed number: see the next test
            mutated = _replace(EXAMPLE, position, char)

            problems = validate_number(mutated, **EXPECTED)

            assert problems, mutated
            assert any(SPANS[position] in problem for problem in problems), (mutated, problems)
            if validate_number(mutated):
                with pytest.raises(NumberError):
                    parse_number(mutated)
            else:
                # Well formed (another letter or digit): only the expected parts reject it.
                parse_number(mutated)
            checked += 1
    assert checked > 22 * 15


def test_changing_one_serial_digit_to_another_digit_still_gives_a_well_formed_number():
    # The serial is the only part with nothing to compare against: the organisation assigns it.
    # A typo there is a different certificate's number, which only the register can catch.
    for position in SERIAL_POSITIONS:
        for char in "0123456789":
            if char == EXAMPLE[position - 1]:
                continue
            mutated = _replace(EXAMPLE, position, char)

            assert validate_number(mutated, **EXPECTED) == [], mutated
            assert parse_number(mutated).serial != 17


def test_it_rejects_a_number_whose_level_digit_differs_from_the_certificate_level():
    problems = validate_number(EXAMPLE, **(EXPECTED | {"level": 4}))

    assert problems == ["证书编号中的等级代码（第 16 位）为 3，与证书等级（四级）不一致，请核对证书等级或证书编号"]


def test_it_rejects_a_number_from_another_issue_year():
    problems = validate_number(EXAMPLE, year=2025)

    assert len(problems) == 1
    assert "第 14–15 位" in problems[0]
    assert "2025" in problems[0]


def test_it_rejects_a_level_digit_outside_one_to_five_with_its_position():
    problems = validate_number(_replace(EXAMPLE, 16, "6"))

    assert problems == ["证书编号第 16 位为等级代码，应为 1–5，现为“6”"]


def test_without_expected_parts_only_the_structure_is_checked():
    other_organisation = "S000145999999251000001"

    assert validate_number(other_organisation) == []
    assert validate_number(other_organisation, **EXPECTED) != []


def test_a_ministry_code_change_is_caught_only_when_the_expected_code_is_given():
    mutated = _replace(EXAMPLE, 5, "1")

    assert validate_number(mutated, **(EXPECTED | {"ministry_code": None})) == []
    assert validate_number(mutated, **EXPECTED) == [
        "证书编号第 2–5 位部级机构代码为 0001，与本机构备案的 0000 不一致，请核对证书编号"
    ]


def test_a_lower_case_type_letter_is_rejected_with_advice_to_use_upper_case():
    problems = validate_number("y" + EXAMPLE[1:])

    assert len(problems) == 1
    assert "第 1 位" in problems[0]
    assert "大写" in problems[0]


def test_one_wrong_character_yields_one_message_even_with_expected_parts():
    problems = validate_number(_replace(EXAMPLE, 9, "A"), **EXPECTED)

    assert problems == ["证书编号第 8–13 位为省级机构序号，应为 6 位数字；第 9 位“A”不是数字"]


def test_every_broken_position_is_reported():
    problems = validate_number("X00A044001234263000017")

    assert len(problems) == 2
    assert "第 1 位" in problems[0]
    assert "第 4 位“A”" in problems[1]


@pytest.mark.parametrize("text", [EXAMPLE[:-1], EXAMPLE + "8", EXAMPLE[:10]])
def test_it_rejects_a_number_of_the_wrong_length(text):
    problems = validate_number(text, **EXPECTED)

    assert problems == [f"证书编号应为 22 位，现为 {len(text)} 位，请核对是否多填或漏填"]
    with pytest.raises(NumberError, match="应为 22 位"):
        parse_number(text)


def test_it_asks_for_a_number_when_none_is_given():
    assert validate_number("") == ["请填写证书编号（22 位）"]


def test_it_rejects_serial_000000():
    zero = EXAMPLE[:16] + "000000"

    assert validate_number(zero, **EXPECTED) == ["证书编号第 17–22 位为顺序号，应从 000001 起编，不能为 000000"]
    with pytest.raises(NumberError, match="000001"):
        parse_number(zero)


def test_parse_number_is_strict_and_does_not_normalise():
    with pytest.raises(NumberError):
        parse_number(" " + EXAMPLE)
    with pytest.raises(NumberError):
        parse_number(EXAMPLE.lower())


def test_parse_number_error_lists_every_problem_and_joins_them_into_the_message():
    with pytest.raises(NumberError) as caught:
        parse_number("X00A044001234260000017")

    assert len(caught.value.problems) == 3
    assert caught.value.message == "；".join(caught.value.problems)
    assert "第 16 位为等级代码，应为 1–5" in caught.value.message


def test_full_width_input_is_normalised_to_ascii():
    full_width = "ｙ０００　０４４ ００１２３４\u200b２６３ ０００\t０１７\n"

    assert normalise_number(full_width) == EXAMPLE
    assert validate_number(normalise_number(full_width), **EXPECTED) == []


def test_normalising_a_clean_number_changes_nothing():
    assert normalise_number(EXAMPLE) == EXAMPLE


def test_level_wording_is_the_certificate_wording_for_all_five_levels():
    assert LEVEL_WORDING == {
        5: "五级/初级工",
        4: "四级/中级工",
        3: "三级/高级工",
        2: "二级/技师",
        1: "一级/高级技师",
    }
