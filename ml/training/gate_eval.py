"""Measure the input gate: false refusals on real lesions, refusals on ordinary non-skin photos.

The non-skin set is generated, so it needs no download: scikit-image's bundled sample photos
(if installed) plus crops of them, flat colours (including skin-like beige), rendered text
pages, white "documents", and noise.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from ml.gate import check_image
from ml.inference import Classifier

SKIMAGE_PHOTOS = [
    "astronaut",
    "camera",
    "coffee",
    "chelsea",
    "cat",
    "rocket",
    "coins",
    "moon",
    "page",
    "horse",
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "logo",
    "colorwheel",
    "text",
    "clock",
    "brick",
    "grass",
    "gravel",
    "cell",
    "checkerboard",
]


def _to_pil(a: np.ndarray) -> Image.Image:
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    return Image.fromarray(a.astype(np.uint8))


def non_skin_images(seed: int = 0) -> list[tuple[str, Image.Image]]:
    rng = np.random.default_rng(seed)
    out: list[tuple[str, Image.Image]] = []
    try:
        import skimage.data as skd

        for name in SKIMAGE_PHOTOS:
            try:
                img = _to_pil(getattr(skd, name)())
            except (ImportError, OSError, ValueError, AttributeError):
                continue  # some samples need a download (no network here): skip them
            out.append((f"skimage:{name}", img))
            w, h = img.size
            for i in range(3):  # random crops: "ordinary photo" close-ups, not just thumbnails
                s = int(min(w, h) * rng.uniform(0.4, 0.8))
                x, y = int(rng.integers(0, w - s + 1)), int(rng.integers(0, h - s + 1))
                out.append((f"skimage:{name}:crop{i}", img.crop((x, y, x + s, y + s))))
    except ImportError:
        pass
    colours = [
        (255, 255, 255),
        (0, 0, 0),
        (128, 128, 128),
        (220, 180, 150),
        (200, 140, 120),
        (30, 90, 200),
        (40, 160, 60),
        (230, 200, 40),
        (180, 30, 30),
        (150, 100, 70),
    ]
    for c in colours:
        out.append((f"flat:{c}", Image.new("RGB", (400, 300), c)))
    for i in range(6):
        page = Image.new("RGB", (600, 800), (250, 250, 248))
        d = ImageDraw.Draw(page)
        for line in range(30):
            d.text(
                (40, 30 + line * 24),
                f"Invoice {i}-{line} lorem ipsum dolor sit amet " * 2,
                fill=(20, 20, 20),
            )
        out.append((f"document:{i}", page))
        text = Image.new("RGB", (400, 400), tuple(int(v) for v in rng.integers(0, 255, 3)))
        ImageDraw.Draw(text).text((20, 180), "HELLO WORLD " * 3, fill=(0, 0, 0))
        out.append((f"text_render:{i}", text))
    for i in range(6):
        noise = rng.integers(0, 256, (300, 300, 3), dtype=np.uint8)
        out.append((f"noise:{i}", Image.fromarray(noise)))
        smooth = Image.fromarray(noise).filter(ImageFilter.GaussianBlur(3))
        out.append((f"smooth_noise:{i}", smooth))
    return out


def gate_rates(lesion_paths: list[Path], classifier: Classifier | None = None) -> dict:
    refused = Counter()
    for p in lesion_paths:
        with Image.open(p) as im:
            r = check_image(im, classifier=classifier)
        if not r.ok:
            refused[r.code] += 1
    fr = sum(refused.values()) / max(len(lesion_paths), 1)
    others = non_skin_images()
    nref = Counter()
    accepted = []
    for name, im in others:
        r = check_image(im, classifier=classifier)
        if r.ok:
            accepted.append(name)
        else:
            nref[r.code] += 1
    return {
        "false_refusal_rate_test": round(fr, 4),
        "test_images": len(lesion_paths),
        "test_refusals_by_code": dict(refused),
        "non_skin_refusal_rate": round(sum(nref.values()) / len(others), 4),
        "non_skin_images": len(others),
        "non_skin_refusals_by_code": dict(nref),
        "non_skin_accepted": accepted,
    }
