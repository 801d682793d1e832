"""The input gate refuses unusable photos and accepts real dermoscopic images."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from ml.gate import GateResult, check_image


def _skin(size: tuple[int, int] = (300, 300)) -> Image.Image:
    rng = np.random.default_rng(1)
    a = np.full((size[1], size[0], 3), (205, 150, 130), dtype=np.float32)
    yy, xx = np.mgrid[: size[1], : size[0]]
    a[((yy - size[1] / 2) ** 2 + (xx - size[0] / 2) ** 2) < (min(size) / 5) ** 2] = (110, 70, 60)
    a += rng.normal(0, 12, a.shape)
    return Image.fromarray(a.clip(0, 255).astype(np.uint8))


@pytest.mark.parametrize(
    ("image", "code"),
    [
        (Image.new("RGB", (40, 40), (200, 150, 130)), "too_small"),
        (Image.new("RGB", (640, 30), (200, 150, 130)), "too_small"),
        (Image.new("RGB", (400, 400), (8, 6, 5)), "too_dark"),
        (Image.new("RGB", (400, 400), (0, 0, 0)), "too_dark"),
        (Image.new("RGB", (400, 400), (255, 255, 255)), "too_bright"),
        (Image.new("RGB", (400, 400), (205, 150, 130)), "blurry"),  # blank, skin-coloured
        (_skin().filter(ImageFilter.GaussianBlur(8)), "blurry"),
        (Image.new("RGB", (400, 400), (30, 90, 200)), None),  # refused; code checked below
    ],
)
def test_refuses_synthetic(image: Image.Image, code: str | None) -> None:
    res = check_image(image)
    assert isinstance(res, GateResult)
    assert not res.ok
    if code is not None:
        assert res.code == code
    assert res.message and len(res.message) > 20


def test_refuses_noise_and_grey() -> None:
    rng = np.random.default_rng(0)
    noise = Image.fromarray(rng.integers(0, 256, (300, 300, 3), dtype=np.uint8))
    assert check_image(noise).code == "not_skin"
    grey = Image.fromarray(rng.integers(90, 160, (300, 300), dtype=np.uint8)).convert("RGB")
    assert not check_image(grey.filter(ImageFilter.GaussianBlur(1))).ok


def test_accepts_synthetic_skin() -> None:
    # pixel checks only: a synthetic disc is not a real lesion, and the model check may say so
    assert check_image(_skin(), model_check=False).ok


def test_accepts_real_lesions(isic_data_dir: Path) -> None:
    with (isic_data_dir / "splits.csv").open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == "val"][::3]
    ok = 0
    for r in rows:
        with Image.open(isic_data_dir / r["path"]) as im:
            ok += check_image(im).ok
    assert ok / len(rows) >= 0.95


def test_model_check_refuses_ordinary_photos(shipped_model_dir: Path) -> None:
    skd = pytest.importorskip("skimage.data", reason="scikit-image (requirements-train.txt)")
    from ml.inference import Classifier

    clf = Classifier(shipped_model_dir)
    if clf.ood_stats is None:
        pytest.skip("this model version ships no ood_stats.npz")
    for name in ("astronaut", "coffee", "chelsea", "rocket"):
        photo = Image.fromarray(getattr(skd, name)())
        assert check_image(photo, model_check=False).ok  # colours alone let these through
        res = check_image(photo, classifier=clf)
        assert not res.ok and res.code == "not_skin", name
