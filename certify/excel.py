"""Read and write the Excel/CSV files clerks upload and download. Pure functions, no Django models.

Imports are all-or-nothing, so ``read_table`` checks every cell of every row and collects every
error (row, column, message): the clerk fixes the whole file in one go. It accepts what HR
clerks' files really look like: decorated Chinese headers, a title row above the header,
full-width characters, dates as text, real dates or serial numbers, empty rows, CSV saved by
Excel in GBK.

Empty cells parse to ``""`` in text, id_number and choice columns and to ``None`` otherwise.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import logging
import math
import os
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

logger = logging.getLogger(__name__)

KINDS = frozenset({"text", "id_number", "date", "decimal", "int", "bool", "choice"})
_STRING_KINDS = frozenset({"text", "id_number", "choice"})
HEADER_SEARCH_ROWS = 10
TEMPLATE_ROWS = 2000
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


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


class _CellError(Exception):
    """A cell's value cannot be accepted; the message tells the clerk what to do."""


class _FileError(Exception):
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


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# --- cell parsers -------------------------------------------------------------------------
def _check_length(column: Column, text: str) -> str:
    if column.max_length is not None and len(text) > column.max_length:
        raise _CellError(
            _("不能超过 %(max)s 个字（现有 %(count)s 个），请删减") % {"max": column.max_length, "count": len(text)}
        )
    return text


def _parse_text(column: Column, raw: Any) -> str:
    return _check_length(column, _text(raw))


_SCIENTIFIC_RE = re.compile(r"^\d+(\.\d+)?E\+?\d+$")
_TEXT_FORMULA_RE = re.compile(r'^="(.*)"$')


def _id_stored_as_number() -> _CellError:
    return _CellError(_("证件号码被 Excel 存成了数字，末位或 X 可能已丢失，请把该列设为“文本”后重新填写"))


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


def _unrecognised_date() -> _CellError:
    return _CellError(_("日期格式无法识别，请填写为 2026-11-25 的形式"))


def _make_date(year: str, month: str, day: str) -> dt.date:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise _CellError(_("日期不存在，请核对年、月、日")) from None


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


def _plain(number: Decimal) -> str:
    return format(number, "f")


def _check_range(column: Column, number: Decimal) -> None:
    low, high = column.min_value, column.max_value
    if (low is None or number >= low) and (high is None or number <= high):
        return
    if low is not None and high is not None:
        message = _("应在 %(min)s 到 %(max)s 之间") % {"min": _plain(low), "max": _plain(high)}
    elif low is not None:
        message = _("不能小于 %(min)s") % {"min": _plain(low)}
    else:
        message = _("不能大于 %(max)s") % {"max": _plain(high)}
    raise _CellError(message)


def _parse_decimal(column: Column, raw: Any) -> Decimal:
    number = _to_decimal(raw)
    if number is None:
        raise _CellError(_("应填写数字，如 85 或 85.5"))
    _check_range(column, number)
    if column.decimals is None:
        return number
    places = max(0, -int(number.normalize().as_tuple().exponent))
    if places > column.decimals:
        if column.decimals == 0:
            raise _CellError(_("应为整数，不能带小数"))
        raise _CellError(_("最多保留 %(places)s 位小数") % {"places": column.decimals})
    try:
        return number.quantize(Decimal(1).scaleb(-column.decimals))
    except InvalidOperation:
        raise _CellError(_("数值过大，请核对")) from None


def _parse_int(column: Column, raw: Any) -> int:
    number = _to_decimal(raw)
    if number is None:
        raise _CellError(_("应填写整数，如 3"))
    if number != number.to_integral_value():
        raise _CellError(_("应为整数，不能带小数"))
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
    raise _CellError(_("应填写“是”或“否”"))


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
            raise _CellError(_("只能填写以下之一：%(allowed)s") % {"allowed": allowed}) from None

    return parse


_PARSERS: dict[str, Callable[[Column, Any], Any]] = {
    "text": _parse_text,
    "id_number": _parse_id_number,
    "date": _parse_date,
    "decimal": _parse_decimal,
    "int": _parse_int,
    "bool": _parse_bool,
}


def _make_parser(column: Column) -> Callable[[Any], Any]:
    parse_value = _choice_parser(column) if column.kind == "choice" else _PARSERS[column.kind]
    empty = "" if column.kind in _STRING_KINDS else None

    def parse(raw: Any) -> Any:
        if raw is None or raw == "":
            if column.required:
                raise _CellError(_("必填项，不能为空"))
            return empty
        return parse_value(column, raw)

    return parse


# --- reading files ------------------------------------------------------------------------
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and password-protected .xlsx


def _read_bytes(file: Any) -> bytes:
    if isinstance(file, bytes):
        return file
    if isinstance(file, str | os.PathLike):
        return Path(file).read_bytes()
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read()
    return data.encode("utf-8") if isinstance(data, str) else data


def _damaged() -> _FileError:
    return _FileError(_("文件无法读取，可能已损坏或不是 Excel 文件，请用 Excel 另存为 .xlsx 后重新上传"))


def _xlsx_rows(data: bytes) -> Iterator[tuple]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        # Shared strings are held in memory whole: refuse a small upload that unpacks to gigabytes.
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
            raise _FileError(_("文件内容过大，请删除无关的工作表和图片，或拆分后分批上传"))
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        # Some generators write a wrong <dimension>; trusting it would silently drop rows.
        sheet.reset_dimensions()
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _FileError(_("CSV 文件的编码无法识别，请用 Excel 另存为 .xlsx 后重新上传"))
    yield from csv.reader(io.StringIO(text, newline=""))


def _source_rows(data: bytes, name: str) -> Iterator[Any]:
    suffix = Path(name).suffix.lower()
    if not data:
        raise _FileError(_("上传的文件是空的，请检查后重新上传"))
    if data.startswith(_ZIP_MAGIC):
        return _xlsx_rows(data)
    if data.startswith(_OLE_MAGIC):
        raise _FileError(_("不支持旧版 .xls 文件或加密的文件，请在 Excel 中另存为 .xlsx（不设密码）后重新上传"))
    if suffix in (".xlsx", ".xlsm"):
        raise _damaged()
    if suffix in (".csv", ""):
        return _csv_rows(data)
    raise _FileError(_("只支持 .xlsx 或 .csv 文件，请使用系统提供的模板"))


def _guarded(rows: Iterator[Any]) -> Iterator[Any]:
    try:
        yield from rows
    except _FileError:
        raise
    except Exception as exc:  # any failure inside the parser means the file is damaged
        logger.info("Unreadable upload: %r", exc)
        raise _damaged() from exc


def _header_key(value: Any) -> str:
    return re.sub(r"[\s*:※]", "", normalise_text(value)).casefold()


_NOTE_RE = r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕"
_TRAILING_NOTE_RE = re.compile(f"(?:{_NOTE_RE})$")
_ANY_NOTE_RE = re.compile(_NOTE_RE)


def _bare_header(key: str) -> str:
    """A header without bracketed notes such as （必填） or (选填)."""
    return _ANY_NOTE_RE.sub("", key)


def _header_candidates(key: str) -> Iterator[str]:
    """The header, then with its trailing notes peeled off one by one: 成绩(理论)(必填) → 成绩(理论)."""
    yield key
    while (shorter := _TRAILING_NOTE_RE.sub("", key)) != key:
        key = shorter
        yield key


class _HeaderMatcher:
    def __init__(self, columns: list[Column]) -> None:
        self.exact: dict[str, str] = {}
        bare: dict[str, set[str]] = {}
        for column in columns:
            for header in (column.header, *column.aliases):
                key = _header_key(header)
                self.exact.setdefault(key, column.key)
                bare.setdefault(_bare_header(key), set()).add(column.key)
        # Only unambiguous bare forms: "成绩(理论)" and "成绩(操作)" must not collide.
        self.bare = {key: next(iter(keys)) for key, keys in bare.items() if len(keys) == 1 and key}

    def find(self, key: str) -> str | None:
        if not key:
            return None
        for candidate in _header_candidates(key):
            if candidate in self.exact:
                return self.exact[candidate]
        return self.bare.get(_bare_header(key))

    def match(self, values: Iterable[Any]) -> tuple[dict[str, int], list[str]]:
        positions: dict[str, int] = {}
        duplicates: list[str] = []
        for index, value in enumerate(values):
            found = self.find(_header_key(value))
            if found and found in positions:
                duplicates.append(found)
            elif found:
                positions[found] = index
        return positions, duplicates


def _find_header(head: list[Any], columns: list[Column]) -> tuple[int, dict[str, int], list[str]]:
    matcher = _HeaderMatcher(columns)
    best: tuple[int, dict[str, int], list[str]] | None = None
    for index, values in enumerate(head):
        positions, duplicates = matcher.match(values)
        if positions and (best is None or len(positions) > len(best[1])):
            best = (index, positions, duplicates)
    if best is None:
        names = "」「".join(column.header for column in columns[:3])
        raise _FileError(
            _("前 %(count)s 行中找不到表头（如「%(names)s」），请使用系统提供的模板")
            % {"count": HEADER_SEARCH_ROWS, "names": names}
        )
    return best


def _header_errors(columns: list[Column], positions: dict[str, int], duplicates: list[str]) -> list[str]:
    headers = {column.key: column.header for column in columns}
    messages = [
        _("「%(header)s」列出现了不止一次，请删除多余的列") % {"header": headers[key]}
        for key in dict.fromkeys(duplicates)
    ]
    messages += [
        _("缺少必填列「%(header)s」，请使用系统提供的模板，不要修改或删除表头") % {"header": column.header}
        for column in columns
        if column.required and column.key not in positions
    ]
    return messages


def _fill(table: ParsedTable, rows: Iterator[Any], columns: list[Column], max_rows: int) -> None:
    head = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
    header_index, positions, duplicates = _find_header(head, columns)
    for message in _header_errors(columns, positions, duplicates):
        table.add_error(0, "", message)
    if table.errors:
        return
    slots = [(column, positions.get(column.key), _make_parser(column)) for column in columns]
    count = 0
    data_rows = itertools.chain(head[header_index + 1 :], rows)
    for number, values in enumerate(data_rows, start=header_index + 2):
        cells = [_cell(values, index) for _column, index, _parse in slots]
        if all(cell is None or cell == "" for cell in cells):
            continue
        count += 1
        if count > max_rows:
            raise _FileError(_("数据超过 %(max)s 行，请拆分成多个文件分批上传") % {"max": max_rows})
        _parse_row(table, number, slots, cells)


def _cell(values: Any, index: int | None) -> Any:
    if index is None or index >= len(values):
        return None
    value = values[index]
    return normalise_text(value) if isinstance(value, str) else value


def _parse_row(table: ParsedTable, number: int, slots: list, cells: list[Any]) -> None:
    parsed: dict[str, Any] = {}
    failed = False
    for (column, _index, parse), raw in zip(slots, cells, strict=True):
        try:
            parsed[column.key] = parse(raw)
        except _CellError as exc:
            table.add_error(number, column.header, str(exc))
            failed = True
    if not failed:
        table.rows.append((number, parsed))


def read_table(file: Any, *, columns: list[Column], filename: str = "", max_rows: int = 20000) -> ParsedTable:
    """Parse the first sheet of an .xlsx or a .csv; never raises for anything inside the file."""
    table = ParsedTable()
    name = filename or (str(file) if isinstance(file, str | os.PathLike) else str(getattr(file, "name", "") or ""))
    try:
        rows = _guarded(_source_rows(_read_bytes(file), name))
        try:
            _fill(table, rows, columns, max_rows)
        finally:
            rows.close()  # releases the workbook even when reading stops early
    except OSError:
        return _file_error(_("无法读取上传的文件，请重新上传"))
    except _FileError as exc:
        return _file_error(str(exc))
    return table


def _file_error(message: str) -> ParsedTable:
    table = ParsedTable()
    table.add_error(0, "", message)
    return table


# --- writing ------------------------------------------------------------------------------
_HEADER_FONT = Font(bold=True)
_REQUIRED_FONT = Font(bold=True, color="C00000")
_HEADER_FILL = PatternFill("solid", fgColor="E7E6E6")
_NUMBER_LIKE_RE = re.compile(r"^[A-Za-z]{0,2}\d{6,}[0-9Xx]?$")
_SHEET_TITLE_RE = re.compile(r"[\[\]:*?/\\]")
_OPTIONS_SHEET = "选项"


def _sheet_title(title: str, used: set[str]) -> str:
    base = _SHEET_TITLE_RE.sub("", str(title)).strip("' ")[:31] or "Sheet"
    candidate, counter = base, 2
    while candidate.casefold() in used:
        suffix = f"({counter})"
        candidate, counter = base[: 31 - len(suffix)] + suffix, counter + 1
    used.add(candidate.casefold())
    return candidate


def _clean_string(value: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _set_widths(sheet: Any, widths: list[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _export_value(value: Any) -> tuple[Any, str | None]:
    """The value to store and the number format it needs (None: General)."""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        return value, DATETIME_FORMAT
    if isinstance(value, dt.date):
        return value, DATE_FORMAT
    if isinstance(value, bool):
        return (_("是") if value else _("否")), None
    if isinstance(value, int) and abs(value) >= 10**15:
        return str(value), "@"  # Excel keeps only 15 significant digits of a number
    if isinstance(value, Decimal):
        places = max(0, -int(value.as_tuple().exponent)) if value.is_finite() else 0
        return value, ("0." + "0" * places if places else None)
    if value is None or isinstance(value, int | float):
        return value, None
    text = _clean_string(str(value))
    return text, ("@" if _NUMBER_LIKE_RE.match(text) else None)


def _needs_cell(stored: Any, number_format: str | None) -> bool:
    return number_format is not None or (isinstance(stored, str) and stored.startswith("="))


def _export_cell(sheet: Any, value: Any) -> Any:
    """A plain value where General will do: a styled cell per value costs a write-only export double."""
    stored, number_format = _export_value(value)
    return _styled_cell(WriteOnlyCell(sheet), value) if _needs_cell(stored, number_format) else stored


def _styled_cell(cell: Any, value: Any) -> Any:
    stored, number_format = _export_value(value)
    cell.value = stored
    if number_format:
        cell.number_format = number_format
    if isinstance(stored, str) and stored.startswith("="):
        cell.data_type = "s"  # user data is never a formula
    return cell


def _export_width(value: Any) -> int:
    stored, number_format = _export_value(value)
    if number_format in (DATE_FORMAT, DATETIME_FORMAT):
        return len(number_format)
    return _display_width(normalise_text(stored))


def write_table(*, sheets: list[tuple[str, list[str], Iterable[list]]]) -> bytes:
    """Export lists: one sheet per (title, headers, rows); values keep their types."""
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for title, headers, rows in sheets or [("Sheet", [], [])]:
        sheet = workbook.create_sheet(_sheet_title(title, used))
        remaining = iter(rows)
        first = list(itertools.islice(remaining, 500))
        sample = [headers, *first]
        widths = [max(_export_width(row[i]) for row in sample if i < len(row)) for i in range(len(headers))]
        _set_widths(sheet, widths)
        sheet.freeze_panes = "A2"
        header_cells = []
        for header in headers:
            cell = _styled_cell(WriteOnlyCell(sheet), header)
            cell.font = _HEADER_FONT
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in itertools.chain(first, remaining):
            sheet.append([_export_cell(sheet, value) for value in row])
    return _save(workbook)


def _template_value(column: Column, value: Any) -> Any:
    if value is None or value == "":
        return None
    if column.kind == "choice" and value not in (column.choices or {}):
        labels = {stored: label for label, stored in reversed(list((column.choices or {}).items()))}
        return labels.get(value, value)
    if column.kind == "bool" and isinstance(value, bool):
        return _("是") if value else _("否")
    if column.kind in ("text", "id_number"):
        return str(value)
    return value


def _kind_hint(column: Column) -> str:
    if column.kind == "id_number":
        return _("文本格式，字母 X 大写")
    if column.kind == "date":
        return _("日期，如 2026-11-25")
    if column.kind == "bool":
        return _("填写“是”或“否”")
    if column.kind == "choice":
        return _("从下拉列表中选择：%(labels)s") % {"labels": "、".join(choice_labels(column))}
    if column.kind in ("decimal", "int"):
        hint = _("整数") if column.kind == "int" or column.decimals == 0 else _("数字")
        if column.min_value is not None and column.max_value is not None:
            hint += _("，%(min)s 到 %(max)s") % {"min": _plain(column.min_value), "max": _plain(column.max_value)}
        if column.kind == "decimal" and column.decimals:
            hint += _("，最多 %(places)s 位小数") % {"places": column.decimals}
        return hint
    if column.max_length:
        return _("不超过 %(max)s 个字") % {"max": column.max_length}
    return ""


def _add_choice_validation(workbook: Workbook, sheet: Any, index: int, column: Column) -> None:
    labels = [_("是"), _("否")] if column.kind == "bool" else choice_labels(column)
    inline = ",".join(labels)
    if len(inline) <= 250 and not any("," in label or '"' in label for label in labels):
        formula = f'"{inline}"'
    else:  # Excel caps an inline list at 255 characters: keep long lists on a hidden sheet
        if _OPTIONS_SHEET in workbook.sheetnames:
            options = workbook[_OPTIONS_SHEET]
        else:
            options = workbook.create_sheet(_OPTIONS_SHEET)
        options.sheet_state = "hidden"
        letter = get_column_letter(index)
        for row, label in enumerate(labels, start=1):
            options.cell(row=row, column=index, value=label)
        formula = f"'{_OPTIONS_SHEET}'!${letter}$1:${letter}${len(labels)}"
    validation = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True)
    validation.errorTitle = _("填写有误")
    validation.error = _("请从下拉列表中选择")
    letter = get_column_letter(index)
    validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
    sheet.add_data_validation(validation)


def _format_template_column(workbook: Workbook, sheet: Any, index: int, column: Column) -> None:
    header = sheet.cell(row=1, column=index, value=("*" if column.required else "") + column.header)
    header.font = _REQUIRED_FONT if column.required else _HEADER_FONT
    header.fill = _HEADER_FILL
    header.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    number_format = {"text": "@", "id_number": "@", "date": DATE_FORMAT}.get(column.kind)
    if number_format:
        sheet.column_dimensions[get_column_letter(index)].number_format = number_format
        for row in range(2, TEMPLATE_ROWS + 2):
            sheet.cell(row=row, column=index).number_format = number_format
    if column.kind in ("choice", "bool"):
        _add_choice_validation(workbook, sheet, index, column)


def _write_notes(sheet: Any, columns: list[Column], title: str, notes: list[str]) -> None:
    sheet.append([_("%(title)s 填写说明") % {"title": title}])
    sheet["A1"].font = Font(bold=True, size=14)
    for note in notes:
        sheet.append([note])
    sheet.append([])
    sheet.append([_("列名"), _("是否必填"), _("填写要求"), _("示例")])
    for cell in sheet[sheet.max_row]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
    for column in columns:
        requirement = "；".join(part for part in (column.help, _kind_hint(column)) if part)
        sheet.append([column.header, _("必填") if column.required else _("选填"), requirement, column.example])
        sheet.cell(row=sheet.max_row, column=4).number_format = "@"
    _set_widths(sheet, [16, 8, 60, 24])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def write_template(
    *,
    columns: list[Column],
    sheet_title: str,
    example_rows: list[dict] | None = None,
    notes: list[str] | None = None,
) -> bytes:
    """An import template: formatted columns, drop-downs, and a second sheet explaining each column."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(sheet_title, set())
    for index, column in enumerate(columns, start=1):
        _format_template_column(workbook, sheet, index, column)
    for row, example in enumerate(example_rows or [], start=2):
        for index, column in enumerate(columns, start=1):
            _styled_cell(sheet.cell(row=row, column=index), _template_value(column, example.get(column.key)))
    sheet.freeze_panes = "A2"
    widths = [
        max(
            _display_width(column.header) + 2,
            _display_width(column.example),
            {"id_number": 20, "date": 12}.get(column.kind, 0),
            *(_export_width(_template_value(column, example.get(column.key))) for example in example_rows or []),
        )
        for column in columns
    ]
    _set_widths(sheet, widths)
    default_notes = [
        _("带 * 的列为必填；请不要修改、删除或调换表头，也不要合并单元格。"),
        _("证件号码等列已设为文本格式；粘贴时请选择“只粘贴值”，以免证件号码变成数字。"),
        _("日期请填写为 2026-11-25 的形式。"),
    ]
    if example_rows:
        default_notes.append(_("第 2 行起的示例数据仅供参考，上传前请删除。"))
    notes_sheet = workbook.create_sheet(_("填写说明"), 1)
    _write_notes(notes_sheet, columns, sheet.title, [*default_notes, *(notes or [])])
    return _save(workbook)
