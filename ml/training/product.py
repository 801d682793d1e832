"""The product's path for a dataset image, for fitting and evaluation: the upload re-encode
(``ml.upload``), the gate's pixel checks, then the exported network's raw outputs.

Results are cached per model file and split under ``ml/training/cache`` (git-ignored).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from PIL import Image

from ml import upload
from ml.gate import check_image
from ml.inference import Classifier, preprocess
from ml.labels import LABELS
from ml.training.data import split_rows
from ml.training.paths import CACHE_DIR


def stored_image(path: Path) -> Image.Image:
    with Image.open(path) as im:
        return upload.as_stored(im)


def raw_outputs(clf: Classifier, root: Path, split: str, cache_dir: Path = CACHE_DIR) -> dict[str, np.ndarray]:
    """probs (exported, dermoscopic calibration), feats, y, and the pixel gate's code per image."""
    sel = split_rows(root, split)
    files = ["model.tflite"] + ([clf.card["dermoscopic_model"]["file"]] if clf.card.get("dermoscopic_model") else [])
    model_sha = hashlib.sha256(b"".join((clf.model_dir / f).read_bytes() for f in files)).hexdigest()[:16]
    key = hashlib.sha1(  # cache key only
        f"{model_sha}|{root}|{split}|q{upload.JPEG_QUALITY}s{upload.JPEG_SUBSAMPLING}|{len(sel)}".encode(),
        usedforsecurity=False,
    ).hexdigest()[:12]
    path = cache_dir / f"product_{root.name}_{split}_{key}.npz"
    if path.exists():
        with np.load(path) as z:
            cached = {k: z[k] for k in z.files}
        if "probs_view1" in cached:
            return cached
        if not clf.mirror_by_invoke:  # a cache written before probs_view1 existed: in-graph TTA
            return {**cached, "probs_view1": cached["probs"]}
    probs, feats, codes, derm, view1 = [], [], [], [], []
    for r in sel:
        im = stored_image(root / r["path"])
        gate = check_image(im, model_check=False)
        p, p1, f = clf.raw_views(im)
        probs.append(p)
        view1.append(p1)
        feats.append(f)
        codes.append(gate.code or "ok")
        second = clf.dermoscopic_outputs(preprocess(im, clf.input_size))
        derm.append(p if second is None else second[0])
    out = {
        "probs": np.stack(probs),
        "feats": np.stack(feats).astype(np.float32),
        "y": np.array([LABELS.index(r["label"]) for r in sel]),
        "gate": np.array(codes),
        # what the dermoscopic head reads: the dermoscopic network when the version ships one
        "probs_dermoscopic": np.stack(derm),
        # the main network on the image's own view only (what a dermoscopic photo gets from a
        # version whose main network skips its mirror there; = probs for in-graph TTA)
        "probs_view1": np.stack(view1),
    }
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.savez(path, **out)
    return out
