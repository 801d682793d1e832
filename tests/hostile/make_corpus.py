"""Generate the hostile-input corpus: files an attacker (or an odd phone) might upload as a photo.

Nothing here is committed as a binary: every file is built by code, so a reviewer can read how
each one is made. ``python -m tests.hostile.make_corpus OUT_DIR`` writes them all to a folder
(the tests do so into a temporary one) and posts nothing; ``tests/hostile/test_hostile_corpus.py``
then sends each file through the API and the web upload form.
"""

from __future__ import annotations

import io
import re
import struct
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from tests.images import jpeg_bytes, png_bomb

# The first marker after a scan's entropy-coded data: 0xFF then anything except a stuffed zero,
# a restart marker (part of the scan) or another 0xFF (a fill byte before the real marker).
_END_OF_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
SOS, EOI = 0xDA, 0xD9


@dataclass(frozen=True)
class HostileFile:
    """One corpus entry: how to make the file, its name, and what the portal must answer."""

    name: str
    filename: str
    make: Callable[[], bytes]
    # The ImageRejected code the API answers; None: a legitimate (if unusual) image that must be
    # accepted and stored sensibly.
    code: str | None

    @property
    def accepted(self) -> bool:
        return self.code is None

    @property
    def slug(self) -> str:
        """A file name for the corpus folder: the entry's name, then its upload name's extension."""
        stem = re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")
        return f"{stem}{Path(self.filename).suffix}"


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk with its length and CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def zlib_bomb(inflated_bytes: int = 200 * 1024 * 1024) -> bytes:
    """A zlib stream of about 200 KB that inflates to `inflated_bytes` of zeros."""
    compressor = zlib.compressobj(9)
    block = b"\0" * (1 << 20)
    parts = [compressor.compress(block) for _ in range(inflated_bytes >> 20)]
    parts.append(compressor.flush())
    return b"".join(parts)


def png_with_chunk_before_idat(chunk: bytes, size=(300, 300)) -> bytes:
    """An ordinary RGB PNG with `chunk` inserted right after IHDR (where iCCP must live)."""
    out = io.BytesIO()
    Image.new("RGB", size, (180, 120, 100)).save(out, format="PNG")
    png = out.getvalue()
    after_ihdr = 8 + 4 + 4 + 13 + 4  # signature, then IHDR's length, type, body and CRC
    return png[:after_ihdr] + chunk + png[after_ihdr:]


def ztxt_bomb_png() -> bytes:
    """A PNG whose compressed text (zTXt) chunk inflates to 200 MB."""
    return png_with_chunk_before_idat(png_chunk(b"zTXt", b"Comment\0\0" + zlib_bomb()))


def iccp_bomb_png() -> bytes:
    """A PNG whose colour-profile (iCCP) chunk inflates to 200 MB."""
    return png_with_chunk_before_idat(png_chunk(b"iCCP", b"icc\0\0" + zlib_bomb()))


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, bytes) for each segment after SOI; a scan's bytes include its entropy-coded data."""
    segments, pos = [], 2
    while pos < len(data):
        marker = data[pos + 1]
        if marker == EOI:
            segments.append((marker, data[pos : pos + 2]))
            break
        end = pos + 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if marker == SOS:
            end = _END_OF_SCAN.search(data, end).start()
        segments.append((marker, data[pos:end]))
        pos = end
    return segments


def progressive_scan_bomb(scans: int = 20_000, side: int = 3072) -> bytes:
    """A valid-looking progressive JPEG with `scans` scans (about 1 MB): seconds of CPU per 1,000.

    Pillow writes a flat grey progressive JPEG; its small AC scans (each an end-of-band run over
    the whole picture, a few dozen bytes with their Huffman table) are then repeated until the
    file holds `scans` scans. Each repeat makes the decoder walk every block of the image again
    (the "LJT-01-003" cost described in libjpeg-turbo's security report).
    """
    out = io.BytesIO()
    Image.new("L", (side, side), 128).save(out, format="JPEG", progressive=True, quality=90)
    data = out.getvalue()
    segments = jpeg_segments(data)
    first_scan = next(i for i, (marker, _) in enumerate(segments) if marker == SOS)
    head = data[:2] + b"".join(seg for _, seg in segments[: first_scan + 1])
    small_scans, pending = [], b""
    for marker, seg in segments[first_scan + 1 :]:
        if marker == EOI:
            break
        pending += seg
        if marker == SOS:
            if len(pending) < 200:  # the AC scans; the DC refinement is as large as the picture
                small_scans.append(pending)
            pending = b""
    body = [small_scans[i % len(small_scans)] for i in range(scans - 1)]
    return head + b"".join(body) + b"\xff\xd9"


def lying_ispe_heic(real=400, claimed=64) -> bytes:
    """A HEIC holding a `real`-pixel square whose `ispe` box claims only `claimed` pixels."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (real, real), (180, 120, 100)).save(out, format="HEIF")
    heic = out.getvalue()
    at = heic.index(b"ispe")  # box type; then 4 bytes version/flags, then width and height
    return heic[: at + 8] + struct.pack(">II", claimed, claimed) + heic[at + 16 :]


def grey16_png(size=(320, 240)) -> bytes:
    """A 16-bit greyscale PNG (mode I;16): a left-to-right ramp from dark to light grey."""
    ramp = np.linspace(8_000, 56_000, size[0], dtype=np.float64)
    pixels = np.tile(ramp, (size[1], 1)).astype(np.uint16)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def long_narrow_png(size=(64, 625_000)) -> bytes:
    """A 64 x 625,000 greyscale PNG: within the pixel limit, but no photo has that shape."""
    out = io.BytesIO()
    Image.new("L", size, 120).save(out, format="PNG")
    return out.getvalue()


def gif_bytes() -> bytes:
    """A real (not merely GIF-headed) 300 x 300 GIF."""
    out = io.BytesIO()
    Image.new("RGB", (300, 300), (180, 120, 100)).save(out, format="GIF")
    return out.getvalue()


def truncated_jpeg() -> bytes:
    whole = jpeg_bytes(size=(600, 600), colour=(200, 100, 50))
    return whole[: len(whole) // 2]


PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" * 10
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300"><script>alert(1)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def _constant(content: bytes) -> Callable[[], bytes]:
    return lambda: content


CORPUS = [
    HostileFile("pdf named .jpg", "scan.jpg", _constant(PDF), "not_image"),
    HostileFile("truncated jpeg", "photo.jpg", truncated_jpeg, "corrupt"),
    HostileFile("zero-byte file", "photo.jpg", _constant(b""), "empty"),
    HostileFile("gigantic png header", "bomb.png", lambda: png_bomb(100_000, 100_000), "not_image"),
    HostileFile("20,000-scan progressive jpeg", "photo.jpg", progressive_scan_bomb, "too_complex"),
    HostileFile("zTXt zlib bomb png", "photo.png", ztxt_bomb_png, "corrupt"),
    HostileFile("iCCP zlib bomb png", "photo.png", iccp_bomb_png, "corrupt"),
    HostileFile("heic whose ispe box lies", "photo.heic", lying_ispe_heic, "corrupt"),
    HostileFile("16-bit greyscale png", "grey16.png", grey16_png, None),
    HostileFile("64 x 625,000 png", "strip.png", long_narrow_png, "bad_shape"),
    HostileFile("svg with script named .png", "photo.png", _constant(SVG), "not_image"),
    HostileFile("html with script named .png", "photo.png", _constant(HTML), "not_image"),
    HostileFile("gif", "photo.gif", gif_bytes, "not_image"),
    HostileFile("text named .heic", "photo.heic", _constant(b"not a HEIC, just words\n" * 40), "not_image"),
]


def write(folder: Path) -> list[Path]:
    """Generate every corpus file into `folder` (created if missing); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for item in CORPUS:
        path = folder / item.slug
        path.write_bytes(item.make())
        paths.append(path)
    return paths


def main(argv: list[str]) -> int:
    """Write every corpus file under the folder named on the command line."""
    if len(argv) != 2:
        print("usage: python -m tests.hostile.make_corpus OUT_DIR", file=sys.stderr)
        return 2
    for item, path in zip(CORPUS, write(Path(argv[1])), strict=True):
        print(f"{path}  {path.stat().st_size:>10,} bytes  {item.name}: {item.code or 'accepted'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
