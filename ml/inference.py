"""Serving-side classifier: LiteRT interpreter + numpy + Pillow only.

Never import TensorFlow/Keras here (or in anything imported from here): web workers must stay
small (see ``python -m ml.bench`` for the RSS check).

    from ml.inference import get_classifier
    res = get_classifier().predict(pil_image, heatmap=True)
"""

from __future__ import annotations

import io
import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter
from PIL import Image, ImageOps
from threadpoolctl import threadpool_limits

from ml.versions import version_key

MODELS_DIR = Path(__file__).resolve().parent / "models"


@dataclass
class InferenceResult:
    probabilities: dict[str, float]
    ranked: list[tuple[str, float]]
    top: str
    uncertain: bool
    inference_ms: float
    heatmap_png: bytes | None
    model_version: str
    # Classes whose probability reaches their high-sensitivity threshold (see card
    # "thresholds"): the "refer / do not miss" signal, independent of the top class.
    flagged: list[str] = field(default_factory=list)
    # Feature-space distance to the training images and whether it exceeds the val-chosen
    # cut (99th percentile of val): "this does not look like the images I was trained on".
    ood_score: float | None = None
    out_of_distribution: bool = False


def find_model_dir() -> Path:
    """``$SKIN_MODEL_DIR`` if set, else the newest version folder that has a model.tflite."""
    env = os.environ.get("SKIN_MODEL_DIR")
    if env:
        return Path(env).expanduser().resolve()
    candidates = [p.parent for p in MODELS_DIR.glob("*/model.tflite")]
    if not candidates:
        raise FileNotFoundError(f"no model version folder with model.tflite under {MODELS_DIR}")

    return max(candidates, key=version_key)


def to_rgb(image: Image.Image) -> Image.Image:
    """Any PIL mode -> RGB, honouring EXIF rotation (phones store rotated JPEGs)."""
    image = ImageOps.exif_transpose(image) or image
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        arr = np.asarray(image, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        scaled = (arr - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(arr)
        image = Image.fromarray(scaled.astype(np.uint8), mode="L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent areas become white rather than black (no fake dark border).
        rgba = image.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(bg, rgba)
    return image.convert("RGB")


def preprocess(image: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """Exactly the training resize: whole image squashed to the input size, bilinear."""
    rgb = to_rgb(image).resize(size, Image.Resampling.BILINEAR)
    return np.asarray(rgb, dtype=np.float32)


def _colormap(v: np.ndarray) -> np.ndarray:
    """Jet-like colour map for values in [0, 1] -> uint8 RGB (no matplotlib at serve time)."""
    r = np.clip(1.5 - np.abs(4 * v - 3), 0, 1)
    g = np.clip(1.5 - np.abs(4 * v - 2), 0, 1)
    b = np.clip(1.5 - np.abs(4 * v - 1), 0, 1)
    return (np.stack([r, g, b], axis=-1) * 255).astype(np.uint8)


def heatmap_overlay(rgb: np.ndarray, cam: np.ndarray, max_side: int = 224) -> bytes:
    """PNG of the class activation map blended over the (model-sized) input image."""
    cam = np.maximum(cam - np.median(cam), 0.0)
    cam = cam / cam.max() if cam.max() > 0 else cam
    h, w = rgb.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    out_size = (max(1, round(w * scale)), max(1, round(h * scale)))
    cam_img = Image.fromarray((cam * 255).astype(np.uint8), mode="L").resize(out_size, Image.Resampling.BICUBIC)
    heat = np.asarray(cam_img, dtype=np.float32) / 255.0
    base = np.asarray(
        Image.fromarray(rgb.astype(np.uint8)).resize(out_size, Image.Resampling.BILINEAR),
        dtype=np.float32,
    )
    alpha = (0.55 * heat)[..., None]  # cold areas stay almost unchanged
    blended = (1 - alpha) * base + alpha * _colormap(heat).astype(np.float32)
    buf = io.BytesIO()
    Image.fromarray(blended.clip(0, 255).astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def ood_score(features: np.ndarray, stats: dict[str, np.ndarray]) -> np.ndarray:
    """Cosine distance to the k-th nearest training image in feature space (deep k-NN OOD).

    Higher = less like anything the model was trained on. ``stats["bank"]`` holds the
    L2-normalised pooled features of the training images; k-NN distance catches inputs whose
    features point in new directions even when their norm looks ordinary (a Mahalanobis score
    on these features did not separate flat colours or faces from lesions).
    """
    f = np.atleast_2d(features).astype(np.float32)
    f = f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-12)
    bank = stats["bank"]
    sims = f @ (bank if bank.dtype == np.float32 else bank.astype(np.float32)).T
    k = int(stats["k"])
    kth = -np.partition(-sims, k - 1, axis=1)[:, k - 1]
    return (1.0 - kth).astype(np.float64)


def knn_ood_stats(train_features: np.ndarray, k: int = 10) -> dict[str, np.ndarray]:
    """Feature bank for ``ood_score`` (float16 keeps ~1.5k x 1280 features at ~4 MB)."""
    f = train_features.astype(np.float32)
    f = f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-12)
    return {"bank": f.astype(np.float16), "k": np.array(k)}


class Classifier:
    """One LiteRT interpreter; ``invoke`` is serialised by a lock so threads can share it."""

    def __init__(self, model_dir: Path, num_threads: int | None = None) -> None:
        self.model_dir = Path(model_dir)
        self.card: dict = json.loads((self.model_dir / "model_card.json").read_text())
        self.labels: list[str] = json.loads((self.model_dir / "labels.json").read_text())
        self.version: str = str(self.card.get("version", self.model_dir.name))
        self.thresholds: dict[str, float] = {k: float(v) for k, v in self.card.get("thresholds", {}).items()}
        rule = self.card.get("uncertain_rule", {})
        self.uncertain_below = float(rule.get("top_probability_below", 0.5))
        # numpy's BLAS threads (for the small OOD product) spin after each call and steal the
        # cores LiteRT's own threads need: measured 10.4 ms -> 5.5 ms p50 with BLAS at 1 thread.
        threadpool_limits(limits=1, user_api="blas")
        threads = num_threads or int(os.environ.get("SKIN_TFLITE_THREADS", "2"))
        self._interp = Interpreter(str(self.model_dir / "model.tflite"), num_threads=threads)
        self._interp.allocate_tensors()
        inp = self._interp.get_input_details()[0]
        self._in_index = inp["index"]
        self.input_size = (int(inp["shape"][2]), int(inp["shape"][1]))  # PIL (w, h)
        self._prob_index = self._cam_index = self._feat_index = None
        for d in self._interp.get_output_details():
            if len(d["shape"]) == 2 and d["shape"][-1] == len(self.labels):
                self._prob_index = d["index"]
            elif len(d["shape"]) == 2:
                self._feat_index = d["index"]
            elif len(d["shape"]) == 4:
                self._cam_index = d["index"]
        if self._prob_index is None:
            raise ValueError("model has no [1, n_labels] probability output")
        self._lock = threading.Lock()
        # Optional out-of-distribution statistics shipped with the model (see model card).
        self.ood_stats: dict[str, np.ndarray] | None = None
        self.ood_threshold: float | None = None
        ood_path = self.model_dir / "ood_stats.npz"
        if ood_path.exists() and self._feat_index is not None:
            with np.load(ood_path) as z:
                self.ood_stats = {k: z[k] for k in z.files}
            # Stored as float16 to keep the artifact small; widened once here, not per request.
            self.ood_stats["bank"] = self.ood_stats["bank"].astype(np.float32)
            self.ood_threshold = float(self.ood_stats["threshold"])

    def embed(self, image: Image.Image) -> np.ndarray | None:
        """Pooled backbone features of ``image`` (None for a model without that output)."""
        if self._feat_index is None:
            return None
        x = preprocess(image, self.input_size)
        with self._lock:
            self._interp.set_tensor(self._in_index, x[None])
            self._interp.invoke()
            return self._interp.get_tensor(self._feat_index)[0].copy()

    def predict(self, image: Image.Image, heatmap: bool = True) -> InferenceResult:
        t0 = time.perf_counter()
        x = preprocess(image, self.input_size)
        with self._lock:
            self._interp.set_tensor(self._in_index, x[None])
            self._interp.invoke()
            probs = self._interp.get_tensor(self._prob_index)[0].astype(np.float64)
            cam = (
                self._interp.get_tensor(self._cam_index)[0].copy() if heatmap and self._cam_index is not None else None
            )
            feats = self._interp.get_tensor(self._feat_index)[0].copy() if self._feat_index is not None else None
        ood = float(ood_score(feats, self.ood_stats)[0]) if feats is not None and self.ood_stats is not None else None
        probs = probs / probs.sum()  # float32 softmax sums to 1 +- 1e-7; make it exact
        ms = (time.perf_counter() - t0) * 1000.0
        order = np.argsort(-probs)
        ranked = [(self.labels[i], float(probs[i])) for i in order]
        top_i = int(order[0])
        png = heatmap_overlay(x, cam[..., top_i]) if cam is not None else None
        return InferenceResult(
            probabilities={lab: float(p) for lab, p in zip(self.labels, probs, strict=True)},
            ranked=ranked,
            top=self.labels[top_i],
            uncertain=bool(probs[top_i] < self.uncertain_below),
            inference_ms=ms,
            heatmap_png=png,
            model_version=self.version,
            flagged=[c for c, t in self.thresholds.items() if probs[self.labels.index(c)] >= t],
            ood_score=ood,
            out_of_distribution=bool(ood is not None and self.ood_threshold is not None and ood > self.ood_threshold),
        )


_lock = threading.Lock()
_classifier: Classifier | None = None
_pid: int | None = None


def get_classifier() -> Classifier:
    """The process-wide classifier, loaded lazily; reloaded after a fork (new pid).

    An interpreter created before ``fork`` (gunicorn --preload, celery prefork) shares native
    thread pools with the parent and can deadlock, so a child builds its own.
    """
    global _classifier, _pid, _lock
    if _pid is not None and _pid != os.getpid():
        _lock = threading.Lock()  # a lock copied mid-acquire by fork would never be released
        _classifier = None
    if _classifier is None:
        with _lock:
            if _classifier is None or _pid != os.getpid():
                _classifier = Classifier(find_model_dir())
                _pid = os.getpid()
    return _classifier


def reset_classifier() -> None:
    """Forget the cached classifier (tests, or after switching ``SKIN_MODEL_DIR``)."""
    global _classifier, _pid
    with _lock:
        _classifier, _pid = None, None
