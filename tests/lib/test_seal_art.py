"""The demo seal drawer: each organisation's name gives its own seal, which the seal upload accepts."""

from __future__ import annotations

import io

from PIL import Image

from lib.images import normalise_seal
from lib.seal_art import draw_seal


def test_a_seal_is_a_png_with_red_ink_and_differs_by_name():
    hk = draw_seal("东莞市华科精密制造有限公司")
    yh = draw_seal("东莞市粤海电子科技有限公司")
    assert hk != yh
    image = Image.open(io.BytesIO(hk))
    assert image.format == "PNG"
    red = [p for p in image.convert("RGBA").get_flattened_data() if p[3] > 0 and p[0] > 150 and p[1] < 80]
    assert len(red) > 1000


def test_the_same_name_draws_the_same_seal():
    assert draw_seal("东莞市华科精密制造有限公司") == draw_seal("东莞市华科精密制造有限公司")


def test_the_seal_upload_check_accepts_a_drawn_seal():
    png = normalise_seal(draw_seal("东莞市华科精密制造有限公司"))
    assert Image.open(io.BytesIO(png)).format == "PNG"
