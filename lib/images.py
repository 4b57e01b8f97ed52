"""Check and normalise uploaded holder photos and seal images. Pure module: Pillow only.

Photo: JPEG or PNG (judged by content, never by file name), at most 5 MB, at least 200×280 px,
portrait close to 5:7 (1-inch 25×35 mm; 2:3 … 4:5 pass). EXIF orientation is applied, then
the image is fitted into 413×579 px on white and saved as JPEG without metadata. 413×579 px is
the 35×49 mm (2-inch) photo at 300 dpi; printed in the certificate's 25×35 mm frame it gives
about 420 dpi, so the photo stays sharp on any office printer.

Seal: PNG with transparency, or a scan (JPEG/PNG) on near-white paper whose paper is made
transparent; at most 2 MB, at least 200×200 px, roughly square. The result is trimmed to the
ink, at most 600 px on its longest side (a 40 mm seal at ≈380 dpi), saved as PNG.

Every check raises ``ImageRejected`` with a Chinese message saying what is wrong and what to
upload instead. The pixel caps (``SKILLCERT_UPLOAD_PHOTO_MAX_PIXELS``, about 12 MP, and
``SKILLCERT_UPLOAD_SEAL_MAX_PIXELS``, about 4 MP) are checked on the size the header declares,
before a pixel is decoded: a 185 KB PNG can declare 6400×9000 pixels, and decoding and converting
it took a worker to 1 GB.
"""

from __future__ import annotations

import io
import struct

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageChops, ImageOps

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MIN_SIZE = (200, 280)
PHOTO_SIZE = (413, 579)
# Width / height: 5:7 is 0.714; 2:3 phone crops (0.667) and 3:4 (0.75) pass, squares do not.
PHOTO_ASPECT_RANGE = (0.62, 0.81)
PHOTO_JPEG_QUALITY = 90

SEAL_MAX_BYTES = 2 * 1024 * 1024
SEAL_MIN_SIDE = 200
SEAL_MAX_SIDE = 600
SEAL_ASPECT_RANGE = (0.8, 1.25)

_SIGNATURES = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG"}
_EXIF_ORIENTATION = 0x0112
_SWAPPING_ORIENTATIONS = {5, 6, 7, 8}
# A seal scan's paper: pixels whose darkest channel is this light become fully transparent;
# ink reaches full opacity INK_RAMP levels darker.
PAPER_DARKNESS = 24
INK_RAMP = 96
_ALPHA_VISIBLE = 8


class ImageRejected(Exception):
    """An upload that cannot be used; ``message`` tells the user what to upload instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- shared checks --------------------------------------------------------------------------
def _sniff_format(data: bytes) -> str | None:
    for signature, name in _SIGNATURES.items():
        if data.startswith(signature):
            return name
    return None


def _open(data: bytes, *, not_an_image: str, max_pixels: int) -> Image.Image:
    """Open JPEG/PNG bytes lazily (header only) or raise ``ImageRejected``; nothing is decoded here."""
    expected = _sniff_format(data)
    if expected is None:
        if data.startswith((b"GIF87a", b"GIF89a")):
            raise ImageRejected(_("不支持 GIF 格式的图片。") + not_an_image)
        raise ImageRejected(_("上传的文件不是 JPG 或 PNG 图片。") + not_an_image)
    try:
        image = Image.open(io.BytesIO(data), formats=[expected])
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels(max_pixels) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _damaged() from exc
    # The header's claim bounds what decoding will allocate: refuse before anything is decoded.
    if image.width * image.height > max_pixels:
        raise _too_many_pixels(max_pixels)
    if not _is_complete(data, expected):
        raise _damaged()
    return image


def _is_complete(data: bytes, fmt: str) -> bool:
    """False for a cut-off upload.

    Pillow would decode it silently: WeasyPrint sets ``ImageFile.LOAD_TRUNCATED_IMAGES``
    for the whole process, so a half-received photo would come out grey at the bottom.
    """
    if fmt == "JPEG":
        # The end-of-image marker must follow the last scan (an EXIF thumbnail has its own).
        return data.rfind(b"\xff\xd9") > data.rfind(b"\xff\xda") > 0
    try:
        # Walks every chunk and its checksum up to IEND without decoding pixels.
        Image.open(io.BytesIO(data), formats=["PNG"]).verify()
    except (OSError, SyntaxError, ValueError, EOFError, struct.error):
        return False
    return True


def _too_many_pixels(max_pixels: int) -> ImageRejected:
    return ImageRejected(
        _("图片分辨率过高（超过 %(limit)d 万像素），无法处理。请缩小图片尺寸后重新上传。")
        % {"limit": max_pixels // 10_000}
    )


def _damaged() -> ImageRejected:
    return ImageRejected(_("图片文件已损坏或不完整，无法读取。请重新导出或重新拍摄后上传。"))


def _oriented_size(image: Image.Image) -> tuple[int, int]:
    """Size as displayed, i.e. after the EXIF orientation is applied."""
    try:
        # PNG keeps EXIF after the pixel data, so this may read (and fail on) the whole file.
        orientation = image.getexif().get(_EXIF_ORIENTATION)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _damaged() from exc
    if orientation in _SWAPPING_ORIENTATIONS:
        return image.height, image.width
    return image.size


def _load_upright(image: Image.Image) -> Image.Image:
    try:
        image.load()
        # In place: otherwise an upright image is copied whole for nothing.
        ImageOps.exif_transpose(image, in_place=True)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _damaged() from exc
    return image


def _to_rgba(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit greyscale PNG: scale to 8 bits before colour conversion, which would clip.
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    return image.convert("RGBA")


def _reduced(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Shrunk by a whole factor while it stays at least twice ``size``: each conversion after this
    copies the image, and a 12-megapixel PNG (``draft`` only shrinks JPEG) would be copied whole."""
    factor = min(image.width // size[0], image.height // size[1]) // 2
    if factor < 2:
        return image
    if image.mode in ("1", "P", "I;16", "I;16B", "I;16L"):  # modes ``reduce`` does not take
        image = _to_rgba(image)
    return image.reduce(factor)


def _has_transparency(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


# --- photo ------------------------------------------------------------------------------------
def normalise_photo(data: bytes) -> bytes:
    """A holder photo as 413×579 px JPEG on white, upright, without metadata."""
    upload_advice = _("请上传 JPG 或 PNG 格式的近期免冠白底证件照。")
    if len(data) > PHOTO_MAX_BYTES:
        raise ImageRejected(_("照片文件超过 5 MB。请压缩后重新上传，或上传 5 MB 以内的 JPG/PNG 证件照。"))
    image = _open(data, not_an_image=upload_advice, max_pixels=settings.SKILLCERT_UPLOAD_PHOTO_MAX_PIXELS)
    width, height = _oriented_size(image)
    min_width, min_height = PHOTO_MIN_SIZE
    if width < min_width or height < min_height:
        raise ImageRejected(
            _("照片尺寸过小（%(width)d×%(height)d 像素）。请上传不小于 %(min_w)d×%(min_h)d 像素的白底证件照。")
            % {"width": width, "height": height, "min_w": min_width, "min_h": min_height}
        )
    low, high = PHOTO_ASPECT_RANGE
    if not low <= width / height <= high:
        raise ImageRejected(
            _(
                "照片应为竖版证件照（宽高比约 5:7，如一寸照 25×35 毫米），当前为 %(width)d×%(height)d 像素。"
                "请裁剪为竖版证件照后重新上传。"
            )
            % {"width": width, "height": height}
        )
    # JPEG can decode at 1/2, 1/4, 1/8 scale: saves memory on large camera photos.
    image.draft("RGB", (PHOTO_SIZE[1] * 2, PHOTO_SIZE[1] * 2))
    rgba = _to_rgba(_reduced(_load_upright(image), PHOTO_SIZE))
    on_white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    on_white.alpha_composite(rgba)
    fitted = ImageOps.pad(on_white.convert("RGB"), PHOTO_SIZE, method=Image.Resampling.LANCZOS, color=(255, 255, 255))
    out = io.BytesIO()
    # A fresh image carries no EXIF, ICC or comments: nothing of the camera leaks.
    fitted.save(out, format="JPEG", quality=PHOTO_JPEG_QUALITY, optimize=True)
    return out.getvalue()


# --- seal -------------------------------------------------------------------------------------
def _paper_to_transparent(image: Image.Image) -> Image.Image:
    """Alpha from how far each pixel is from white paper; colours are kept."""
    rgb = image.convert("RGB")
    red, green, blue = rgb.split()
    lightest_ink = ImageChops.darker(ImageChops.darker(red, green), blue)
    darkness = ImageOps.invert(lightest_ink)
    alpha = darkness.point(
        lambda value: 0 if value <= PAPER_DARKNESS else min(255, (value - PAPER_DARKNESS) * 255 // INK_RAMP)
    )
    rgba = rgb.convert("RGBA")
    rgba.putalpha(alpha)
    return rgba


def normalise_seal(data: bytes) -> bytes:
    """A seal as a transparent PNG trimmed to the ink, at most 600 px on its longest side."""
    upload_advice = _("请上传透明背景的 PNG 印章图片，或白底扫描的 JPG/PNG 印章图片。")
    if len(data) > SEAL_MAX_BYTES:
        raise ImageRejected(_("印章图片文件超过 2 MB。请压缩后重新上传，或上传 2 MB 以内的 PNG 印章图片。"))
    image = _open(data, not_an_image=upload_advice, max_pixels=settings.SKILLCERT_UPLOAD_SEAL_MAX_PIXELS)
    width, height = _oriented_size(image)
    if min(width, height) < SEAL_MIN_SIDE:
        raise ImageRejected(
            _("印章图片尺寸过小（%(width)d×%(height)d 像素）。请上传不小于 %(min)d×%(min)d 像素的清晰印章图片。")
            % {"width": width, "height": height, "min": SEAL_MIN_SIDE}
        )
    low, high = SEAL_ASPECT_RANGE
    if not low <= width / height <= high:
        raise ImageRejected(
            _("印章图片应大致为正方形，当前为 %(width)d×%(height)d 像素。请沿印章外缘裁剪后重新上传。")
            % {"width": width, "height": height}
        )
    declares_transparency = _has_transparency(image)
    rgba = _to_rgba(_load_upright(image))
    alpha_low, _alpha_high = rgba.getchannel("A").getextrema()
    # An opaque PNG (or one whose alpha is all opaque) is a scan: its paper must go.
    if not declares_transparency or alpha_low >= 255 - _ALPHA_VISIBLE:
        rgba = _paper_to_transparent(rgba)
    ink_box = rgba.getchannel("A").point(lambda value: 255 if value > _ALPHA_VISIBLE else 0).getbbox()
    if ink_box is None:
        raise ImageRejected(_("印章图片中未发现印迹。请上传白底或透明背景、印迹清晰的印章图片。"))
    seal = rgba.crop(_with_margin(ink_box, rgba.size))
    seal.thumbnail((SEAL_MAX_SIDE, SEAL_MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    seal.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _with_margin(box: tuple[int, int, int, int], size: tuple[int, int]) -> tuple[int, int, int, int]:
    """``box`` grown by 2 % on each side so the ink's soft edge is not cut."""
    left, top, right, bottom = box
    margin = max(2, round(max(right - left, bottom - top) * 0.02))
    return max(0, left - margin), max(0, top - margin), min(size[0], right + margin), min(size[1], bottom + margin)
