"""Hostile uploads built in memory: small workbooks that unpack to hundreds of MiB, zip directories
that lie about sizes, and images whose headers claim tens of millions of pixels.

A deflate stream of one repeated block is assembled from a single compressed copy of the block
(a full flush makes each copy stand alone), so a 256 MiB part costs a test about 0.1 s and 1 MB.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

from openpyxl import Workbook
from PIL import Image

MIB = 1024 * 1024
SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@dataclass(frozen=True)
class Part:
    """One zip member, already deflated; ``declared_size`` is what the directory claims."""

    name: str
    deflated: bytes
    crc: int
    size: int
    declared_size: int | None = None


def _raw_deflate(data: bytes, mode: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(mode)


def part(name: str, data: bytes, *, declared_size: int | None = None) -> Part:
    return Part(name, _raw_deflate(data, zlib.Z_FINISH), zlib.crc32(data), len(data), declared_size)


def repeated_part(name: str, *, head: bytes, block: bytes, times: int, tail: bytes, declared_size=None) -> Part:
    """``head + block * times + tail`` deflated without ever holding the inflated text."""
    segment = _raw_deflate(block, zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    deflated = _raw_deflate(head, zlib.Z_FULL_FLUSH) + segment * times + _raw_deflate(tail, zlib.Z_FINISH)
    return Part(name, deflated, crc, len(head) + len(block) * times + len(tail), declared_size)


def zip_bytes(parts: list[Part]) -> bytes:
    """A zip archive written by hand, so the sizes in its headers can be made to lie."""
    out, directory = io.BytesIO(), io.BytesIO()
    for item in parts:
        name = item.name.encode()
        size = item.size if item.declared_size is None else item.declared_size
        offset = out.tell()
        out.write(
            struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, item.crc, len(item.deflated), size, len(name), 0)
        )
        out.write(name + item.deflated)
        directory.write(
            struct.pack(
                "<4s6H3L5H2L",
                *(b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, item.crc, len(item.deflated), size, len(name)),
                *(0, 0, 0, 0, 0, offset),
            )
            + name
        )
    start = out.tell()
    out.write(directory.getvalue())
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(parts), len(parts), len(directory.getvalue()), start, 0))
    return out.getvalue()


def workbook_parts(*rows: list) -> list[Part]:
    """The parts of a small, valid workbook written by openpyxl."""
    workbook = Workbook()
    for row in rows:
        workbook.active.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return [part(info.filename, archive.read(info)) for info in archive.infolist()]


def _with_override(parts: list[Part], part_name: str, content_type: str) -> list[Part]:
    result = []
    for item in parts:
        if item.name == "[Content_Types].xml":
            with zipfile.ZipFile(io.BytesIO(zip_bytes([item]))) as archive:
                text = archive.read(item.name).decode()
            override = f'<Override PartName="/{part_name}" ContentType="{content_type}"/></Types>'
            item = part(item.name, text.replace("</Types>", override).encode())
        result.append(item)
    return result


def shared_strings_bomb(*, mib: int = 256, item: bytes | None = None, declared_size: int | None = None) -> bytes:
    """A valid workbook plus a shared-strings part of about ``mib`` MiB of one repeated string."""
    item = item or b"<si><t>" + b"A" * 100 + b"</t></si>"
    block = item * (MIB // len(item))
    strings = repeated_part(
        "xl/sharedStrings.xml",
        head=f'<sst xmlns="{MAIN_NS}">'.encode(),
        block=block,
        times=mib,
        tail=b"</sst>",
        declared_size=declared_size,
    )
    parts = _with_override(workbook_parts(["姓名"], ["张三"]), strings.name, SHARED_STRINGS_TYPE)
    return zip_bytes([*parts, strings])


def sheet_xml(rows: str) -> bytes:
    return f'<worksheet xmlns="{MAIN_NS}"><sheetData>{rows}</sheetData></worksheet>'.encode()


def workbook_with_sheet(sheet: Part) -> bytes:
    """A valid workbook whose first sheet is replaced by ``sheet``."""
    parts = [sheet if item.name == "xl/worksheets/sheet1.xml" else item for item in workbook_parts(["姓名"])]
    return zip_bytes(parts)


def png(width: int, height: int) -> bytes:
    """A real single-colour PNG of ``width``×``height`` pixels; bilevel, so it stays small to build."""
    out = io.BytesIO()
    Image.new("1", (width, height), 1).save(out, format="PNG", optimize=True)
    return out.getvalue()
