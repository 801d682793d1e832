"""How an accepted upload is stored: the one re-encode every photo goes through before the model.

Pillow only (the web process and the training/evaluation code both use it, so thresholds are
chosen on exactly the pixels the worker will read). Quality 95 with no chroma subsampling: at
the old quality 90 / 4:2:0 the re-encode alone moved melanoma specificity on the dermoscopic
benchmark from 0.728 to 0.627 (issue 14); see ``ml/tests/test_upload_parity.py``.
"""

from __future__ import annotations

import io

from PIL import Image

MAX_STORED_SIDE = 2048
JPEG_QUALITY = 95
JPEG_SUBSAMPLING = 0  # 4:4:4: lesion colour edges are what the model reads


def store_jpeg(image: Image.Image) -> bytes:
    """An upright RGB image -> the stored JPEG bytes: at most 2048 px, no metadata at all."""
    if max(image.size) > MAX_STORED_SIDE:
        image = image.copy()
        image.thumbnail((MAX_STORED_SIDE, MAX_STORED_SIDE), Image.Resampling.LANCZOS)
    # A brand-new image object carries no info dict: nothing of the original metadata survives.
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    out = io.BytesIO()
    # No ``optimize``: Pillow then sizes its one-shot buffer at 2 bytes a pixel, which a noisy
    # photo at quality 95 / 4:4:4 overflows ("Suspension not allowed here", an OSError).
    clean.save(out, format="JPEG", quality=JPEG_QUALITY, subsampling=JPEG_SUBSAMPLING)
    return out.getvalue()


def as_stored(image: Image.Image) -> Image.Image:
    """What the worker will decode for this upload (for evaluation and parity tests)."""
    from ml.inference import to_rgb

    stored = Image.open(io.BytesIO(store_jpeg(to_rgb(image))))
    stored.load()
    return stored
