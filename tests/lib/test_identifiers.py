"""Check characters of 统一社会信用代码 (GB 32100) and 居民身份证号码 (GB 11643)."""

import datetime as dt

import pytest

from lib.identifiers import (
    CREDIT_CODE_ALPHABET,
    check_credit_code,
    check_id_number,
    id_number_check_char,
    id_number_sex,
    mask_id_number,
    mask_name,
)

# Published codes of real companies (Huawei, Tencent, Xiaomi, Alibaba).
REAL_CREDIT_CODES = ["914403001922038216", "91440300708461136T", "91110108551385082Q", "91330100799655058B"]


@pytest.mark.parametrize("code", REAL_CREDIT_CODES)
def test_real_credit_codes_pass(code):
    assert check_credit_code(code) is None


@pytest.mark.parametrize("code", REAL_CREDIT_CODES)
def test_every_single_character_change_of_a_real_credit_code_is_rejected(code):
    candidates = CREDIT_CODE_ALPHABET + "IOZSVabcxyz-* "
    changed = 0
    for position in range(18):
        for ch in candidates:
            if ch == code[position]:
                continue
            mutated = code[:position] + ch + code[position + 1 :]
            assert check_credit_code(mutated) is not None, mutated
            changed += 1
    assert changed == 18 * (len(candidates) - 1)


@pytest.mark.parametrize("letter", "IOZSV")
def test_letters_outside_the_gb32100_alphabet_are_rejected(letter):
    code = "91440300708461136" + letter
    assert "不含 I、O、Z、S、V" in check_credit_code(code)


def test_lowercase_is_rejected():
    assert check_credit_code("91440300708461136t") is not None
    assert check_credit_code("91110108551385082q") is not None


def test_wrong_length_is_rejected_with_a_clear_message():
    assert check_credit_code("9144030070846113") == "统一社会信用代码应为 18 位"
    assert check_credit_code("") == "统一社会信用代码应为 18 位"


def _id(body17: str) -> str:
    return body17 + id_number_check_char(body17)


def test_a_valid_id_number_passes_and_the_check_character_x_works():
    # 11010519491231002X is the example printed in GB 11643 itself
    assert check_id_number("11010519491231002X") is None
    assert check_id_number(_id("44190019900101123")) is None


def test_id_number_rejects_a_wrong_check_character_and_lowercase_x():
    assert "校验位错误" in check_id_number("110105194912310021")
    assert check_id_number("11010519491231002x") is not None


def test_id_number_rejects_impossible_and_future_birth_dates():
    assert "出生日期不存在" in check_id_number(_id("44190019900230123"))
    assert "不合理" in check_id_number(_id("44190020990101123"), today=dt.date(2026, 11, 25))


def test_every_single_digit_change_of_an_id_number_is_rejected():
    number = _id("44190019851224201")
    for position in range(17):
        for digit in "0123456789":
            if digit != number[position]:
                mutated = number[:position] + digit + number[position + 1 :]
                assert check_id_number(mutated) is not None, mutated


def test_sex_comes_from_the_17th_digit():
    assert id_number_sex(_id("44190019900101123")) == "1"
    assert id_number_sex(_id("44190019900101124")) == "2"


def test_masking():
    assert mask_id_number("441900199001011234") == "441900********1234"
    assert mask_name("张三丰") == "张*丰"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧**娜"
    assert mask_name("𠮷野家") == "𠮷*家"
