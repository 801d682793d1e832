"""Train/serve parity: thresholds are chosen on exactly the pixels the worker reads.

The evaluation and the per-kind fitting re-encode every image with ``ml.upload`` (what
``diagnosis.images.sanitise_image`` stores); the stored quality (95, 4:4:4) leaves predictions
of real photos of both kinds essentially where the original files put them.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from diagnosis.images import sanitise_image
from ml import upload
from ml.inference import Classifier


@pytest.fixture(scope="module")
def real_paths(isic_test_images, phone_data_dir, phone_test_rows) -> list[Path]:
    return [p for p, _ in isic_test_images] + [phone_data_dir / r["path"] for r in phone_test_rows]


def test_the_evaluation_path_reads_the_pixels_an_upload_stores(real_paths) -> None:
    for path in real_paths:
        clean = sanitise_image(SimpleUploadedFile(path.name, path.read_bytes(), content_type="image/jpeg"))
        with Image.open(io.BytesIO(clean.content)) as stored, Image.open(path) as original:
            assert np.array_equal(np.asarray(stored.convert("RGB")), np.asarray(upload.as_stored(original)))


def test_stored_quality_keeps_the_prediction(shipped_model_dir, real_paths) -> None:
    clf = Classifier(shipped_model_dir)
    diffs, same_top, same_flags = [], 0, 0
    for path in real_paths:
        with Image.open(path) as im:
            raw = clf.predict(im)
            stored = clf.predict(upload.as_stored(im))
        diffs.append(max(abs(raw.probabilities[c] - stored.probabilities[c]) for c in clf.labels))
        same_top += raw.top == stored.top
        same_flags += raw.flagged == stored.flagged
    n = len(real_paths)
    assert np.median(diffs) < 0.02, diffs
    assert same_top >= 0.9 * n
    assert same_flags >= 0.9 * n
