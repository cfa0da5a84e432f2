"""Opens images for the models. Only formats whose size is known from the
header before any pixel is decoded are read, and that size is checked
against the pixel limit first. (Pillow's ICO reader, for one, decodes
the picture inside the icon while opening it, whatever size the icon
header claims: a 500 KB icon can hold a 12000 x 12000 PNG.)"""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from optivus_common.errors import InvalidArgument, ResourceExhausted

LIMIT_SETTING = "OPTIVUS_FLORENCE_MAX_IMAGE_PIXELS"
# Pillow format ids (JPEG includes MPO, PNG includes APNG, PPM the whole PNM family).
FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "PPM", "TGA")
FORMAT_NAMES = "JPEG, PNG, GIF, WebP, BMP, TIFF, PNM or TGA"
# Memory one image takes while it is decoded (the decoded pixels, at most
# 4 bytes each, and their RGB copy) and then until its description ends
# (the RGB image and the model's own array of it).
BYTES_PER_PIXEL = 8
_ORIENTATION = 0x0112
_UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
            5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
            8: Image.Transpose.ROTATE_90}


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


def _undecodable(exc: Exception) -> InvalidArgument:
    if isinstance(exc, UnidentifiedImageError):
        return InvalidArgument(f"the file is not an image this server decodes ({FORMAT_NAMES}; videos go to "
                               "DescribeVideo)", reason="IMAGE_UNDECODABLE")
    return InvalidArgument("the image could not be decoded: it is truncated or corrupt", reason="IMAGE_UNDECODABLE")


def image_size(source: str | bytes, max_pixels: int) -> tuple[int, int]:
    """(width, height) from the header alone, checked against max_pixels."""
    fp = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with Image.open(fp, formats=FORMATS) as img:
            check_pixels(img.width, img.height, max_pixels)
            return img.size
    except Image.DecompressionBombError:
        raise too_large(None, None, max_pixels) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _undecodable(exc) from None


def open_image(source: str | bytes, max_pixels: int) -> Image.Image:
    """An RGB image, upright per its EXIF orientation (the first frame of an
    animation). Raises InvalidArgument (IMAGE_UNDECODABLE) or
    ResourceExhausted (IMAGE_TOO_LARGE). Holds at most BYTES_PER_PIXEL
    bytes per pixel while it decodes."""
    fp = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        with Image.open(fp, formats=FORMATS) as img:
            check_pixels(img.width, img.height, max_pixels)
            orientation = img.getexif().get(_ORIENTATION, 1)
            rgb = img.convert("RGB")
    except Image.DecompressionBombError:
        raise too_large(None, None, max_pixels) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _undecodable(exc) from None
    method = _UPRIGHT.get(orientation)
    return rgb.transpose(method) if method is not None else rgb
