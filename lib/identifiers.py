"""Check characters of Chinese identifiers. Pure functions, no Django models.

- 统一社会信用代码 (GB 32100-2015): 18 characters from ``0-9A-HJ-NPQRTUWXY``.
- 居民身份证号码 (GB 11643-1999): 17 digits and a check character ``0-9`` or ``X``.

Each ``check_*`` returns ``None`` when valid or a Chinese message a clerk can act on; the
Django validators raise ``ValidationError`` with that message.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# --- 统一社会信用代码 --------------------------------------------------------------------
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUE = {ch: i for i, ch in enumerate(CREDIT_CODE_ALPHABET)}
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")


def credit_code_check_char(first17: str) -> str:
    total = sum(_CREDIT_VALUE[ch] * w for ch, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    value = 31 - total % 31
    return CREDIT_CODE_ALPHABET[0 if value == 31 else value]


def check_credit_code(code: str) -> str | None:
    if not isinstance(code, str) or len(code) != 18:
        return _("统一社会信用代码应为 18 位")
    if not _CREDIT_RE.match(code):
        return _("统一社会信用代码只能包含数字和大写字母（不含 I、O、Z、S、V）")
    if credit_code_check_char(code[:17]) != code[17]:
        return _("统一社会信用代码校验位错误，请核对营业执照")
    return None


def validate_credit_code(value: str) -> None:
    message = check_credit_code(value)
    if message:
        raise ValidationError(message, code="credit_code")


# --- 居民身份证号码 ----------------------------------------------------------------------
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_CHINA_TZ = dt.timezone(dt.timedelta(hours=8))


def id_number_check_char(first17: str) -> str:
    total = sum(int(ch) * w for ch, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number_birth_date(number: str) -> dt.date | None:
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def check_id_number(number: str, *, today: dt.date | None = None) -> str | None:
    if not isinstance(number, str) or len(number) != 18:
        return _("身份证号码应为 18 位")
    if not _ID_RE.match(number):
        return _("身份证号码前 17 位应为数字，最后一位为数字或大写 X")
    birth = id_number_birth_date(number)
    if birth is None:
        return _("身份证号码中的出生日期不存在")
    today = today or dt.datetime.now(_CHINA_TZ).date()
    if birth > today or birth.year < 1900:
        return _("身份证号码中的出生日期不合理")
    if id_number_check_char(number[:17]) != number[17]:
        return _("身份证号码校验位错误，请核对后重新输入")
    return None


def id_number_sex(number: str) -> str:
    """GB/T 2261.1 code: ``1`` male, ``2`` female (17th digit odd = male)."""
    return "1" if int(number[16]) % 2 else "2"


def mask_id_number(number: str) -> str:
    """``441900199001011234`` → ``441900********1234``; short values keep only the last 2."""
    if not number:
        return ""
    if len(number) >= 12:
        return number[:6] + "*" * (len(number) - 10) + number[-4:]
    return "*" * max(len(number) - 2, 0) + number[-2:]


def mask_name(name: str) -> str:
    """``张三丰`` → ``张*丰``; ``张三`` → ``张*``; one character stays as is."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# --- passwords ---------------------------------------------------------------------------
