"""The 22-character certificate number (证书编号编码规则, 人社鉴发〔2019〕2号). Pure, no Django models.

Layout, positions counted from 1 as the rule and clerks count them::

    Y 0000 44 001234 26 3 000017
    1 2–5  6–7 8–13  14–15 16 17–22

1 type letter (``Y`` employer evaluating its staff, ``S`` social training/evaluation organisation);
2–5 ministry organisation code (``0000`` when filed with a province); 6–7 province code (Guangdong
``44``); 8–13 organisation sequence assigned by the province; 14–15 issue year; 16 level digit 1–5;
17–22 serial assigned by the organisation, unique per organisation, year and level, from ``000001``.

``parse_number`` and ``validate_number`` are strict: they judge the text exactly as given, so a
caller holding user input runs ``normalise_number`` first (full-width digits, spaces, lower case).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

NUMBER_LENGTH = 22
TYPE_LETTERS = ("Y", "S")
LEVELS = (1, 2, 3, 4, 5)
MIN_YEAR, MAX_YEAR = 2000, 2099
MIN_SERIAL, MAX_SERIAL = 1, 999_999

# The certificate's own wording (人社鉴发〔2021〕1号): printed text, not interface text, so not translated.
LEVEL_WORDING: dict[int, str] = {
    5: "五级/初级工",
    4: "四级/中级工",
    3: "三级/高级工",
    2: "二级/技师",
    1: "一级/高级技师",
}

_ASCII_DIGITS = frozenset("0123456789")


class NumberError(ValueError):
    """A certificate number or one of its parts is invalid; ``message`` is for the clerk."""

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems: tuple[str, ...] = tuple(problems or [message])


@dataclass(frozen=True)
class _Segment:
    name: str
    start: int  # 1-based, inclusive
    end: int  # 1-based, inclusive
    label: str  # marked with gettext_noop, translated when a message is built

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    @property
    def span(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}–{self.end}"

    def cut(self, text: str) -> str:
        return text[self.start - 1 : self.end]


_TYPE = _Segment("type_letter", 1, 1, gettext_noop("类别代码"))
_MINISTRY = _Segment("ministry_code", 2, 5, gettext_noop("部级机构代码"))
_PROVINCE = _Segment("province_code", 6, 7, gettext_noop("省份代码"))
_ORG = _Segment("org_sequence", 8, 13, gettext_noop("省级机构序号"))
_YEAR = _Segment("year", 14, 15, gettext_noop("发证年份"))
_LEVEL = _Segment("level", 16, 16, gettext_noop("等级代码"))
_SERIAL = _Segment("serial", 17, 22, gettext_noop("顺序号"))
_DIGIT_SEGMENTS = (_MINISTRY, _PROVINCE, _ORG, _YEAR, _SERIAL)


@dataclass(frozen=True)
class CertificateNumber:
    type_letter: str
    ministry_code: str
    province_code: str
    org_sequence: str
    year: int  # four digits; the number carries only the last two
    level: int
    serial: int

    def __post_init__(self) -> None:
        # A number object that cannot be printed must not exist.
        _format_parts(self)

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        return _format_parts(self)

    @property
    def level_wording(self) -> str:
        return LEVEL_WORDING[self.level]


# --- Building -------------------------------------------------------------------------------


def format_number(
    *,
    type_letter: str,
    ministry_code: str,
    province_code: str,
    org_sequence: str,
    year: int,
    level: int,
    serial: int,
) -> str:
    """Assemble the 22 characters; raise ``NumberError`` (a ``ValueError``) for any part out of range."""
    problems = [
        *_check_type_letter_part(type_letter),
        *_check_code_part(ministry_code, _MINISTRY),
        *_check_code_part(province_code, _PROVINCE),
        *_check_code_part(org_sequence, _ORG),
        *_check_int_part(year, MIN_YEAR, MAX_YEAR, _("发证年份应为 %(low)d–%(high)d 之间的四位年份")),
        *_check_int_part(level, LEVELS[0], LEVELS[-1], _("证书等级应为 %(low)d–%(high)d")),
        *_check_int_part(serial, MIN_SERIAL, MAX_SERIAL, _("顺序号应为 %(low)d–%(high)d")),
    ]
    if problems:
        raise NumberError("；".join(problems), problems=problems)
    return f"{type_letter}{ministry_code}{province_code}{org_sequence}{year % 100:02d}{level}{serial:06d}"


def _format_parts(number: CertificateNumber) -> str:
    return format_number(
        type_letter=number.type_letter,
        ministry_code=number.ministry_code,
        province_code=number.province_code,
        org_sequence=number.org_sequence,
        year=number.year,
        level=number.level,
        serial=number.serial,
    )


def _check_type_letter_part(value: object) -> list[str]:
    if value in TYPE_LETTERS:
        return []
    return [_("证书编号类别应为 Y（用人单位）或 S（社会培训评价组织）")]


def _check_code_part(value: object, segment: _Segment) -> list[str]:
    if isinstance(value, str) and len(value) == segment.length and set(value) <= _ASCII_DIGITS:
        return []
    return [_("%(label)s应为 %(length)d 位数字") % {"label": _(segment.label), "length": segment.length}]


def _check_int_part(value: object, low: int, high: int, message: str) -> list[str]:
    # bool is an int subclass; True as a level is a bug, not level 1.
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return []
    return [message % {"low": low, "high": high}]


# --- Reading --------------------------------------------------------------------------------


def normalise_number(text: str) -> str:
    """Undo what copying from Word, Excel or a Chinese input method does to a number.

    NFKC turns full-width letters and digits into ASCII; every whitespace character (including the
    ideographic space U+3000) and invisible format character (zero-width space, BOM) is removed; the
    result is upper case.
    """
    folded = unicodedata.normalize("NFKC", text)
    kept = (ch for ch in folded if not ch.isspace() and unicodedata.category(ch) != "Cf")
    return "".join(kept).upper()


def parse_number(text: str) -> CertificateNumber:
    """Split an already-normalised number into its parts; ``NumberError`` names every broken position."""
    problems = _structural_problems(text)
    if problems:
        raise NumberError("；".join(problems), problems=problems)
    return CertificateNumber(
        type_letter=_TYPE.cut(text),
        ministry_code=_MINISTRY.cut(text),
        province_code=_PROVINCE.cut(text),
        org_sequence=_ORG.cut(text),
        year=2000 + int(_YEAR.cut(text)),
        level=int(_LEVEL.cut(text)),
        serial=int(_SERIAL.cut(text)),
    )


def validate_number(
    text: str,
    *,
    level: int | None = None,
    year: int | None = None,
    org_sequence: str | None = None,
    type_letter: str | None = None,
    ministry_code: str | None = None,
    province_code: str | None = None,
) -> list[str]:
    """Every problem with ``text`` as a clerk-readable message; ``[]`` when it is acceptable.

    The keyword arguments are what this certificate and its organisation require; a part is compared
    only when it is given and only when that part of the number is well formed, so one wrong
    character yields one message. ``year`` is the four-digit issue year.
    """
    problems = _structural_problems(text)
    if not isinstance(text, str) or len(text) != NUMBER_LENGTH:
        return problems
    broken = {segment for segment in (_TYPE, *_DIGIT_SEGMENTS, _LEVEL) if _segment_is_broken(text, segment)}
    # Position order, so the messages read left to right along the number.
    for segment, expected in (
        (_TYPE, type_letter),
        (_MINISTRY, ministry_code),
        (_PROVINCE, province_code),
        (_ORG, org_sequence),
    ):
        if expected is not None and segment not in broken:
            problems += _part_mismatch(text, segment, expected)
    if year is not None and _YEAR not in broken:
        problems += _year_mismatch(text, year)
    if level is not None and _LEVEL not in broken:
        problems += _level_mismatch(text, level)
    return problems


# --- Structural checks ----------------------------------------------------------------------


def _structural_problems(text: str) -> list[str]:
    if not isinstance(text, str) or not text:
        return [_("请填写证书编号（22 位）")]
    if len(text) != NUMBER_LENGTH:
        # Positions mean nothing once a character is missing or extra, so only the length is reported.
        return [
            _("证书编号应为 22 位，现为 %(length)d 位，请核对是否多填或漏填") % {"length": len(text)},
        ]
    problems = _type_letter_problems(text)
    for segment in (_MINISTRY, _PROVINCE, _ORG, _YEAR):
        problems += _digit_problems(text, segment)
    problems += _level_problems(text)
    problems += _digit_problems(text, _SERIAL)
    if not _digit_problems(text, _SERIAL) and _SERIAL.cut(text) == "0" * _SERIAL.length:
        problems.append(_("证书编号第 17–22 位为顺序号，应从 000001 起编，不能为 000000"))
    return problems


def _segment_is_broken(text: str, segment: _Segment) -> bool:
    if segment is _TYPE:
        return bool(_type_letter_problems(text))
    if segment is _LEVEL:
        return bool(_level_problems(text))
    return bool(_digit_problems(text, segment))


def _type_letter_problems(text: str) -> list[str]:
    letter = _TYPE.cut(text)
    if letter in TYPE_LETTERS:
        return []
    if letter in ("y", "s"):
        return [
            _("证书编号第 1 位为类别代码，应为大写字母 Y 或 S，现为小写“%(char)s”，请改为大写") % {"char": letter},
        ]
    return [
        _("证书编号第 1 位为类别代码，应为 Y（用人单位）或 S（社会培训评价组织），现为%(char)s")
        % {"char": _show(letter)},
    ]


def _digit_problems(text: str, segment: _Segment) -> list[str]:
    part = segment.cut(text)
    bad = [
        _("第 %(position)d 位%(char)s") % {"position": segment.start + offset, "char": _show(ch)}
        for offset, ch in enumerate(part)
        if ch not in _ASCII_DIGITS
    ]
    if not bad:
        return []
    return [
        _("证书编号第 %(span)s 位为%(label)s，应为 %(length)d 位数字；%(bad)s不是数字")
        % {"span": segment.span, "label": _(segment.label), "length": segment.length, "bad": "、".join(bad)},
    ]


def _level_problems(text: str) -> list[str]:
    digit = _LEVEL.cut(text)
    if digit in {str(level) for level in LEVELS}:
        return []
    return [_("证书编号第 16 位为等级代码，应为 1–5，现为%(char)s") % {"char": _show(digit)}]


def _show(ch: str) -> str:
    # A bare space between quotes is invisible on a form; name it instead.
    if ch.isspace():
        return _("空格")
    return f"“{ch}”"


# --- Comparisons with what the certificate requires ------------------------------------------


def _level_mismatch(text: str, level: int) -> list[str]:
    if level not in LEVEL_WORDING:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    digit = _LEVEL.cut(text)
    if digit == str(level):
        return []
    return [
        _("证书编号中的等级代码（第 16 位）为 %(digit)s，与证书等级（%(level)s）不一致，请核对证书等级或证书编号")
        % {"digit": digit, "level": LEVEL_WORDING[level].split("/")[0]},
    ]


def _year_mismatch(text: str, year: int) -> list[str]:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"year must be a four-digit year {MIN_YEAR}–{MAX_YEAR}, got {year!r}")
    digits = _YEAR.cut(text)
    if digits == f"{year % 100:02d}":
        return []
    return [
        _("证书编号第 14–15 位发证年份为 %(digits)s，与发证日期所在的 %(year)d 年不一致，请核对发证日期或证书编号")
        % {"digits": digits, "year": year},
    ]


def _part_mismatch(text: str, segment: _Segment, expected: str) -> list[str]:
    actual = segment.cut(text)
    if actual == expected:
        return []
    return [
        _("证书编号第 %(span)s 位%(label)s为 %(actual)s，与本机构备案的 %(expected)s 不一致，请核对证书编号")
        % {"span": segment.span, "label": _(segment.label), "actual": actual, "expected": expected},
    ]
