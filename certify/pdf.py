"""Render the 职业技能等级证书 as an A4 PDF (WeasyPrint) and check the PDF's embedded fonts.

Pure module: no Django models. The caller turns a certificate into a plain context dict.

Context keys (all required unless marked optional):

- ``number``: 证书编号, 22 characters.
- ``holder_name``: 姓名, printed in full.
- ``id_type_label``: 证件类型 as printed, e.g. ``居民身份证``.
- ``id_number``: 证件号码, printed in full (the paper certificate carries the whole number).
- ``occupation_name``: 职业名称, e.g. ``车工``.
- ``occupation_code``: 职业编码, e.g. ``6-18-01-01``; printed small after the name ("" hides it).
- ``work_type``: 工种/职业方向; ``""`` or ``None`` prints ``--`` (never blank).
- ``level_wording``: 职业技能等级 as printed, e.g. ``三级/高级工``.
- ``organization_name``: 评价机构名称, exactly as filed.
- ``issue_date``: ``datetime.date``; printed ``2026年11月25日``.
- ``verify_url``: the signed verification URL encoded in the QR code.
- ``photo_path``: absolute path of the normalised holder photo, or ``None`` (a neutral frame
  is drawn; issuance itself must be blocked by the caller when the photo is missing).
- ``seal_path``: absolute path of the organisation's seal PNG, or ``None`` (nothing drawn).
- ``print_note``: e.g. ``补发（第 2 次打印）``, or ``""``.
- ``specimen`` (optional, default ``False``): print a faint 样本 watermark (template previews).

Image paths must lie under ``MEDIA_ROOT`` or a project static folder; any other path is
treated as absent, and the URL fetcher refuses it anyway.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import mimetypes
import re
import unicodedata
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit
from urllib.request import url2pathname

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from fontTools.pens.boundsPen import ControlBoundsPen
from fontTools.ttLib import TTFont
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

TEMPLATE_NAME = "certify/certificate_pdf.html"
CERTIFICATE_LOOKUP_URL = "http://jndj.osta.org.cn"
ORGANIZATION_LOOKUP_URL = "http://pjjg.osta.org.cn"
EMPTY_WORK_TYPE = "--"


# --- QR code ------------------------------------------------------------------------------
def qr_svg(url: str) -> str:
    """Inline SVG of a QR code for ``url``: error level at least M, sized by CSS.

    segno may raise the level above M when that fits the same version (free robustness).
    """
    qr = segno.make(url, error="M", micro=False)
    return qr.svg_inline(dark="#000", light="#fff", border=2, omitsize=True, svgclass="qr-code", lineclass=None)


# --- resource fetching --------------------------------------------------------------------
class ResourceRefused(ValueError):
    """A resource outside the allowed folders, or on the network."""


class CertificateURLFetcher(URLFetcher):
    """Fetches ``data:`` URLs and files under the allowed folders; refuses everything else.

    A certificate must never depend on (or leak to) the network, and a crafted path in a
    context must not pull arbitrary local files into a PDF.
    """

    def __init__(self, *, allowed_roots: Iterable[Path | str]) -> None:
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
        self.allowed_roots = tuple(Path(root).resolve() for root in allowed_roots)

    def is_allowed(self, path: Path | str) -> bool:
        resolved = Path(path).resolve()
        return resolved.is_file() and any(resolved.is_relative_to(root) for root in self.allowed_roots)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(url2pathname(parts.path))
            if path.is_absolute() and self.is_allowed(path):
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    path.resolve().as_uri(), path.read_bytes(), headers={"Content-Type": content_type}
                )
        raise ResourceRefused(f"Refused to fetch {url[:200]}")


def _static_dirs() -> list[Path]:
    dirs = [Path(settings.BASE_DIR) / "static"]
    for entry in getattr(settings, "STATICFILES_DIRS", []):
        # An entry may be a (prefix, path) pair.
        dirs.append(Path(entry[1] if isinstance(entry, (tuple, list)) else entry))
    return dirs


def certificate_url_fetcher() -> CertificateURLFetcher:
    """The fetcher used for every certificate render: media and project static folders only."""
    return CertificateURLFetcher(allowed_roots=[Path(settings.MEDIA_ROOT), *_static_dirs()])


# --- rendering ------------------------------------------------------------------------------
def issue_date_text(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def certificate_context_example() -> dict[str, Any]:
    """A complete context with the example photo and seal under ``static/certify/example/``."""
    example_dir = Path(settings.BASE_DIR) / "static" / "certify" / "example"
    return {
        "number": "Y000044001234263000017",
        "holder_name": "李建国",
        "id_type_label": "居民身份证",
        "id_number": "441900199003071234",
        "occupation_name": "车工",
        "occupation_code": "6-18-01-01",
        "work_type": "数控车工",
        "level_wording": "三级/高级工",
        "organization_name": "东莞市示例精密机械有限公司",
        "issue_date": dt.date(2026, 11, 25),
        "verify_url": (
            "https://skillcert.example.cn/v/Y000044001234263000017"
            "?s=3q2-7wKxZc1vYp0bGm8sQ4nT6dLh9aRfUe5jWk2oXyB1cN7iMgV0tHr3SuE8lPqDzA4fJ6mKx9wC2bY5nR7gT1h"
        ),
        "photo_path": str(example_dir / "photo.jpg"),
        "seal_path": str(example_dir / "seal.png"),
        "print_note": "",
        "check_code": "7KQ2-M9XD-4TBN-HC3R",
        "specimen": False,
    }


def _file_url(path: str | Path | None, fetcher: CertificateURLFetcher) -> str | None:
    if not path:
        return None
    candidate = Path(path)
    if not candidate.is_absolute() or not fetcher.is_allowed(candidate):
        return None
    return candidate.resolve().as_uri()


def _display_width(text: str) -> float:
    """Width in CJK character cells: Latin letters and digits are about half a cell."""
    return sum(1 if unicodedata.east_asian_width(char) in "WF" else 0.55 for char in text)


def _fit_class(text: str, *, one_line: float) -> str:
    """CSS class that shrinks a long value so it keeps to one line, or two when very long."""
    width = _display_width(text)
    if width <= one_line:
        return ""
    return "long" if width <= one_line * 1.5 else "longer"


def _template_context(context: dict[str, Any], fetcher: CertificateURLFetcher) -> dict[str, Any]:
    work_type = (context.get("work_type") or "").strip()
    occupation_code = context.get("occupation_code") or ""
    return {
        "number": context["number"],
        "holder_name": context["holder_name"],
        "id_type_label": context["id_type_label"],
        "id_number": context["id_number"],
        "occupation_name": context["occupation_name"],
        "occupation_code": occupation_code,
        "work_type": work_type or EMPTY_WORK_TYPE,
        "level_wording": context["level_wording"],
        "organization_name": context["organization_name"],
        "issue_date_text": issue_date_text(context["issue_date"]),
        # segno's own markup, no user text inside: safe to insert as-is.
        "qr_svg": mark_safe(qr_svg(context["verify_url"])),
        "photo_url": _file_url(context.get("photo_path"), fetcher),
        "seal_url": _file_url(context.get("seal_path"), fetcher),
        "print_note": context.get("print_note") or "",
        "fit": {
            "holder_name": _fit_class(context["holder_name"], one_line=14),
            "id_type_label": _fit_class(context["id_type_label"], one_line=17),
            "occupation_name": _fit_class(
                context["occupation_name"] + occupation_code * bool(occupation_code), one_line=20
            ),
            "work_type": _fit_class(work_type, one_line=17),
            "organization_name": _fit_class(context["organization_name"], one_line=17),
        },
        "specimen": bool(context.get("specimen")),
        "check_code": context.get("check_code") or "",
        "view_only": bool(context.get("view_only")),
        "certificate_lookup_url": CERTIFICATE_LOOKUP_URL,
        "organization_lookup_url": ORGANIZATION_LOOKUP_URL,
    }


def _render_document(context: dict[str, Any], *, font_config: FontConfiguration, cache: dict):
    fetcher = certificate_url_fetcher()
    html = render_to_string(TEMPLATE_NAME, _template_context(context, fetcher))
    base_url = (Path(settings.BASE_DIR) / "static").as_uri() + "/"
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    return document.render(font_config=font_config, cache=cache)


def render_certificate_pdf(context: dict[str, Any]) -> bytes:
    """One certificate as a one-page A4 PDF."""
    return render_certificates_pdf([context])


def render_certificates_pdf(contexts: list[dict[str, Any]]) -> bytes:
    """A batch as one PDF, one page per certificate, fonts embedded once for the whole file."""
    if not contexts:
        raise ValueError("render_certificates_pdf needs at least one context")
    font_config = FontConfiguration()
    image_cache: dict = {}
    pages = []
    first = None
    for context in contexts:
        document = _render_document(context, font_config=font_config, cache=image_cache)
        if first is None:
            first = document
        pages.extend(document.pages)
        # WeasyPrint's memory swings by hundreds of MB over repeated renders without a collection;
        # one every 20 pages keeps it flat without paying 100 ms per page.
        if len(pages) % 20 == 0:
            gc.collect()
    pdf = first.copy(pages).write_pdf()
    del first, pages, image_cache
    gc.collect()
    return pdf


# --- embedded-font check ---------------------------------------------------------------------
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
