"""Image opening: the pixel limit is checked from the header, before any
decoding; everything that is not a decodable image is IMAGE_UNDECODABLE."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageFile

from optivus_common.errors import InvalidArgument, ResourceExhausted
from optivus_florence.images import image_size, open_image, use_own_pixel_limit
from optivus_testing.florence import animation, icon_holding


def png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def huge(tmp_path_factory):
    """20000 x 20000: 50 MB as a 1-bit image in memory here, a few hundred KB as PNG."""
    path = tmp_path_factory.mktemp("florence-images") / "huge.png"
    Image.new("1", (20000, 20000)).save(path)
    return path


def test_20000_square_image_is_refused_from_its_header(huge, monkeypatch):
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
        open_image(str(huge), 50_000_000)
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


@pytest.fixture
def decoded(monkeypatch) -> list[tuple[int, tuple[int, int]]]:
    """(frame, size) of every decode: every PIL plugin decodes through ImageFile.load."""
    seen = []
    real_load = ImageFile.ImageFile.load

    def spy(self):
        seen.append((self.tell(), self.size))
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return seen


def test_an_icon_whose_header_lies_about_its_size_is_not_decoded(decoded):
    """The icon says 16 x 16; the PNG inside is 3000 x 3000. Pillow's ICO
    reader decodes that PNG inside Image.open, before any size check could
    run: 36 MB of RGBA from a file of a few KB (12000 x 12000, 576 MB, from
    546 KB)."""
    use_own_pixel_limit()
    icon = icon_holding(Image.new("RGBA", (3000, 3000)))
    for call in (open_image, image_size):
        with pytest.raises(InvalidArgument) as err:
            call(icon, 1_000_000)
        assert err.value.reason == "IMAGE_UNDECODABLE" and "PNG" in err.value.message
    assert decoded == []


@pytest.mark.parametrize("fmt", ["GIF", "PNG"])
def test_an_animation_of_thousands_of_frames_costs_its_first_frame(tmp_path, decoded, fmt):
    path = animation(tmp_path / f"many.{fmt.lower()}", 2000, fmt)
    with Image.open(path) as check:
        assert check.n_frames == 2000
    decoded.clear()
    image = open_image(str(path), 10**6)
    assert image.size == (64, 64) and image.getpixel((0, 0)) == (255, 0, 0)  # frame 0: the dot at (0, 0)
    assert {frame for frame, _ in decoded} == {0}


def test_the_size_comes_from_the_header_alone(huge, decoded):
    assert image_size(png(Image.new("RGB", (80, 24))), 10**6) == (80, 24)
    with pytest.raises(ResourceExhausted):
        image_size(str(huge), 50_000_000)
    assert decoded == []
