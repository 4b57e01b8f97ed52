"""Columns, rows and cell parsers: what one cell of an uploaded table may hold and what it becomes.

Empty cells parse to ``""`` in text, id_number and choice columns and to ``None`` otherwise.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from openpyxl.utils.datetime import from_excel

KINDS = frozenset({"text", "id_number", "date", "decimal", "int", "bool", "choice"})
_STRING_KINDS = frozenset({"text", "id_number", "choice"})


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = True
    kind: str = "text"
    choices: dict[str, str] | None = None
    max_length: int | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    decimals: int | None = None
    help: str = ""
    example: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Unknown column kind {self.kind!r} for {self.key!r}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"Choice column {self.key!r} needs choices")


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.row <= 0:
            return self.message
        if not self.column:
            return _("第 %(row)s 行：%(message)s") % {"row": self.row, "message": self.message}
        return _("第 %(row)s 行「%(column)s」：%(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class ParsedTable:
    rows: list[tuple[int, dict]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def add_error(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row=row, column=column, message=message))

    @property
    def ok(self) -> bool:
        return not self.errors


class CellError(Exception):
    """A cell's value cannot be accepted; the message tells the clerk what to do."""


class FileError(Exception):
    """The file as a whole cannot be read; nothing row-level is worth reporting."""


# --- text ---------------------------------------------------------------------------------
_WHITESPACE_RE = re.compile(r"\s+")
# Copied from web pages and chat apps; invisible, but they break matching and IDs.
_INVISIBLE_RE = re.compile("[\u200b-\u200d\u2060\ufeff]")


def normalise_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        value = _float_text(value)
    elif isinstance(value, dt.datetime):
        value = value.strftime("%Y-%m-%d") if value.time() == dt.time() else value.strftime("%Y-%m-%d %H:%M")
    elif isinstance(value, dt.date):
        value = value.isoformat()
    text = _INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", str(value)))
    return _WHITESPACE_RE.sub(" ", text).strip()


def _float_text(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    # Excel shows 15 significant digits; beyond that a float only carries binary noise.
    return format(value, ".15g")


def _text(value: Any) -> str:
    """Cells reach the parsers with strings already normalised; other values still need it."""
    return value if isinstance(value, str) else normalise_text(value)


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# --- cell parsers -------------------------------------------------------------------------
def _check_length(column: Column, text: str) -> str:
    if column.max_length is not None and len(text) > column.max_length:
        raise CellError(
            _("不能超过 %(max)s 个字（现有 %(count)s 个），请删减") % {"max": column.max_length, "count": len(text)}
        )
    return text


def _parse_text(column: Column, raw: Any) -> str:
    return _check_length(column, _text(raw))


_SCIENTIFIC_RE = re.compile(r"^\d+(\.\d+)?E\+?\d+$")
_TEXT_FORMULA_RE = re.compile(r'^="(.*)"$')


def _id_stored_as_number() -> CellError:
    return CellError(_("证件号码被 Excel 存成了数字，末位或 X 可能已丢失，请把该列设为“文本”后重新填写"))


def _parse_id_number(column: Column, raw: Any) -> str:
    if isinstance(raw, float) or (isinstance(raw, int) and len(str(abs(raw))) >= 15):
        raise _id_stored_as_number()
    text = _TEXT_FORMULA_RE.sub(r"\1", _text(raw).upper())
    text = _WHITESPACE_RE.sub("", text).lstrip("'")
    if _SCIENTIFIC_RE.match(text):  # a CSV saved by Excel keeps what the cell showed: 4.41900E+17
        raise _id_stored_as_number()
    return _check_length(column, text)


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_TIME_SUFFIX_RE = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_SERIAL_MIN, _SERIAL_MAX = 1, 73415  # 1900-01-01 .. 2100-12-31 in Excel's 1900 date system


def _unrecognised_date() -> CellError:
    return CellError(_("日期格式无法识别，请填写为 2026-11-25 的形式"))


def _make_date(year: str, month: str, day: str) -> dt.date:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise CellError(_("日期不存在，请核对年、月、日")) from None


def _date_from_number(number: float) -> dt.date:
    if isinstance(number, float) and number.is_integer():
        number = int(number)
    if isinstance(number, int) and 19000101 <= number <= 21001231:
        text = str(number)
        return _make_date(text[:4], text[4:6], text[6:])
    if not (_SERIAL_MIN <= number < _SERIAL_MAX + 1):
        raise _unrecognised_date()
    value = from_excel(number)
    return value.date() if isinstance(value, dt.datetime) else value


def _parse_date(column: Column, raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, bool):
        raise _unrecognised_date()
    if isinstance(raw, int | float):
        return _date_from_number(raw)
    text = _TIME_SUFFIX_RE.sub("", _text(raw)).strip()
    if re.fullmatch(r"\d{5}", text):  # a serial number that lost its date format on the way
        return _date_from_number(int(text))
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            return _make_date(*match.groups())
    raise _unrecognised_date()


_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def _to_decimal(raw: Any) -> Decimal | None:
    """The number in a cell, or None when it holds no number."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float | Decimal):
        if not math.isfinite(raw):
            return None
        return Decimal(_float_text(raw)) if isinstance(raw, float) else raw
    text = _text(raw).replace(" ", "").replace("。", ".")
    if _GROUPED_RE.match(text):
        text = text.replace(",", "")
    return Decimal(text) if _NUMBER_RE.match(text) else None


def plain_number(number: Decimal) -> str:
    return format(number, "f")


def _check_range(column: Column, number: Decimal) -> None:
    low, high = column.min_value, column.max_value
    if (low is None or number >= low) and (high is None or number <= high):
        return
    if low is not None and high is not None:
        message = _("应在 %(min)s 到 %(max)s 之间") % {"min": plain_number(low), "max": plain_number(high)}
    elif low is not None:
        message = _("不能小于 %(min)s") % {"min": plain_number(low)}
    else:
        message = _("不能大于 %(max)s") % {"max": plain_number(high)}
    raise CellError(message)


def _parse_decimal(column: Column, raw: Any) -> Decimal:
    number = _to_decimal(raw)
    if number is None:
        if column.example:  # the column's own example: a score sheet's "85.5" reads wrong for years
            raise CellError(_("应填写数字，如 %(example)s") % {"example": column.example})
        raise CellError(_("应填写数字，如 85 或 85.5"))
    _check_range(column, number)
    if column.decimals is None:
        return number
    places = max(0, -int(number.normalize().as_tuple().exponent))
    if places > column.decimals:
        if column.decimals == 0:
            raise CellError(_("应为整数，不能带小数"))
        raise CellError(_("最多保留 %(places)s 位小数") % {"places": column.decimals})
    try:
        return number.quantize(Decimal(1).scaleb(-column.decimals))
    except InvalidOperation:
        raise CellError(_("数值过大，请核对")) from None


def _parse_int(column: Column, raw: Any) -> int:
    number = _to_decimal(raw)
    if number is None:
        raise CellError(_("应填写整数，如 3"))
    if number != number.to_integral_value():
        raise CellError(_("应为整数，不能带小数"))
    _check_range(column, number)
    return int(number)


_TRUE_WORDS = frozenset({"是", "Y", "YES", "TRUE", "1", "√", "✓", "✔", "对"})
_FALSE_WORDS = frozenset({"否", "N", "NO", "FALSE", "0", "×", "✗", "✘", "错"})


def _parse_bool(column: Column, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    word = _text(raw).upper()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise CellError(_("应填写“是”或“否”"))


def choice_labels(column: Column) -> list[str]:
    """The first label of each stored value, in order: what drop-downs and messages offer."""
    labels: dict[str, str] = {}
    for label, value in (column.choices or {}).items():
        labels.setdefault(value, label)
    return list(labels.values())


def _choice_parser(column: Column) -> Callable[[Column, Any], str]:
    lookup = {normalise_text(label).casefold(): value for label, value in (column.choices or {}).items()}
    allowed = "、".join(choice_labels(column))

    def parse(column: Column, raw: Any) -> str:
        try:
            return lookup[_text(raw).casefold()]
        except KeyError:
            raise CellError(_("只能填写以下之一：%(allowed)s") % {"allowed": allowed}) from None

    return parse


_PARSERS: dict[str, Callable[[Column, Any], Any]] = {
    "text": _parse_text,
    "id_number": _parse_id_number,
    "date": _parse_date,
    "decimal": _parse_decimal,
    "int": _parse_int,
    "bool": _parse_bool,
}


def make_parser(column: Column) -> Callable[[Any], Any]:
    parse_value = _choice_parser(column) if column.kind == "choice" else _PARSERS[column.kind]
    empty = "" if column.kind in _STRING_KINDS else None

    def parse(raw: Any) -> Any:
        if raw is None or raw == "":
            if column.required:
                raise CellError(_("必填项，不能为空"))
            return empty
        return parse_value(column, raw)

    return parse
