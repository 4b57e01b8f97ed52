"""Draw a demo seal for an organisation: a red ring, its name around the top, a star, a subtitle.

Pure module (Pillow only), for the demo and the test scenarios, so each demo organisation's
certificates carry a seal with that organisation's own name. Not a real seal: a real one is a scan
uploaded by the organisation.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SEAL_RED = (200, 30, 40, 255)
SUBTITLE = "技能评价专用章"

# Fonts that draw Chinese, tried in order (the .ttc index 2 is the Simplified Chinese face).
CJK_FONTS: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol/FandolFang-Regular.otf", 0),
)


def _font(size: int, font_path: Path | None):
    candidates = [(str(font_path), 0)] if font_path else list(CJK_FONTS)
    for path, index in candidates:
        try:
            return ImageFont.truetype(path, size=size, index=index)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, radius: float) -> None:
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.382
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    draw.polygon(points, fill=SEAL_RED)


def _glyph(char: str, font, box: int) -> Image.Image:
    tile = Image.new("RGBA", (box, box), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text((box / 2, box / 2), char, font=font, fill=SEAL_RED, anchor="mm")
    return tile


def draw_seal(name: str, *, subtitle: str = SUBTITLE, size: int = 600, font_path: Path | None = None) -> bytes:
    """A PNG of a round seal with ``name`` along the top arc, a star in the middle and ``subtitle``."""
    name = name.strip() or "?"
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    centre = size / 2
    ring = size * 0.47
    draw.ellipse(
        (centre - ring, centre - ring, centre + ring, centre + ring), outline=SEAL_RED, width=max(4, size // 40)
    )
    _star(draw, centre, centre, size * 0.15)
    # The name along an arc of up to 240°, centred on the top, read clockwise.
    span = min(240.0, 22.0 * len(name))
    step = span / max(1, len(name) - 1) if len(name) > 1 else 0.0
    glyph = int(min(size * 0.11, (ring * 0.8) * math.radians(max(step, 12.0))))
    font = _font(glyph, font_path)
    text_radius = ring - size * 0.045 - glyph / 2
    for i, char in enumerate(name):
        degrees = -span / 2 + i * step  # 0° is the top, clockwise positive
        theta = math.radians(degrees - 90)
        tile = _glyph(char, font, glyph + 8).rotate(-degrees, resample=Image.Resampling.BICUBIC)
        x = centre + text_radius * math.cos(theta) - tile.width / 2
        y = centre + text_radius * math.sin(theta) - tile.height / 2
        image.alpha_composite(tile, (int(x), int(y)))
    if subtitle:
        small = _font(int(size * 0.06), font_path)
        draw.text((centre, centre + size * 0.27), subtitle, font=small, fill=SEAL_RED, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
