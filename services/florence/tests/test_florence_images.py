"""Image opening: the pixel limit is checked from the header, before any
decoding; everything that is not a decodable image is IMAGE_UNDECODABLE."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageFile

from optivus_common.errors import InvalidArgument, ResourceExhausted
from optivus_florence.images import open_image, use_own_pixel_limit


def png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def test_20000_square_image_is_refused_from_its_header(vision_media, monkeypatch):
    use_own_pixel_limit()
    loaded = []
    real_load = ImageFile.ImageFile.load

    def spy(self):
        loaded.append(self.size)
        return real_load(self)

    # Every PIL plugin decodes its pixels through ImageFile.load.
    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    open_image(png(Image.new("RGB", (10, 10))), 100)
    assert (10, 10) in loaded  # the spy sees a decode
    loaded.clear()
    with pytest.raises(ResourceExhausted) as err:
        open_image(str(vision_media["huge"]), 50_000_000)
    assert loaded == []  # not one of the 400 MP was decoded
    assert err.value.reason == "IMAGE_TOO_LARGE"
    assert "20000 x 20000" in err.value.message and "OPTIVUS_FLORENCE_MAX_IMAGE_PIXELS" in err.value.message


def test_the_limit_is_the_setting():
    data = png(Image.new("RGB", (100, 100), "white"))
    assert open_image(data, 10_000).size == (100, 100)
    with pytest.raises(ResourceExhausted):
        open_image(data, 9_999)


def test_modes_become_rgb_and_exif_orientation_is_applied():
    rgba = open_image(png(Image.new("RGBA", (30, 20), (255, 0, 0, 128))), 10**6)
    assert rgba.mode == "RGB"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees
    buf = io.BytesIO()
    Image.new("RGB", (30, 20), "blue").save(buf, "JPEG", exif=exif)
    assert open_image(buf.getvalue(), 10**6).size == (20, 30)


@pytest.mark.parametrize("data", [b"plain text, not an image" * 10, b"\x89PNG\r\n\x1a\n" + b"\x00" * 40])
def test_non_images_are_undecodable(data):
    with pytest.raises(InvalidArgument) as err:
        open_image(data, 10**6)
    assert err.value.reason == "IMAGE_UNDECODABLE"


def test_truncated_image_is_undecodable():
    data = png(Image.effect_noise((200, 200), 50).convert("RGB"))
    with pytest.raises(InvalidArgument) as err:
        open_image(data[: len(data) // 2], 10**6)
    assert err.value.reason == "IMAGE_UNDECODABLE"
