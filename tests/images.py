"""Test images made on the fly, and the path to real lesion photos in ../shared (if present)."""

import io
import itertools
import os
import struct
import zlib
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("SKIN_DATA_DIR", ROOT.parent / "shared" / "datasets" / "isic8-180"))
# Real smartphone photos (PAD-UFES-20): the kind of photo patients upload.
PHONE_DIR = Path(os.environ.get("SKIN_PHONE_DATA_DIR", ROOT.parent / "shared" / "datasets" / "pad-ufes-20"))


def jpeg_bytes(size=(400, 300), colour=(180, 120, 100), exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, colour)
    kwargs = {"exif": exif} if exif else {}
    image.save(out, format="JPEG", quality=90, **kwargs)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    """A JPEG whose EXIF holds GPS coordinates, a camera model and a rotation."""
    exif = Image.Exif()
    exif[0x0110] = "SecretPhone 12"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    gps = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
    exif[0x8825] = gps
    return jpeg_bytes(size=(400, 300), exif=exif.tobytes())


def png_bytes(size=(300, 300), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, format="PNG")
    return out.getvalue()


def png_bomb(width=100_000, height=100_000) -> bytes:
    """A tiny PNG whose header claims a gigantic image (a decompression bomb)."""
    raw = png_bytes((1, 1), mode="L")
    ihdr_at = raw.index(b"IHDR")
    body = struct.pack(">II", width, height) + raw[ihdr_at + 12 : ihdr_at + 17]
    chunk = b"IHDR" + body
    patched = raw[: ihdr_at - 4] + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return patched + raw[ihdr_at + 4 + 13 + 4 :]


def _split_paths(folder: Path, split: str, limit: int | None) -> list[Path]:
    splits = folder / "splits.csv"
    if not splits.exists():
        return []
    import csv

    with open(splits) as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == split]
    rows.sort(key=lambda r: (r["label"], r["path"]))
    paths = [folder / r["path"] for r in rows]
    return paths[:limit] if limit else paths


def real_lesion_paths(split: str = "test", limit: int | None = None) -> list[Path]:
    """Real test-split photos from ../shared, in a fixed order; [] when the data are absent."""
    return _split_paths(DATA_DIR, split, limit)


def phone_photo_paths(split: str = "test", limit: int | None = None) -> list[Path]:
    """Real test-split smartphone photos from ../shared, in a fixed order; [] when absent."""
    return _split_paths(PHONE_DIR, split, limit)


_distinct_photos = itertools.count()


def distinct_jpeg_bytes() -> bytes:
    """A plain lesion-coloured JPEG that differs from every earlier one by one dark pixel: a new
    photo, so the duplicate-upload check (DUPLICATE_UPLOAD_SECONDS) does not merge it."""
    n = next(_distinct_photos)
    image = Image.new("RGB", (400, 300), (180, 120, 100))
    image.putpixel((n % 400, (n // 400) % 300), (0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def upload_file(content: bytes | None = None, name: str = "photo.jpg") -> io.BytesIO:
    """An in-memory file as a form or API upload (by default a new plain lesion-coloured JPEG
    each call; pass the same content twice to send the same photo twice)."""
    f = io.BytesIO(distinct_jpeg_bytes() if content is None else content)
    f.name = name
    return f
