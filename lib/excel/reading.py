"""Read the first sheet of an uploaded .xlsx or .csv into checked rows (see ``read_table``).

An .xlsx is checked against the upload caps first (``limits``), then openpyxl reads it in a child
process with memory and time limits (``isolation``); the rows come back as plain values and are
matched to the columns and parsed here.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import logging
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import load_workbook

from lib.excel import isolation
from lib.excel.cells import CellError, Column, FileError, ParsedTable, make_parser, normalise_text
from lib.excel.limits import Limits, capped_rows, check_workbook, damaged, size_problem, too_many_cells, too_many_rows

logger = logging.getLogger(__name__)

HEADER_SEARCH_ROWS = 10
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and password-protected .xlsx


def _read_bytes(file: Any, limit: int) -> bytes:
    """The upload's bytes; one past ``limit`` at most, and nothing when its size is known to be over."""
    if isinstance(file, bytes):
        data = file
    elif isinstance(file, str | os.PathLike):
        _check_size(Path(file).stat().st_size)
        data = Path(file).read_bytes()
    else:
        size = getattr(file, "size", None)
        if isinstance(size, int):
            _check_size(size)
        if hasattr(file, "seek"):
            file.seek(0)
        data = file.read(limit + 1)
    data = data.encode("utf-8") if isinstance(data, str) else data
    _check_size(len(data))
    return data


def _check_size(size: int) -> None:
    problem = size_problem(size)
    if problem:
        raise FileError(problem)


def first_sheet_rows(data: bytes, *, max_rows: int, max_cells: int) -> list[tuple] | str:
    """The values of the first sheet's rows, trailing empty cells dropped; runs in the child.

    "rows" or "cells" instead once openpyxl has produced more than the caps allow, counting what it
    adds of its own: an empty row for each number skipped between two rows, and each row padded
    with empty cells to its last cell's column. One padded row is at most 18,278 cells, so the
    count stops a row bomb after one row past the cap.
    """
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        # Some generators write a wrong <dimension>; trusting it would silently drop rows.
        sheet.reset_dimensions()
        rows, cells = [], 0
        for row in sheet.iter_rows(values_only=True):
            cells += len(row)
            if len(rows) == max_rows:
                return "rows"
            if cells > max_cells:
                return "cells"
            rows.append(_trimmed(row))
        return rows
    finally:
        workbook.close()


def _trimmed(row: tuple) -> tuple:
    end = len(row)
    while end and row[end - 1] is None:
        end -= 1
    return row[:end]


def _xlsx_rows(data: bytes, limits: Limits) -> Iterator[tuple]:
    check_workbook(data, limits)
    read = functools.partial(first_sheet_rows, max_rows=limits.rows, max_cells=limits.cells)
    try:
        rows = isolation.run_limited(read, data, memory_bytes=limits.memory_bytes, seconds=limits.seconds)
    except isolation.ParseLimit as exc:
        raise _over_limit(exc.kind, limits) from exc
    except isolation.ParseFailed as exc:
        logger.info("Unreadable upload: %s", exc)
        raise damaged() from exc
    if rows == "rows":
        raise too_many_rows(limits)
    if rows == "cells":
        raise too_many_cells(limits)
    yield from rows


def _over_limit(kind: str, limits: Limits) -> FileError:
    if kind == "time":
        return FileError(
            _("读取文件超过 %(seconds)s 秒仍未完成，请删除多余的工作表、公式和格式，或拆分后分批上传")
            % {"seconds": limits.seconds}
        )
    return FileError(_("读取文件所需的内存超出限制，请删除多余的工作表、图片和格式，或拆分后分批上传"))


def _csv_rows(data: bytes, limits: Limits) -> Iterator[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileError(_("CSV 文件的编码无法识别，请用 Excel 另存为 .xlsx 后重新上传"))
    yield from capped_rows(csv.reader(io.StringIO(text, newline="")), limits)


def _source_rows(data: bytes, name: str, limits: Limits) -> Iterator[Any]:
    suffix = Path(name).suffix.lower()
    if not data:
        raise FileError(_("上传的文件是空的，请检查后重新上传"))
    if data.startswith(_ZIP_MAGIC):
        return _xlsx_rows(data, limits)
    if data.startswith(_OLE_MAGIC):
        raise FileError(_("不支持旧版 .xls 文件或加密的文件，请在 Excel 中另存为 .xlsx（不设密码）后重新上传"))
    if suffix in (".xlsx", ".xlsm"):
        raise damaged()
    if suffix in (".csv", ""):
        return _csv_rows(data, limits)
    raise FileError(_("只支持 .xlsx 或 .csv 文件，请使用系统提供的模板"))


def _guarded(rows: Iterator[Any]) -> Iterator[Any]:
    try:
        yield from rows
    except FileError:
        raise
    except Exception as exc:  # any failure inside the parser means the file is damaged
        logger.info("Unreadable upload: %r", exc)
        raise damaged() from exc


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


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _two_row_header(top: Any, bottom: Any) -> tuple[list[Any], list[Any]]:
    """The ways a header written on two rows can be read, cell by cell: the lower text where there
    is one, else the upper (a cell merged down two rows keeps its text in the upper row), and the
    same with a group title merged across columns put in front of each sub-header under it."""
    top, bottom = list(top or ()), list(bottom or ())
    width = max(len(top), len(bottom))
    top += [None] * (width - len(top))
    bottom += [None] * (width - len(bottom))
    plain, joined, group = [], [], None
    for upper, lower in zip(top, bottom, strict=True):
        if not _blank(upper):
            group = upper if not _blank(lower) else None
        elif _blank(lower):
            group = None
        plain.append(upper if _blank(lower) else lower)
        joined.append(f"{group}{lower}" if group is not None and not _blank(lower) else plain[-1])
    return plain, joined


def _find_header(head: list[Any], columns: list[Column]) -> tuple[int, dict[str, int], list[str]]:
    """The row (or pair of rows) that names the most columns; returns the index of its last row."""
    matcher = _HeaderMatcher(columns)
    best: tuple[int, dict[str, int], list[str]] | None = None
    readings = [(index, values) for index, values in enumerate(head)]
    for index in range(len(head) - 1):
        plain, joined = _two_row_header(head[index], head[index + 1])
        # per cell, the group-prefixed text where it names a column ("原证书"+"等级"), else the plain one
        mixed = [j if matcher.find(_header_key(j)) else p for p, j in zip(plain, joined, strict=True)]
        readings += [(index + 1, plain), (index + 1, mixed)]
    for index, values in readings:
        positions, duplicates = matcher.match(values)
        if positions and (best is None or len(positions) > len(best[1])):
            best = (index, positions, duplicates)
    if best is None:
        names = "」「".join(column.header for column in columns[:3])
        raise FileError(
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
    slots = [(column, positions.get(column.key), make_parser(column)) for column in columns]
    count = 0
    data_rows = itertools.chain(head[header_index + 1 :], rows)
    for number, values in enumerate(data_rows, start=header_index + 2):
        cells = [_cell(values, index) for _column, index, _parse in slots]
        if all(cell is None or cell == "" for cell in cells):
            continue
        count += 1
        if count > max_rows:
            raise FileError(_("数据超过 %(max)s 行，请拆分成多个文件分批上传") % {"max": max_rows})
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
        except CellError as exc:
            table.add_error(number, column.header, str(exc))
            failed = True
    if not failed:
        table.rows.append((number, parsed))


def read_table(file: Any, *, columns: list[Column], filename: str = "", max_rows: int = 20000) -> ParsedTable:
    """Parse the first sheet of an .xlsx or a .csv; never raises for anything inside the file."""
    table = ParsedTable()
    name = filename or (str(file) if isinstance(file, str | os.PathLike) else str(getattr(file, "name", "") or ""))
    try:
        limits = Limits.from_settings()
        rows = _guarded(_source_rows(_read_bytes(file, limits.file_bytes), name, limits))
        try:
            _fill(table, rows, columns, max_rows)
        finally:
            rows.close()
    except OSError:
        return _file_error(_("无法读取上传的文件，请重新上传"))
    except FileError as exc:
        return _file_error(str(exc))
    return table


def _file_error(message: str) -> ParsedTable:
    table = ParsedTable()
    table.add_error(0, "", message)
    return table
