"""Validate and sanitise an uploaded photo before anything is stored.

Only real JPEG, PNG, WebP or HEIC images pass; they are fully decoded (a truncated file or a
decompression bomb is refused), turned upright by their EXIF orientation, and re-encoded as a
fresh JPEG with no metadata at all (no GPS, no camera serial, no ICC profile).

Before any pixel is decoded the cheap checks run on the header alone: pixel count, size, shape,
and for JPEG the number of scans (a progressive JPEG can ask the decoder to walk the whole
picture again for every one of thousands of scans; libjpeg leaves that limit to the caller).
"""

import hashlib
import io
import re
import warnings
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from ml.upload import store_jpeg

try:  # iPhones upload HEIC; pillow-heif teaches Pillow to read it.
    from pillow_heif import register_heif_opener

    register_heif_opener()
    _FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
except ImportError:  # pragma: no cover - pinned in requirements
    _FORMATS = ("JPEG", "PNG", "WEBP")

MIN_SIDE = 64
# Longest side over shortest. A stored photo is at most 2048 px long, so a 64 x 625,000 strip
# (within the pixel limit) would be stored 1 px wide. Lesion photos are near square; 20:1 still
# allows any panorama, whose short side is then stored at 102 px or more.
MAX_ASPECT_RATIO = 20


class ImageRejected(ValueError):
    """The upload is not an acceptable image; `message` is written for the person uploading."""

    def __init__(self, message: str, code: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    width: int
    height: int
    sha256: str


def sanitise_image(upload) -> CleanImage:
    """Check an uploaded file and return a clean JPEG, or raise ImageRejected."""
    max_bytes = settings.UPLOAD_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is None and hasattr(upload, "seek"):
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if not size:
        raise ImageRejected(_("The file is empty. Choose a photo of the skin lesion."), "empty")
    if size > max_bytes:
        raise ImageRejected(
            _("The file is too large (%(mb).0f MB). The limit is %(limit).0f MB.")
            % {"mb": size / 1e6, "limit": max_bytes / 1e6},
            "too_large",
            status=413,
        )
    upload.seek(0)
    data = upload.read()
    with warnings.catch_warnings():
        # Pillow warns (and past 2x its limit raises) on huge pixel counts; we check ourselves.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=_FORMATS)
        except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError):
            raise _not_an_image() from None
        except (ValueError, RuntimeError, EOFError):
            # A recognised format whose header is broken: Pillow's own guard on compressed PNG
            # text and colour-profile chunks raises ValueError ("Decompressed data too large"),
            # pillow-heif raises RuntimeError for a HEIC its library refuses.
            raise _corrupt() from None
        _check_header(image, data)
        try:
            image.load()  # full decode: truncated or corrupt data fails here, not later
            image = ImageOps.exif_transpose(image) or image
            image = _to_rgb(image)
        except (OSError, ValueError, RuntimeError, SyntaxError, EOFError, Image.DecompressionBombWarning):
            # RuntimeError: pillow-heif, e.g. a HEIC whose `ispe` box claims fewer pixels than it holds.
            raise _corrupt() from None

    # The one stored encoding (ml.upload): the model's thresholds were chosen on these pixels.
    content = store_jpeg(image)
    with Image.open(io.BytesIO(content)) as stored:
        width, height = stored.size
    return CleanImage(content=content, width=width, height=height, sha256=hashlib.sha256(content).hexdigest())


def _not_an_image() -> ImageRejected:
    return ImageRejected(
        _("This file is not a photo we can read. Upload a JPEG, PNG, WebP or HEIC picture."), "not_image"
    )


def _corrupt() -> ImageRejected:
    return ImageRejected(_("The photo is damaged or incomplete. Please take it again and re-upload."), "corrupt")


def _check_header(image: Image.Image, data: bytes) -> None:
    """Refuse, from the header alone, what would be too costly or useless to decode."""
    width, height = image.size
    if width * height > settings.UPLOAD_MAX_PIXELS:
        raise ImageRejected(
            _("The picture has too many pixels (%(w)s × %(h)s). Take a normal photo or resize it.")
            % {"w": width, "h": height},
            "too_many_pixels",
        )
    if min(width, height) < MIN_SIDE:
        raise ImageRejected(
            _("The picture is too small (%(w)s × %(h)s pixels). Take a close, sharp photo of at least 300 pixels.")
            % {"w": width, "h": height},
            "too_small",
        )
    if max(width, height) > MAX_ASPECT_RATIO * min(width, height):
        raise ImageRejected(
            _("The picture is a long, narrow strip (%(w)s × %(h)s pixels). Take an ordinary photo of the skin.")
            % {"w": width, "h": height},
            "bad_shape",
        )
    scan_limit = settings.UPLOAD_MAX_JPEG_SCANS
    if image.format in ("JPEG", "MPO") and jpeg_scan_count(data, stop_after=scan_limit) > scan_limit:
        raise ImageRejected(
            _(
                "This photo's file is built in an unusual way we cannot read safely. "
                "Please take a new photo or save it as an ordinary JPEG."
            ),
            "too_complex",
        )


# After a scan's header, its entropy-coded data runs to the next marker: 0xFF followed by anything
# but 0x00 (a stuffed data byte), a restart marker RST0-7 (part of the scan) or 0xFF (fill).
_END_OF_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_ANY_MARKER = re.compile(rb"\xff[^\x00\xff]")
_SOS, _EOI, _TEM = 0xDA, 0xD9, 0x01
_NO_LENGTH = {0xD8, _TEM, *range(0xD0, 0xD8)}  # SOI, TEM, RST0-7 carry no length field


def jpeg_scan_count(data: bytes, stop_after: int | None = None) -> int:
    """How many scans (SOS markers) the decoder meets before EOI; stops counting past `stop_after`.

    Walks the marker segments as libjpeg does: a segment's length skips its payload (so bytes in
    EXIF, ICC or comment segments are never mistaken for markers), a scan's entropy-coded data
    ends at the first real marker, and stray bytes between segments are skipped to the next one.
    Costs one regex search per segment, so a 15 MB file is walked in milliseconds.
    """
    scans, pos, end = 0, 2, len(data)
    while pos + 1 < end:
        if data[pos] != 0xFF or data[pos + 1] in (0x00, 0xFF):
            match = _ANY_MARKER.search(data, pos + 1 if data[pos] == 0xFF else pos)
            if match is None:
                break
            pos = match.start()
            continue
        marker = data[pos + 1]
        if marker == _EOI:
            break
        if marker in _NO_LENGTH:
            pos += 2
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        pos += 2 + max(length, 2)
        if marker == _SOS:
            scans += 1
            if stop_after is not None and scans > stop_after:
                break
            match = _END_OF_SCAN.search(data, pos)
            if match is None:
                break
            pos = match.start()
    return scans


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any decoded mode -> RGB, as ml.inference.to_rgb does (the parity test holds them equal)."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        # convert("RGB") clips 16-bit and integer values at 255 (a pure white picture): stretch
        # the image's own range onto 0-255 instead.
        pixels = np.asarray(image, dtype=np.float64)
        lo, hi = float(pixels.min()), float(pixels.max())
        scaled = (pixels - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(pixels)
        image = Image.fromarray(scaled.astype(np.uint8), mode="L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def thumbnail_jpeg(path, side: int = 320) -> bytes:
    """A small JPEG of a stored image for history lists."""
    with Image.open(path) as image:
        image.thumbnail((side, side))
        out = io.BytesIO()
        image.convert("RGB").save(out, format="JPEG", quality=80)
        return out.getvalue()
