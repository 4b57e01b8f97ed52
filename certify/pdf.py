"""Render the 职业技能等级证书 as an A4 PDF (WeasyPrint); ``lib.pdf_fonts`` checks the embedded fonts.

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
import mimetypes
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from weasyprint import CSS, HTML
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
    for entry in settings.STATICFILES_DIRS:
        # An entry may be a (prefix, path) pair.
        dirs.append(Path(entry[1] if isinstance(entry, (tuple, list)) else entry))
    return dirs


def certificate_url_fetcher() -> CertificateURLFetcher:
    """The fetcher used for every certificate render: media and project static folders only."""
    font_dir = Path(settings.SKILLCERT_PDF_FANGSONG_FONT).parent
    return CertificateURLFetcher(allowed_roots=[Path(settings.MEDIA_ROOT), *_static_dirs(), font_dir])


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


# The fill-in text (the holder's particulars, the statement, the issuer and date) is set in a 仿宋
# face, as 人社鉴发〔2021〕1号 asks; characters the 仿宋 face lacks (rare characters in names) fall
# back to the serif faces of the page. The face is a file named by a setting (FandolFang by
# default, from Debian's texlive-lang-chinese: GPL with the font exception).
FANGSONG_FAMILY = "SkillCert FangSong"
FILL_IN_SELECTORS = ".fields td, .statement .zh, .issuer .value"


def fangsong_css(font_config: FontConfiguration, fetcher: CertificateURLFetcher) -> CSS | None:
    path = Path(settings.SKILLCERT_PDF_FANGSONG_FONT)
    if not path.is_file():
        return None
    fallback = '"Noto Serif CJK SC", "BabelStone Han", "HanaMinA", "HanaMinB", serif'
    rules = (
        f'@font-face {{ font-family: "{FANGSONG_FAMILY}"; src: url("{path.resolve().as_uri()}"); }}\n'
        f'{FILL_IN_SELECTORS} {{ font-family: "{FANGSONG_FAMILY}", {fallback}; }}'
    )
    return CSS(string=rules, font_config=font_config, url_fetcher=fetcher)


def _render_document(context: dict[str, Any], *, font_config: FontConfiguration, cache: dict):
    fetcher = certificate_url_fetcher()
    html = render_to_string(TEMPLATE_NAME, _template_context(context, fetcher))
    base_url = (Path(settings.BASE_DIR) / "static").as_uri() + "/"
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    extra = fangsong_css(font_config, fetcher)
    return document.render(font_config=font_config, cache=cache, stylesheets=[extra] if extra else None)


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
