"""Loading the isic8-180 split and the isic-extra training images as cached uint8 arrays.

Decoding and resizing ~5,700 JPEGs takes a while on 2 cores, so the decoded, resized images are
kept in an ``.npz`` under ``ml/training/cache`` (git-ignored) keyed by data folder and size.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ml.labels import LABELS, MALIGNANT  # noqa: F401 - re-exported for the training modules
from ml.training.paths import CACHE_DIR


@dataclass
class Split:
    images: np.ndarray  # uint8 [N, S, S, 3]
    labels: np.ndarray  # int64 [N]
    paths: list[str]
    sources: list[str]  # "isic8" or the origin of an extra image ("ham", "isic2017")


def load_image(path: Path, size: int) -> np.ndarray:
    """Decode + squash-resize, the exact preprocessing ``ml.inference`` repeats.

    The isic8-180 images were squashed to 180x180 from 4:3 originals, so squashing (not
    cropping) every image keeps the lesion geometry the model saw in training.
    """
    with Image.open(path) as im:
        im = im.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
        return np.asarray(im, dtype=np.uint8)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _load_rows(root: Path, rows: list[dict[str, str]], size: int, tag: str, cache_dir: Path = CACHE_DIR) -> np.ndarray:
    key = hashlib.sha1(  # cache key only
        (str(root) + tag + str(size) + "".join(r["path"] for r in rows)).encode(),
        usedforsecurity=False,
    ).hexdigest()[:12]
    cache = cache_dir / f"img_{tag}_{size}_{key}.npy"
    if cache.exists():
        return np.load(cache)
    arr = np.stack([load_image(root / r["path"], size) for r in rows])
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(cache, arr)
    return arr


def load_isic8(root: Path, size: int, cache_dir: Path = CACHE_DIR) -> dict[str, Split]:
    rows = _read_csv(root / "splits.csv")
    out: dict[str, Split] = {}
    for split in ("train", "val", "test"):
        sel = [r for r in rows if r["split"] == split]
        out[split] = Split(
            images=_load_rows(root, sel, size, f"isic8{split}", cache_dir),
            labels=np.array([LABELS.index(r["label"]) for r in sel], dtype=np.int64),
            paths=[r["path"] for r in sel],
            sources=["isic8"] * len(sel),
        )
    return out


def load_pad(root: Path, size: int, cache_dir: Path = CACHE_DIR) -> dict[str, Split]:
    """pad-ufes-20 smartphone photos per split (patient-grouped ``splits.csv``; test never used here)."""
    rows = _read_csv(root / "splits.csv")
    out: dict[str, Split] = {}
    for split in ("train", "val"):
        sel = [r for r in rows if r["split"] == split]
        out[split] = Split(
            images=_load_rows(root, sel, size, f"pad{split}", cache_dir),
            labels=np.array([LABELS.index(r["label"]) for r in sel], dtype=np.int64),
            paths=[r["path"] for r in sel],
            sources=["pad"] * len(sel),
        )
    return out


def split_rows(root: Path, split: str) -> list[dict[str, str]]:
    """Rows of one isic8-180 split (used by evaluation code that decodes images itself)."""
    return [r for r in _read_csv(root / "splits.csv") if r["split"] == split]


def _extra_source(row: dict[str, str]) -> str:
    return "ham" if row["ham10000_lesion_id"] else "isic2017"


def load_extra(
    root: Path,
    size: int,
    classes: list[str] | None = None,
    cache_dir: Path = CACHE_DIR,
    sources: list[str] | None = None,
) -> Split:
    """isic-extra images, optionally only some classes and/or sources ("ham", "isic2017")."""
    rows = _read_csv(root / "labels.csv")
    if classes is not None:
        rows = [r for r in rows if r["label"] in classes]
    if sources is not None:
        rows = [r for r in rows if _extra_source(r) in sources]
    tag = "extra" + "-".join(sorted(classes or ["all"])) + ("" if sources is None else "-" + "-".join(sorted(sources)))
    return Split(
        images=_load_rows(root, rows, size, tag, cache_dir),
        labels=np.array([LABELS.index(r["label"]) for r in rows], dtype=np.int64),
        paths=[r["path"] for r in rows],
        sources=[_extra_source(r) for r in rows],
    )
