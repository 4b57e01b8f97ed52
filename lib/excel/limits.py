"""What an uploaded table may cost to read, checked before openpyxl sees it.

An .xlsx is a zip of XML parts, and a 600 KB upload can unpack to hundreds of MiB: openpyxl keeps
the shared strings in memory whole and pads every row out to the column of its last cell, so a
small file could hold a worker for half a minute and grow it past its memory. Here the zip
directory is checked first (number of parts, each part's and the total declared size); then every
part is inflated once, as a stream, counting the bytes actually inflated, because a directory can
lie, and stopping at the cap. As it streams, the shared strings and the rows and cells of every
sheet are counted from their tags at the speed of the regex engine, and a DTD (the way to an entity
bomb) is refused. Only counters are kept, so the check costs no memory. The rows and cells openpyxl
adds of its own (the rows missing between two numbered rows, each row padded to its last cell's
column) are counted in the child as openpyxl produces them (``reading.first_sheet_rows``).

A CSV is not compressed: its caps are its size and the rows and cells counted as it is read.
Every cap is a setting (``SKILLCERT_UPLOAD_*``, see config/settings.py).
"""

from __future__ import annotations

import io
import logging
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _

from lib.excel.cells import FileError

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
# A workbook from Excel or WPS has a few dozen parts; zipfile builds an object for each entry.
MAX_PARTS = 1000
_CHUNK = 64 * 1024
_TAIL = 64
_MAX_CONTENT_TYPES_BYTES = MIB  # Excel's is 1 to 3 KB, and it is parsed whole
_DOCTYPE = b"<!DOCTYPE"
_UTF16_STARTS = (b"\xfe\xff", b"\xff\xfe", b"\x00<", b"<\x00")
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
            strings = _shared_strings_part(archive)
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


def _shared_strings_part(archive: zipfile.ZipFile) -> str | None:
    """The part openpyxl reads as shared strings: the first one the content types name."""
    try:
        info = archive.getinfo(_CONTENT_TYPES)
    except KeyError:
        return None
    if info.file_size > _MAX_CONTENT_TYPES_BYTES:
        raise damaged()
    names: list[str] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag.rpartition(":")[2] == "Override" and attrs.get("ContentType") == _SHARED_STRINGS_TYPE:
            names.append(attrs.get("PartName", "").removeprefix("/"))

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = _refuse_doctype
    try:
        with archive.open(info) as stream:
            parser.Parse(stream.read(_MAX_CONTENT_TYPES_BYTES + 1), True)
    except expat.ExpatError:
        return None  # openpyxl cannot read it either
    return names[0] if names else None


def _refuse_doctype(*args: Any) -> None:
    raise damaged()


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, *, strings: bool, before: int) -> int:
    """Inflate one part, counting its bytes and the tags openpyxl builds from; the bytes it held.

    ``before``: the bytes inflated from the parts before it.
    """
    caps = {b"si": (limits.strings, _too_many_strings)} if strings else {}
    caps |= {b"row": (limits.rows, too_many_rows), b"c": (limits.cells, too_many_cells)}
    counters = {name: _TagCounter(name) for name in caps}
    size, tail = 0, b""
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            if not size and chunk.startswith(_UTF16_STARTS):
                raise damaged()  # UTF-16 XML would hide its tags from the byte patterns below
            size += len(chunk)
            if strings and size > limits.strings_bytes:
                raise _strings_too_big(limits)
            if size > limits.part_bytes:
                raise _part_too_big(limits)
            if before + size > limits.unpacked_bytes:
                raise _unpacked_too_big(limits)
            if _DOCTYPE in tail + chunk[: len(_DOCTYPE)] or _DOCTYPE in chunk:
                raise damaged()  # a DTD is the way to an entity bomb; no spreadsheet needs one
            tail = chunk[-len(_DOCTYPE) :]
            for name, counter in counters.items():
                cap, refusal = caps[name]
                if counter.feed(chunk) > cap:
                    raise refusal(limits)
    return size


class _TagCounter:
    """Counts the start tags of one element, whatever its namespace prefix, in a part fed chunk by
    chunk, at the speed of the regex engine.

    Tags inside comments or CDATA are counted too, which only errs towards refusing; a tag start
    longer than ``_TAIL`` bytes split between two chunks is missed, one per 64 KiB at most. The
    counts are a first line: the rows and cells openpyxl returns are counted again as it
    produces them (``reading.first_sheet_rows``).
    """

    def __init__(self, name: bytes) -> None:
        self.pattern = re.compile(rb"<(?:[^\s<>/!?:]+:)?" + name + rb"(?=[\s/>])")
        self.tail = b""
        self.count = 0

    def feed(self, chunk: bytes) -> int:
        buffer = self.tail + chunk
        # Tags wholly inside the tail were counted with the previous chunk.
        self.count += len(self.pattern.findall(buffer)) - len(self.pattern.findall(self.tail))
        self.tail = buffer[-_TAIL:]
        return self.count


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
