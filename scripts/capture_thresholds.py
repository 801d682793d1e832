"""Measure the upload page's on-device photo check (static/js/capture.js) in a real Chromium.

Runs capture.js's own measure() on real phone photos (PAD-UFES-20 in ../shared, or
SKIN_PHONE_DATA_DIR) and on blurred and darkened copies of each, and prints percentiles and how
many of each kind the current thresholds flag. The numbers are written in capture.js.

    .venv/bin/python scripts/capture_thresholds.py [--limit N]
"""

import argparse
import base64
import io
import json
import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.images import PHONE_DIR  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def variants(image: Image.Image) -> dict[str, Image.Image]:
    side = max(image.size)
    dark = np.asarray(image, dtype=np.float32)
    return {
        "real": image,
        "blur_0.5pct": image.filter(ImageFilter.GaussianBlur(0.005 * side)),
        "blur_1pct": image.filter(ImageFilter.GaussianBlur(0.01 * side)),
        "blur_2pct": image.filter(ImageFilter.GaussianBlur(0.02 * side)),
        "dark_x0.35": Image.fromarray((dark * 0.35).astype(np.uint8)),
        "dark_x0.2": Image.fromarray((dark * 0.2).astype(np.uint8)),
    }


def data_url(image: Image.Image) -> str:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    paths = sorted((PHONE_DIR / "images").rglob("*.jpg"))
    if args.limit:
        paths = paths[:: max(1, len(paths) // args.limit)][: args.limit]
    results: dict[str, list[dict]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto("about:blank")
        page.add_script_tag(path=str(ROOT / "static" / "js" / "capture.js"))
        thresholds = page.evaluate("SkinCapture.THRESHOLDS")
        for path in paths:
            with Image.open(path) as original:
                image = original.convert("RGB")
            for kind, version in variants(image).items():
                m = page.evaluate("url => SkinCapture.measureUrl(url)", data_url(version))
                results.setdefault(kind, []).append(m)
        browser.close()
    print(f"{len(paths)} photos from {PHONE_DIR}; thresholds {json.dumps(thresholds)}")
    for kind, rows in results.items():
        lum = np.array([r["luminance"] for r in rows])
        sharp = np.array([r["sharpness"] for r in rows])
        glare = np.array([r["glare"] for r in rows])
        pct = [0, 5, 50, 95, 100]
        print(
            f"{kind:12s} luminance p{pct}={np.percentile(lum, pct).round(1).tolist()} "
            f"dark={np.mean(lum < thresholds['darkBelow']):.0%} | "
            f"sharpness p{pct}={np.percentile(sharp, pct).round(1).tolist()} "
            f"blurry={np.mean(sharp < thresholds['blurryBelow']):.0%} | "
            f"glare p99={np.percentile(glare, 99):.3f} flagged={np.mean(glare > thresholds['glareAbove']):.0%}"
        )


if __name__ == "__main__":
    main()
