"""What an uploaded table may cost to read, checked before openpyxl sees it.

An .xlsx is a zip of XML parts, and a 600 KB upload can unpack to hundreds of MiB: openpyxl keeps
the shared strings in memory whole and pads every row out to the column of its last cell, so a
small file could hold a worker for half a minute and grow it past its memory. Here the zip
directory is checked first (number of parts, each part's and the total declared size); then every
part is inflated once, as a stream, counting the bytes actually inflated, because a directory can
lie, and stopping at the cap. Each part is fed to an expat parser that counts what openpyxl would
build from it: strings in the shared-strings part, and in any part the rows and the cells openpyxl
would return, padding included. Only counters are kept, so the check costs no memory, and a DTD
(the way to an entity bomb) is refused.

A CSV is not compressed: its caps are its size and the rows and cells counted as it is read.
Every cap is a setting (``SKILLCERT_UPLOAD_*``, see config/settings.py).
"""

from __future__ import annotations

import io
import logging
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.utils.exceptions import CellCoordinatesException

from certify.excel.cells import FileError

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
# A workbook from Excel or WPS has a few dozen parts; zipfile builds an object for each entry.
MAX_PARTS = 1000
_CHUNK = 64 * 1024
_CONTENT_TYPES = "[Content_Types].xml"
_SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_END_OF_DIRECTORY = b"PK\x05\x06"


@dataclass(frozen=True)
class Limits:
    file_bytes: int
    part_bytes: int
    unpacked_bytes: int
    strings_bytes: int
    strings: int
    rows: int
    cells: int
    memory_bytes: int
    seconds: float

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            file_bytes=settings.SKILLCERT_UPLOAD_MAX_BYTES,
            part_bytes=settings.SKILLCERT_UPLOAD_XLSX_PART_MAX_BYTES,
            unpacked_bytes=settings.SKILLCERT_UPLOAD_XLSX_UNPACKED_MAX_BYTES,
            strings_bytes=settings.SKILLCERT_UPLOAD_SHARED_STRINGS_MAX_BYTES,
            strings=settings.SKILLCERT_UPLOAD_SHARED_STRINGS_MAX_ITEMS,
            rows=settings.SKILLCERT_UPLOAD_SHEET_MAX_ROWS,
            cells=settings.SKILLCERT_UPLOAD_SHEET_MAX_CELLS,
            memory_bytes=settings.SKILLCERT_UPLOAD_PARSE_MAX_MEMORY_BYTES,
            seconds=settings.SKILLCERT_UPLOAD_PARSE_TIMEOUT_SECONDS,
        )


# --- messages -----------------------------------------------------------------------------------
def size_text(size: int) -> str:
    value, unit = (size / MIB, "MB") if size >= MIB else (size / 1024, "KB")
    return f"{value:.1f}".removesuffix(".0") + " " + unit


def damaged() -> FileError:
    return FileError(_("文件无法读取，可能已损坏或不是 Excel 文件，请用 Excel 另存为 .xlsx 后重新上传"))


def size_problem(size: int) -> str | None:
    """The message for an upload of ``size`` bytes, or None when it is small enough to read."""
    limit = settings.SKILLCERT_UPLOAD_MAX_BYTES
    if size <= limit:
        return None
    return _("文件超过 %(size)s，请删除多余的工作表、图片和空行，或拆分后分批上传") % {"size": size_text(limit)}


def _part_too_big(limits: Limits) -> FileError:
    return FileError(
        _("文件解压后有一部分超过 %(size)s，请删除多余的工作表、图片或格式，或拆分后分批上传")
        % {"size": size_text(limits.part_bytes)}
    )


def _unpacked_too_big(limits: Limits) -> FileError:
    return FileError(
        _("文件解压后超过 %(size)s，请删除多余的工作表、图片或格式，或拆分后分批上传")
        % {"size": size_text(limits.unpacked_bytes)}
    )


def _strings_too_big(limits: Limits) -> FileError:
    size = size_text(limits.strings_bytes)
    return FileError(_("文件中的文字内容解压后超过 %(size)s，请删除多余的工作表或分批上传") % {"size": size})


def _too_many_strings(limits: Limits) -> FileError:
    return FileError(_("文件中不同的文字超过 %(max)s 条，请删除多余的工作表或分批上传") % {"max": limits.strings})


def too_many_rows(limits: Limits) -> FileError:
    return FileError(
        _("工作表超过 %(max)s 行（空行也计算在内），请删除多余的行，或拆分后分批上传") % {"max": limits.rows}
    )


def too_many_cells(limits: Limits) -> FileError:
    return FileError(
        _("工作表的单元格超过 %(max)s 个（含空白格），请删除多余的列和格式，或拆分后分批上传") % {"max": limits.cells}
    )


# --- xlsx -----------------------------------------------------------------------------------------
def check_workbook(data: bytes, limits: Limits) -> None:
    """Raise ``FileError`` unless reading this workbook stays within ``limits``."""
    if _announced_parts(data) > MAX_PARTS:
        raise FileError(_("文件包含的部件过多，不是正常的 Excel 文件，请用 Excel 另存为 .xlsx 后重新上传"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            _check_directory(parts, limits)
            strings = _shared_strings_part(archive, limits)
            if strings in archive.namelist() and archive.getinfo(strings).file_size > limits.strings_bytes:
                raise _strings_too_big(limits)
            inflated = 0
            for info in parts:
                inflated += _scan_part(archive, info, limits, strings=info.filename == strings, before=inflated)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, ValueError) as exc:
        logger.info("Unreadable upload: %r", exc)
        raise damaged() from exc


def _announced_parts(data: bytes) -> int:
    """The entry count of the end-of-directory record, read before zipfile builds one object per entry."""
    end = data.rfind(_END_OF_DIRECTORY, max(0, len(data) - 22 - 0xFFFF))
    if end < 0 or len(data) < end + 22:
        raise damaged()
    return struct.unpack_from("<H", data, end + 10)[0]


def _check_directory(parts: list[zipfile.ZipInfo], limits: Limits) -> None:
    for info in parts:
        # Excel writes deflate only; zipfile inflates bzip2 and LZMA without an output bound.
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise damaged()
        if info.file_size > limits.part_bytes:
            raise _part_too_big(limits)
    if sum(info.file_size for info in parts) > limits.unpacked_bytes:
        raise _unpacked_too_big(limits)


def _shared_strings_part(archive: zipfile.ZipFile, limits: Limits) -> str | None:
    """The part openpyxl reads as shared strings: the first one the content types name."""
    try:
        info = archive.getinfo(_CONTENT_TYPES)
    except KeyError:
        return None
    names: list[str] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag.rpartition(":")[2] == "Override" and attrs.get("ContentType") == _SHARED_STRINGS_TYPE:
            names.append(attrs.get("PartName", "").removeprefix("/"))

    counter = _XmlCounter(limits, strings=False)
    counter.parser.StartElementHandler = start
    _inflate(archive, info, limits, counter, strings=False, before=0)
    return names[0] if names else None


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, *, strings: bool, before: int) -> int:
    return _inflate(archive, info, limits, _XmlCounter(limits, strings=strings), strings=strings, before=before)


def _inflate(archive, info, limits: Limits, counter: _XmlCounter, *, strings: bool, before: int) -> int:
    """Inflate one part into ``counter``; the bytes it held. ``before``: bytes inflated so far."""
    size = 0
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if strings and size > limits.strings_bytes:
                raise _strings_too_big(limits)
            if size > limits.part_bytes:
                raise _part_too_big(limits)
            if before + size > limits.unpacked_bytes:
                raise _unpacked_too_big(limits)
            counter.feed(chunk)
    counter.close()
    return size


class _XmlCounter:
    """Counts, as expat streams a part, what openpyxl would build from it.

    openpyxl numbers a row by its ``r`` attribute (else the previous row + 1) and yields every
    missing row up to it; it places a cell by its ``r`` (else the previous cell + 1) and pads the
    row with empty cells up to the column of the row's last cell. A part that is not XML (an
    image) is only inflated: openpyxl cannot parse it either.
    """

    def __init__(self, limits: Limits, *, strings: bool) -> None:
        self.limits = limits
        self.count_strings = strings
        self.strings = 0
        self.row = 0  # the current row's number
        self.rows = 0  # rows openpyxl would return
        self.cells = 0  # cells of the finished rows, padding included
        self.row_cells = 0
        self.row_width = 0
        self.column = 0
        self.xml = True
        self.parser = expat.ParserCreate()
        self.parser.StartElementHandler = self._start
        self.parser.StartDoctypeDeclHandler = self._doctype

    def feed(self, chunk: bytes) -> None:
        self._parse(chunk, final=False)

    def close(self) -> None:
        self._parse(b"", final=True)
        self._end_row()

    def _parse(self, chunk: bytes, *, final: bool) -> None:
        if not self.xml:
            return
        try:
            self.parser.Parse(chunk, final)
        except expat.ExpatError:
            self.xml = False

    def _doctype(self, *args: Any) -> None:
        raise damaged()

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        local = tag.rpartition(":")[2]
        if local == "c":
            self._cell(attrs.get("r"))
        elif local == "row":
            self._row(attrs.get("r"))
        elif local == "si" and self.count_strings:
            self.strings += 1
            if self.strings > self.limits.strings:
                raise _too_many_strings(self.limits)

    def _row(self, number: str | None) -> None:
        self._end_row()
        self.row = self.row + 1 if number is None else _row_number(number)
        if self.row > self.limits.rows:
            raise too_many_rows(self.limits)
        self.rows = max(self.rows, self.row)
        self.row_cells = self.row_width = self.column = 0

    def _cell(self, reference: str | None) -> None:
        self.column = self.column + 1 if reference is None else _column_number(reference)
        self.row_width = self.column  # the last cell decides how far openpyxl pads the row
        self.row_cells += 1
        if self.cells + max(self.row_cells, self.row_width) > self.limits.cells:
            raise too_many_cells(self.limits)

    def _end_row(self) -> None:
        self.cells += max(self.row_cells, self.row_width)
        self.row_cells = self.row_width = 0


def _row_number(text: str) -> int:
    number = float(text)  # openpyxl accepts "5" and "5.0"
    if not number.is_integer():
        raise damaged()
    return int(number)


def _column_number(reference: str) -> int:
    try:
        letters, _row = coordinate_from_string(reference)
        return column_index_from_string(letters)
    except (CellCoordinatesException, ValueError):
        raise damaged() from None


# --- csv ------------------------------------------------------------------------------------------
def capped_rows(rows: Iterator[list[str]], limits: Limits) -> Iterator[list[str]]:
    """CSV rows, refused once they pass the row or cell cap (empty lines count: they cost time)."""
    cells = 0
    for count, row in enumerate(rows, start=1):
        if count > limits.rows:
            raise too_many_rows(limits)
        cells += len(row)
        if cells > limits.cells:
            raise too_many_cells(limits)
        yield row
