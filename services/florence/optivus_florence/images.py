"""Opens images for the models. The size comes from the header and is
checked against the pixel limit before a single pixel is decoded."""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from optivus_common.errors import InvalidArgument, ResourceExhausted

LIMIT_SETTING = "OPTIVUS_FLORENCE_MAX_IMAGE_PIXELS"


def use_own_pixel_limit() -> None:
    """PIL refuses images over twice its own MAX_IMAGE_PIXELS inside open(),
    before the size can be reported; open_image() checks the header's size
    against OPTIVUS_FLORENCE_MAX_IMAGE_PIXELS itself, so PIL's check goes."""
    Image.MAX_IMAGE_PIXELS = None


def too_large(width: int | None, height: int | None, max_pixels: int, what: str = "image") -> ResourceExhausted:
    size = f"is {width} x {height} pixels" if width and height else "is larger than that"
    return ResourceExhausted(
        f"this server decodes images of at most {max_pixels} pixels ({LIMIT_SETTING}); the {what} {size}",
        reason="IMAGE_TOO_LARGE", max_pixels=max_pixels, width=width or "", height=height or "",
    )


def check_pixels(width: int, height: int, max_pixels: int, what: str = "image") -> None:
    if width * height > max_pixels:
        raise too_large(width, height, max_pixels, what)


def open_image(source: str | bytes, max_pixels: int) -> Image.Image:
    """An RGB image, upright per its EXIF orientation. Raises
    InvalidArgument (IMAGE_UNDECODABLE) or ResourceExhausted (IMAGE_TOO_LARGE)."""
    fp = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with Image.open(fp) as img:
            check_pixels(img.width, img.height, max_pixels)
            img.load()
            upright = ImageOps.exif_transpose(img)
            return upright.convert("RGB")
    except Image.DecompressionBombError:
        raise too_large(None, None, max_pixels) from None
    except UnidentifiedImageError:
        raise InvalidArgument("the file is not an image that can be decoded (videos go to DescribeVideo)",
                              reason="IMAGE_UNDECODABLE") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise InvalidArgument("the image could not be decoded: it is truncated or corrupt",
                              reason="IMAGE_UNDECODABLE") from None
