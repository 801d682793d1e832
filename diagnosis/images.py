"""Validate and sanitise an uploaded photo before anything is stored.

Only real JPEG, PNG, WebP or HEIC images pass; they are fully decoded (a truncated file or a
decompression bomb is refused), turned upright by their EXIF orientation, and re-encoded as a
fresh JPEG with no metadata at all (no GPS, no camera serial, no ICC profile).
"""

import hashlib
import io
import warnings
from dataclasses import dataclass

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
    with warnings.catch_warnings():
        # Pillow warns (and past 2x its limit raises) on huge pixel counts; we check ourselves.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(upload, formats=_FORMATS)
        except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError):
            raise ImageRejected(
                _("This file is not a photo we can read. Upload a JPEG, PNG, WebP or HEIC picture."), "not_image"
            ) from None
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
        try:
            image.load()  # full decode: truncated or corrupt data fails here, not later
            image = ImageOps.exif_transpose(image) or image
            image = _to_rgb(image)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning):
            raise ImageRejected(
                _("The photo is damaged or incomplete. Please take it again and re-upload."), "corrupt"
            ) from None

    # The one stored encoding (ml.upload): the model's thresholds were chosen on these pixels.
    content = store_jpeg(image)
    with Image.open(io.BytesIO(content)) as stored:
        width, height = stored.size
    return CleanImage(content=content, width=width, height=height, sha256=hashlib.sha256(content).hexdigest())


def _to_rgb(image: Image.Image) -> Image.Image:
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
