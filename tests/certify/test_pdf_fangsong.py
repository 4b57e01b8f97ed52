"""Issue 12: the certificate's fill-in text is set in a 仿宋 face (人社鉴发〔2021〕1号 §5), with no
missing glyph — checked in the embedded fonts of the rendered PDF, not in extracted text (which
would show a character drawn as an empty box too)."""

from pathlib import Path

from django.conf import settings

from certify.pdf import FANGSONG_FAMILY, certificate_context_example, render_certificate_pdf
from lib.pdf_fonts import glyph_fonts, missing_glyphs

FANGSONG = FANGSONG_FAMILY.replace(" ", "-")


def test_the_fangsong_face_is_installed_by_the_set_up():
    assert Path(settings.SKILLCERT_PDF_FANGSONG_FONT).is_file(), "scripts/setup.sh installs texlive-lang-chinese"


def test_the_fill_in_text_is_set_in_fangsong_and_rare_characters_fall_back_to_a_face_that_has_them():
    context = certificate_context_example()
    context["holder_name"] = "李建𠮷"  # 𠮷 (U+20BB7) is in no 仿宋 face
    pdf = render_certificate_pdf(context)
    fill_in = "".join(
        context[k] for k in ("holder_name", "id_type_label", "occupation_name", "work_type", "organization_name")
    )

    drawn = glyph_fonts(pdf, fill_in)
    in_fangsong = set().union(*(chars for name, chars in drawn.items() if name.startswith(FANGSONG)))

    assert missing_glyphs(pdf, fill_in) == set()
    assert set(fill_in) - {"𠮷"} <= in_fangsong  # every common character of the fill-in text
    assert "𠮷" in set().union(*(c for n, c in drawn.items() if not n.startswith(FANGSONG)))
    # the printed headings keep the serif face
    assert any(name.startswith("Noto-Serif-CJK-SC") for name in glyph_fonts(pdf, "职业技能等级证书"))
