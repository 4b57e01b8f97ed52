"""Uploaded holder photos and seal images: accepted, normalised, or rejected with a Chinese message."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, ImageFile

from lib.images import PHOTO_SIZE, SEAL_MAX_SIDE, ImageRejected, normalise_photo, normalise_seal
from tests.lib import bombs


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def _portrait(size=(300, 420), colour=(200, 200, 200)) -> Image.Image:
    return Image.new("RGB", size, colour)


def _seal(size=400, *, background=(255, 255, 255, 0)) -> Image.Image:
    image = Image.new("RGBA", (size, size), background)
    inner = size // 5
    image.paste((200, 30, 40, 255), (inner, inner, size - inner, size - inner))
    return image


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG file whose header claims ``width``×``height`` pixels (a decompression bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\0" * 1024))
        + _png_chunk(b"IEND", b"")
    )


def _rejection(func, data: bytes) -> str:
    with pytest.raises(ImageRejected) as caught:
        func(data)
    return caught.value.message


# --- photo ------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_it_accepts_a_portrait_photo_and_returns_a_413_by_579_jpeg(fmt):
    result = normalise_photo(_encode(_portrait(), fmt))

    image = Image.open(io.BytesIO(result))
    assert image.format == "JPEG"
    assert image.size == PHOTO_SIZE
    assert image.mode == "RGB"


def test_it_fills_a_transparent_png_photo_background_with_white():
    photo = Image.new("RGBA", (300, 420), (0, 0, 0, 0))
    photo.paste((20, 40, 80, 255), (100, 150, 200, 420))

    image = Image.open(io.BytesIO(normalise_photo(_encode(photo, "PNG"))))

    assert min(image.getpixel((5, 5))) > 245


def test_it_pads_a_slightly_narrow_photo_with_white_instead_of_cropping_it():
    narrow = _portrait((280, 440), colour=(30, 30, 30))

    image = Image.open(io.BytesIO(normalise_photo(_encode(narrow, "PNG"))))

    assert min(image.getpixel((1, PHOTO_SIZE[1] // 2))) > 245
    assert max(image.getpixel((PHOTO_SIZE[0] // 2, PHOTO_SIZE[1] // 2))) < 60


def test_it_applies_the_exif_orientation_and_strips_the_metadata():
    # Stored landscape with a red top-left corner; orientation 6 means "rotate 90° clockwise".
    stored = Image.new("RGB", (420, 300), (255, 255, 255))
    stored.paste((255, 0, 0), (0, 0, 60, 60))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    data = _encode(stored, "JPEG", exif=exif.tobytes(), quality=95)

    image = Image.open(io.BytesIO(normalise_photo(data)))

    assert image.size == PHOTO_SIZE
    top_right = image.getpixel((PHOTO_SIZE[0] - 15, 15))
    top_left = image.getpixel((15, 15))
    assert top_right[0] > 200 and top_right[1] < 80
    assert min(top_left) > 200
    assert not image.getexif()
    assert "exif" not in image.info


def test_it_rejects_a_text_file_renamed_to_jpg():
    message = _rejection(normalise_photo, "这不是照片\n".encode() * 50)

    assert "JPG 或 PNG" in message


def test_it_rejects_a_gif_even_when_it_is_a_portrait():
    message = _rejection(normalise_photo, _encode(_portrait(), "GIF"))

    assert "GIF" in message
    assert "JPG 或 PNG" in message


def test_it_rejects_a_photo_smaller_than_200_by_280_pixels():
    message = _rejection(normalise_photo, _encode(_portrait((150, 210)), "JPEG"))

    assert "150×210" in message
    assert "200×280" in message


def test_it_rejects_a_photo_file_larger_than_5_mb():
    data = _encode(_portrait(), "JPEG") + b"\0" * (5 * 1024 * 1024)

    assert "5 MB" in _rejection(normalise_photo, data)


@pytest.mark.parametrize("size", [(420, 300), (400, 400)])
def test_it_rejects_a_landscape_or_square_photo(size):
    message = _rejection(normalise_photo, _encode(_portrait(size), "JPEG"))

    assert "竖版" in message


def test_it_rejects_a_decompression_bomb_with_a_chinese_message_instead_of_crashing():
    message = _rejection(normalise_photo, _png_claiming(30_000, 30_000))

    assert "分辨率过高" in message


def test_it_rejects_an_image_above_its_own_pixel_limit_below_pillows():
    assert "分辨率过高" in _rejection(normalise_photo, _png_claiming(7_000, 9_800))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
@pytest.mark.parametrize("pillow_tolerates_truncation", [True, False])
def test_it_rejects_a_truncated_photo_as_damaged(fmt, pillow_tolerates_truncation, monkeypatch):
    # WeasyPrint switches LOAD_TRUNCATED_IMAGES on for the whole process.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", pillow_tolerates_truncation)
    data = _encode(Image.effect_noise((300, 420), 40).convert("RGB"), fmt)

    for cut in (len(data) // 2, len(data) - 12):
        assert "损坏" in _rejection(normalise_photo, data[:cut])


# --- seal -------------------------------------------------------------------------------------
def test_it_keeps_the_transparency_of_a_png_seal_and_trims_it_to_the_ink():
    result = normalise_seal(_encode(_seal(400), "PNG"))

    image = Image.open(io.BytesIO(result))
    assert image.format == "PNG"
    assert image.mode == "RGBA"
    assert max(image.size) <= SEAL_MAX_SIDE
    # The 80 px transparent margin is gone apart from a thin edge.
    assert image.width < 260
    assert image.getpixel((0, 0))[3] == 0
    assert image.getpixel((image.width // 2, image.height // 2))[3] == 255


def test_it_turns_the_white_paper_of_a_jpeg_seal_scan_transparent():
    scan = _seal(1000, background=(250, 250, 248, 255)).convert("RGB")

    image = Image.open(io.BytesIO(normalise_seal(_encode(scan, "JPEG", quality=85))))

    assert image.mode == "RGBA"
    assert max(image.size) <= SEAL_MAX_SIDE
    assert image.getpixel((0, 0))[3] == 0
    centre = image.getpixel((image.width // 2, image.height // 2))
    assert centre[3] > 200 and centre[0] > 150


def test_it_treats_an_opaque_png_seal_like_a_scan():
    scan = _seal(400, background=(255, 255, 255, 255))

    image = Image.open(io.BytesIO(normalise_seal(_encode(scan, "PNG"))))

    assert image.getpixel((0, 0))[3] == 0


def test_it_rejects_a_seal_without_any_ink():
    blank = Image.new("RGBA", (400, 400), (255, 255, 255, 0))

    assert "印迹" in _rejection(normalise_seal, _encode(blank, "PNG"))


def test_it_rejects_a_seal_that_is_far_from_square():
    assert "正方形" in _rejection(normalise_seal, _encode(_seal(400).resize((400, 200)), "PNG"))


def test_it_rejects_a_seal_smaller_than_200_pixels():
    assert "200×200" in _rejection(normalise_seal, _encode(_seal(150), "PNG"))


def test_it_rejects_a_seal_file_larger_than_2_mb():
    data = _encode(_seal(400), "PNG") + b"\0" * (2 * 1024 * 1024)

    assert "2 MB" in _rejection(normalise_seal, data)


def test_it_rejects_a_gif_seal_and_a_seal_bomb():
    assert "GIF" in _rejection(normalise_seal, _encode(_seal(400), "GIF"))
    assert "分辨率过高" in _rejection(normalise_seal, _png_claiming(30_000, 30_000))


# --- pixel caps, from the header (issue 9, finding 9) ---------------------------------------------
@pytest.fixture
def decoded(monkeypatch):
    """The sizes of the images whose pixels were decoded; decoding one here stops the test instead."""
    sizes = []

    def refuse(self, *args, **kwargs):
        sizes.append(self.size)
        raise AssertionError(f"decoded {self.size[0]}×{self.size[1]} pixels")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    return sizes


def _jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header is rewritten to claim ``width``×``height`` pixels."""
    data = bytearray(_encode(_portrait(), "JPEG"))
    frame = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, frame + 5, height, width)
    return bytes(data)


def test_a_185_kb_6400_by_9000_png_photo_is_refused_from_its_header_before_any_pixel_is_decoded(decoded):
    data = bombs.png(6400, 9000)
    assert len(data) < 185 * 1024

    message = _rejection(normalise_photo, data)

    assert message == "图片分辨率过高（超过 1200 万像素），无法处理。请缩小图片尺寸后重新上传。"
    assert decoded == []


def test_a_7700_by_7700_seal_is_refused_from_its_header_before_any_pixel_is_decoded(decoded):
    message = _rejection(normalise_seal, bombs.png(7700, 7700))

    assert message == "图片分辨率过高（超过 400 万像素），无法处理。请缩小图片尺寸后重新上传。"
    assert decoded == []


@pytest.mark.parametrize("claiming", [_png_claiming, _jpeg_claiming])
def test_a_valid_header_over_the_photo_cap_is_refused_whatever_little_data_follows_it(decoded, claiming):
    assert "超过 1200 万像素" in _rejection(normalise_photo, claiming(3000, 4001))
    assert "超过 400 万像素" in _rejection(normalise_seal, claiming(2001, 2000))
    assert decoded == []


def test_the_pixel_caps_are_settings_and_an_image_exactly_at_the_cap_is_accepted(settings):
    settings.SKILLCERT_UPLOAD_PHOTO_MAX_PIXELS = 300 * 420
    settings.SKILLCERT_UPLOAD_SEAL_MAX_PIXELS = 400 * 400

    normalise_photo(_encode(_portrait((300, 420)), "JPEG"))
    normalise_seal(_encode(_seal(400), "PNG"))
    assert "分辨率过高" in _rejection(normalise_photo, _encode(_portrait((301, 420)), "JPEG"))
    assert "分辨率过高" in _rejection(normalise_seal, _encode(_seal(401), "PNG"))


def test_a_camera_sized_png_photo_is_still_normalised():
    photo = Image.new("RGB", (2400, 3360), (30, 60, 90))

    image = Image.open(io.BytesIO(normalise_photo(_encode(photo, "PNG", compress_level=1))))

    assert image.size == PHOTO_SIZE
    assert image.getpixel((PHOTO_SIZE[0] // 2, PHOTO_SIZE[1] // 2)) == pytest.approx((30, 60, 90), abs=3)
