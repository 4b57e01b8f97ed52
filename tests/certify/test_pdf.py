"""The certificate PDF: one A4 page with every mandatory field, a QR code that decodes, real glyphs
for rare characters, and a URL fetcher that keeps the renderer off the network and out of /etc."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from certify.pdf import (
    ResourceRefused,
    certificate_context_example,
    certificate_url_fetcher,
    qr_svg,
    render_certificate_pdf,
    render_certificates_pdf,
)
from lib.pdf_fonts import missing_glyphs

RARE_NAME = "𠮷野家"
RARE_CHARACTERS = "䶮𪚥堃喆赟"
# Characters no common font draws (CJK Extension I, Kawi, Cyrillic Extended-D).
UNDRAWABLE_CANDIDATES = ("\U0002ebf0", "\U00011f00", "\U0001e030")


@cache
def _font_families_for(char: str) -> tuple[str, ...]:
    if not shutil.which("fc-list"):
        return ()
    result = subprocess.run(
        ["fc-list", f":charset={ord(char):x}", "family"], capture_output=True, text=True, check=False
    )
    return tuple(line for line in result.stdout.splitlines() if line.strip())


def _has_font_family(family: str) -> bool:
    if not shutil.which("fc-list"):
        return False
    result = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, check=False)
    return family in result.stdout


needs_poppler = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("pdftotext", "pdftoppm", "pdfinfo")),
    reason="poppler-utils (pdftotext, pdftoppm, pdfinfo) not installed",
)
needs_cjk_font = pytest.mark.skipif(
    not _has_font_family("Noto Serif CJK SC"), reason="fonts-noto-cjk (Noto Serif CJK SC) not installed"
)


def _text(pdf: bytes, *, layout: bool = False) -> str:
    args = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), "-", "-"]
    return subprocess.run(args, input=pdf, capture_output=True, check=True).stdout.decode()


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _pdfinfo(pdf: bytes) -> str:
    return subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def _page_count(pdf: bytes) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", _pdfinfo(pdf), re.M)[1])


def _image_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Subtype\s*/Image", pdf))


@pytest.fixture(scope="module")
def example_context():
    return certificate_context_example()


@pytest.fixture(scope="module")
def example_pdf(example_context):
    return render_certificate_pdf(example_context)


# --- QR SVG -----------------------------------------------------------------------------------
def test_the_qr_svg_is_inline_markup_sized_by_css():
    svg = qr_svg("https://skillcert.example.cn/v/Y000044001234263000017?s=abc")

    root = svg[: svg.index(">") + 1]
    assert svg.startswith("<svg")
    assert "<?xml" not in svg
    assert "viewBox" in root
    assert "width=" not in root and "height=" not in root
    assert "#000" in svg


# --- layout and fields ------------------------------------------------------------------------
@needs_poppler
def test_it_renders_one_a4_page(example_pdf):
    info = _pdfinfo(example_pdf)
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())

    assert _page_count(example_pdf) == 1
    assert abs(width - 595) <= 1
    assert abs(height - 842) <= 1


@needs_poppler
@needs_cjk_font
def test_it_prints_every_mandatory_field(example_pdf, example_context):
    text = _compact(_text(example_pdf))

    for expected in (
        "职业技能等级证书",
        "经评价，该同志职业技能等级达到三级/高级工，特发此证。",
        example_context["organization_name"],
        "2026年11月25日",
        example_context["holder_name"],
        "证件类型",
        "居民身份证",
        "证件号码",
        "441900199003071234",
        "职业名称",
        "车工",
        "6-18-01-01",
        "工种/职业方向",
        "数控车工",
        "职业技能等级",
        "三级/高级工",
        "证书编号",
        "Y000044001234263000017",
        "扫码验证真伪",
        "证书查询：http://jndj.osta.org.cn",
        "机构查询：http://pjjg.osta.org.cn",
    ):
        assert expected in text, expected
    # The two-character label is spread as 姓　　名 with its English line in between.
    assert re.search(r"姓(Name)?名", text)


def test_it_embeds_the_photo_and_the_seal_of_the_example(example_pdf):
    # The photo, the seal and the seal's transparency mask.
    assert _image_count(example_pdf) >= 3


@needs_poppler
@needs_cjk_font
def test_it_prints_two_dashes_when_there_is_no_work_type(example_context):
    with_work_type = _text(render_certificate_pdf(example_context), layout=True)
    without = _text(render_certificate_pdf({**example_context, "work_type": ""}), layout=True)

    assert "数控车工" in with_work_type and "--" not in with_work_type
    assert "数控车工" not in without
    assert re.search(r"^\s*--\s*$|\s--\s", without, re.M)


@needs_poppler
@needs_cjk_font
def test_it_prints_the_reissue_note_only_when_given(example_context):
    plain = _compact(_text(render_certificate_pdf(example_context)))
    reissued = _compact(_text(render_certificate_pdf({**example_context, "print_note": "补发（第 2 次打印）"})))

    assert "补发" not in plain
    assert "补发（第2次打印）" in reissued


@needs_poppler
def test_the_qr_code_decodes_to_the_verify_url_at_150_dpi(example_pdf, example_context, tmp_path):
    zxingcpp = pytest.importorskip("zxingcpp")
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", "-", str(tmp_path / "page")], input=example_pdf, check=True
    )

    results = zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))

    assert [result.text for result in results] == [example_context["verify_url"]]


# --- glyphs ------------------------------------------------------------------------------------
@needs_cjk_font
def test_it_draws_a_rare_character_name_with_real_glyphs(example_context):
    name = RARE_NAME + RARE_CHARACTERS
    uncovered = [char for char in name if not _font_families_for(char)]
    if uncovered:
        pytest.skip(f"no installed font covers {uncovered}: install fonts-babelstone-han")

    pdf = render_certificate_pdf({**example_context, "holder_name": name})

    assert missing_glyphs(pdf, name) == set()
    assert missing_glyphs(pdf, "职业技能等级证书三级/高级工") == set()


@needs_poppler
@needs_cjk_font
def test_it_reports_a_character_drawn_as_an_empty_box_although_text_extraction_finds_it(example_context):
    undrawable = next((char for char in UNDRAWABLE_CANDIDATES if not _font_families_for(char)), None)
    if undrawable is None:
        pytest.skip("every candidate character has a font on this machine")
    name = f"张{undrawable}明"

    pdf = render_certificate_pdf({**example_context, "holder_name": name})

    assert undrawable in _text(pdf)
    assert missing_glyphs(pdf, name) == {undrawable}


def test_missing_glyphs_ignores_whitespace(example_pdf):
    assert missing_glyphs(example_pdf, " \n\t") == set()


# --- URL fetcher ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/logo.png",
        "https://example.com/logo.png",
        "ftp://example.com/logo.png",
        "file:///etc/passwd",
        "file://evil.example/etc/passwd",
    ],
)
def test_the_url_fetcher_refuses_the_network_and_files_outside_media_and_static(url):
    with pytest.raises(ResourceRefused):
        certificate_url_fetcher().fetch(url)


def test_the_url_fetcher_refuses_a_path_that_climbs_out_of_the_static_folder():
    static = Path(settings.BASE_DIR) / "static"
    climbing = f"{static.as_uri()}/../../../../../../etc/passwd"

    with pytest.raises(ResourceRefused):
        certificate_url_fetcher().fetch(climbing)


def test_the_url_fetcher_serves_static_files_and_data_urls():
    fetcher = certificate_url_fetcher()
    corner = (Path(settings.BASE_DIR) / "static" / "certify" / "corner.svg").as_uri()

    assert b"<svg" in fetcher.fetch(corner).read()
    assert fetcher.fetch("data:text/plain;base64,5q2j").read() == "正".encode()


def test_it_draws_a_photo_from_media_but_not_one_from_elsewhere(settings, tmp_path, example_context):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    photo = Image.new("RGB", (413, 579), (90, 120, 160))
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG")
    inside = tmp_path / "media" / "photos" / "p.jpg"
    outside = tmp_path / "elsewhere" / "p.jpg"
    for path in (inside, outside):
        path.parent.mkdir(parents=True)
        path.write_bytes(buffer.getvalue())
    context = {**example_context, "seal_path": None}

    assert _image_count(render_certificate_pdf({**context, "photo_path": str(inside)})) == 1
    assert _image_count(render_certificate_pdf({**context, "photo_path": str(outside)})) == 0
    assert _image_count(render_certificate_pdf({**context, "photo_path": "/etc/passwd"})) == 0


@needs_poppler
@needs_cjk_font
def test_it_draws_a_placeholder_frame_without_a_photo_or_seal(example_context):
    pdf = render_certificate_pdf({**example_context, "photo_path": None, "seal_path": None})

    assert _page_count(pdf) == 1
    assert _image_count(pdf) == 0
    assert "照片" in _compact(_text(pdf))


# --- batch ------------------------------------------------------------------------------------------
@needs_poppler
@needs_cjk_font
def test_a_batch_of_three_makes_one_pdf_of_three_pages(example_context):
    contexts = [
        {**example_context, "holder_name": name, "number": f"Y00004400123426300001{i}"}
        for i, name in enumerate(["王芳", "陈志强", "黄丽娟"], start=1)
    ]

    pdf = render_certificates_pdf(contexts)

    assert _page_count(pdf) == 3
    text = _compact(_text(pdf))
    for context in contexts:
        assert context["holder_name"] in text
        assert context["number"] in text


def test_an_empty_batch_is_refused():
    with pytest.raises(ValueError):
        render_certificates_pdf([])
