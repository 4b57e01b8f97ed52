"""Which characters of a text a PDF draws with a real glyph (pure module: bytes in, a set out).

Text extraction cannot answer this: a character drawn as an empty box (.notdef) still extracts.
So for each embedded font, follow text code → CID → glyph id and keep the characters whose glyph
is neither .notdef nor empty. Used to refuse a certificate PDF that would print a name as boxes.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Iterator
from typing import Any, NamedTuple

from fontTools.pens.boundsPen import ControlBoundsPen
from fontTools.ttLib import TTFont


def missing_glyphs(pdf_bytes: bytes, text: str) -> set[str]:
    """Characters of ``text`` that no font embedded in the PDF draws with a real glyph.

    Text extraction cannot answer this: a character drawn as an empty box (.notdef) still
    extracts. So for each embedded Type0 font, follow text code → CID → glyph id and keep the
    characters whose glyph is neither .notdef nor empty. Whitespace is ignored.
    """
    wanted = {ch for ch in text if not ch.isspace()}
    if not wanted:
        return set()
    objects = _pdf_objects(pdf_bytes)
    drawable: set[str] = set()
    for font in objects.values():
        if isinstance(font, dict) and font.get("Type") == "Font":
            drawable |= _drawable_chars(font, objects, wanted - drawable)
        if wanted <= drawable:
            break
    return wanted - drawable


def glyph_fonts(pdf_bytes: bytes, text: str) -> dict[str, set[str]]:
    """Embedded font name (subset tag dropped) → the characters of ``text`` it draws with a glyph."""
    wanted = {ch for ch in text if not ch.isspace()}
    objects = _pdf_objects(pdf_bytes)
    found: dict[str, set[str]] = {}
    for font in objects.values():
        if isinstance(font, dict) and font.get("Type") == "Font" and font.get("Subtype") == "Type0":
            chars = _drawable_chars(font, objects, wanted)
            if chars:
                name = str(font.get("BaseFont", "")).split("+", 1)[-1]
                found.setdefault(name, set()).update(chars)
    return found


class _Ref(NamedTuple):
    number: int
    generation: int


class _Name(str):
    __slots__ = ()


class _Stream(NamedTuple):
    attrs: dict
    raw: bytes


_TOKEN_RE = re.compile(
    rb"(?P<space>(?:[\x00\t\n\x0c\r ]+|%[^\r\n]*)+)"
    rb"|(?P<dict_open><<)|(?P<dict_close>>>)|(?P<array_open>\[)|(?P<array_close>\])"
    rb"|(?P<ref>\d+[\x00\t\n\x0c\r ]+\d+[\x00\t\n\x0c\r ]+R(?![^\x00\t\n\x0c\r ()<>\[\]{}/%]))"
    rb"|(?P<number>[+-]?(?:\d+\.?\d*|\.\d+))"
    rb"|(?P<name>/[^\x00\t\n\x0c\r ()<>\[\]{}/%]*)"
    rb"|(?P<hex><[0-9A-Fa-f\x00\t\n\x0c\r ]*>)"
    rb"|(?P<literal>\()"
    rb"|(?P<keyword>[^\x00\t\n\x0c\r ()<>\[\]{}/%]+)"
)
_OBJ_RE = re.compile(rb"(\d+)[\x00\t\n\x0c\r ]+(\d+)[\x00\t\n\x0c\r ]+obj\b")
_STREAM_RE = re.compile(rb"[\x00\t\n\x0c\r ]*stream\r?\n")
_KEYWORDS = {b"true": True, b"false": False, b"null": None}


def _skip_literal(data: bytes, pos: int) -> int:
    """Position just after the literal string opened at ``pos - 1`` (nested parentheses)."""
    depth = 1
    while depth:
        char = data[pos : pos + 1]
        if not char:
            raise ValueError("unterminated string")
        if char == b"\\":
            pos += 1
        elif char == b"(":
            depth += 1
        elif char == b")":
            depth -= 1
        pos += 1
    return pos


def _parse_value(data: bytes, pos: int) -> tuple[Any, int]:
    """One PDF object starting at ``pos``; returns it and the position after it."""
    stack: list[list] = []
    while True:
        match = _TOKEN_RE.match(data, pos)
        if not match:
            raise ValueError(f"unparsable PDF at {pos}")
        pos = match.end()
        kind = match.lastgroup
        if kind == "space":
            continue
        if kind in ("dict_open", "array_open"):
            stack.append([kind])
            continue
        if kind in ("dict_close", "array_close"):
            items = stack.pop()[1:]
            value = dict(zip(items[::2], items[1::2], strict=False)) if kind == "dict_close" else items
        elif kind == "ref":
            number, generation = match[0].split()[:2]
            value = _Ref(int(number), int(generation))
        elif kind == "number":
            value = float(match[0]) if b"." in match[0] else int(match[0])
        elif kind == "name":
            raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes.fromhex(m[1].decode()), match[0][1:])
            value = _Name(raw.decode("latin-1"))
        elif kind == "hex":
            digits = re.sub(rb"[^0-9A-Fa-f]", b"", match[0]).decode()
            value = bytes.fromhex(digits + "0" * (len(digits) % 2))
        elif kind == "literal":
            start = pos
            pos = _skip_literal(data, pos)
            value = data[start : pos - 1]
        else:
            value = _KEYWORDS.get(match[0], _Name(match[0].decode("latin-1")))
        if not stack:
            return value, pos
        stack[-1].append(value)


def _decode_stream(stream: _Stream) -> bytes | None:
    filters = stream.attrs.get("Filter")
    filters = filters if isinstance(filters, list) else [filters] if filters else []
    data = stream.raw
    for name in filters:
        if name != "FlateDecode":
            return None
        data = zlib.decompress(data)
    return data


def _scan_objects(data: bytes) -> Iterator[tuple[int, Any]]:
    pos = 0
    while match := _OBJ_RE.search(data, pos):
        try:
            value, end = _parse_value(data, match.end())
        except (ValueError, IndexError):
            pos = match.end()
            continue
        stream = _STREAM_RE.match(data, end)
        if stream and isinstance(value, dict):
            start = stream.end()
            length = value.get("Length")
            if not isinstance(length, int) or data.find(b"endstream", start + length, start + length + 32) < 0:
                length = data.find(b"endstream", start) - start
            value = _Stream(value, data[start : start + length])
            end = start + length
        yield int(match[1]), value
        pos = end


def _pdf_objects(pdf_bytes: bytes) -> dict[int, Any]:
    """All indirect objects of a PDF, including those packed in object streams."""
    objects = dict(_scan_objects(pdf_bytes))
    for value in list(objects.values()):
        if isinstance(value, _Stream) and value.attrs.get("Type") == "ObjStm":
            packed = _decode_stream(value)
            if packed is None:
                continue
            first = value.attrs.get("First", 0)
            header = packed[:first].split()
            for number, offset in zip(header[::2], header[1::2], strict=False):
                try:
                    objects.setdefault(int(number), _parse_value(packed, first + int(offset))[0])
                except (ValueError, IndexError):
                    continue
    return objects


def _resolve(value: Any, objects: dict[int, Any]) -> Any:
    while isinstance(value, _Ref):
        value = objects.get(value.number)
    return value


def _cmap_sections(cmap: str, kind: str) -> Iterator[list[str]]:
    for section in re.findall(rf"begin{kind}(.*?)end{kind}", cmap, re.S):
        yield re.findall(r"<[0-9A-Fa-f]*>|\[|\]|\d+", section)


def _hex(token: str) -> int:
    return int(token[1:-1] or "0", 16)


def _hex_text(token: str) -> str:
    return bytes.fromhex(token[1:-1]).decode("utf-16-be", errors="replace")


def _to_unicode_map(cmap: str) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for tokens in _cmap_sections(cmap, "bfchar"):
        for code, text in zip(tokens[::2], tokens[1::2], strict=False):
            mapping[_hex(code)] = _hex_text(text)
    for tokens in _cmap_sections(cmap, "bfrange"):
        i = 0
        while i + 2 < len(tokens):
            low, high = _hex(tokens[i]), _hex(tokens[i + 1])
            if tokens[i + 2] == "[":
                close = tokens.index("]", i + 3)
                for offset, text in enumerate(tokens[i + 3 : close]):
                    mapping[low + offset] = _hex_text(text)
                i = close + 1
            else:
                start = _hex_text(tokens[i + 2])
                for offset in range(high - low + 1):
                    mapping[low + offset] = start[:-1] + chr(ord(start[-1]) + offset) if start else ""
                i += 3
    return mapping


def _code_to_cid(encoding: Any, objects: dict[int, Any]) -> dict[int, int] | None:
    """Explicit code → CID map of a CMap stream; ``None`` means identity."""
    encoding = _resolve(encoding, objects)
    if not isinstance(encoding, _Stream):
        return None
    cmap = (_decode_stream(encoding) or b"").decode("latin-1")
    mapping: dict[int, int] = {}
    for tokens in _cmap_sections(cmap, "cidchar"):
        for code, cid in zip(tokens[::2], tokens[1::2], strict=False):
            mapping[_hex(code)] = int(cid)
    for tokens in _cmap_sections(cmap, "cidrange"):
        for low, high, cid in zip(tokens[::3], tokens[1::3], tokens[2::3], strict=False):
            for offset in range(_hex(high) - _hex(low) + 1):
                mapping[_hex(low) + offset] = int(cid) + offset
    return mapping


def _cid_to_gid(cid_font: dict, objects: dict[int, Any]) -> bytes | None:
    """Explicit CIDToGIDMap bytes (2 per CID); ``None`` means identity."""
    mapping = _resolve(cid_font.get("CIDToGIDMap"), objects)
    return _decode_stream(mapping) if isinstance(mapping, _Stream) else None


def _load_font_program(cid_font: dict, objects: dict[int, Any]) -> TTFont | None:
    descriptor = _resolve(cid_font.get("FontDescriptor"), objects) or {}
    for key in ("FontFile2", "FontFile3"):
        stream = _resolve(descriptor.get(key), objects)
        if isinstance(stream, _Stream):
            program = _decode_stream(stream)
            if program:
                try:
                    return TTFont(io.BytesIO(program), lazy=True)
                except Exception:  # a bare CFF or a broken program: nothing it draws is trusted
                    return None
    return None


def _glyph_is_drawn(font: TTFont, gid: int) -> bool:
    """True when ``gid`` is a real glyph with an outline (not .notdef, not emptied by subsetting)."""
    glyph_order = font.getGlyphOrder()
    if gid <= 0 or gid >= len(glyph_order):
        return False
    glyph_set = font.getGlyphSet()
    pen = ControlBoundsPen(glyph_set)
    glyph_set[glyph_order[gid]].draw(pen)
    return pen.bounds is not None


def _drawable_chars(font_dict: dict, objects: dict[int, Any], wanted: set[str]) -> set[str]:
    to_unicode = _resolve(font_dict.get("ToUnicode"), objects)
    if not wanted or not isinstance(to_unicode, _Stream):
        return set()
    code_map = _to_unicode_map((_decode_stream(to_unicode) or b"").decode("latin-1"))
    candidates = {code: text for code, text in code_map.items() if wanted.intersection(text)}
    if not candidates:
        return set()
    if font_dict.get("Subtype") == "Type3":
        # Bitmap glyphs are drawn from the font's own procedures: present means drawn.
        return wanted.intersection("".join(candidates.values()))
    descendants = _resolve(font_dict.get("DescendantFonts"), objects) or []
    cid_font = _resolve(descendants[0], objects) if descendants else None
    if font_dict.get("Subtype") != "Type0" or not isinstance(cid_font, dict):
        return set()
    program = _load_font_program(cid_font, objects)
    if program is None:
        return set()
    code_to_cid = _code_to_cid(font_dict.get("Encoding"), objects)
    cid_to_gid = _cid_to_gid(cid_font, objects)
    drawable: set[str] = set()
    for code, text in candidates.items():
        cid = code if code_to_cid is None else code_to_cid.get(code, 0)
        gid = cid if cid_to_gid is None else int.from_bytes(cid_to_gid[2 * cid : 2 * cid + 2] or b"\0\0", "big")
        if _glyph_is_drawn(program, gid):
            drawable |= wanted.intersection(text)
    return drawable
