"""Serving-side classifier: LiteRT interpreter + numpy + Pillow only.

Never import TensorFlow/Keras here (or in anything imported from here): web workers must stay
small (see ``python -m ml.bench`` for the RSS check).

    from ml.inference import get_classifier
    res = get_classifier().predict(pil_image, heatmap=True, context={"age": 63, "bleed": True})

One network pass serves both photo kinds: the pooled features feed a photo-kind detector
(dermoscopic vs ordinary phone photo), and each kind has its own calibration, thresholds and
uncertain cut; for phone photos the patient's answers (``ml.context``) are fused with the image
(all fitted after training by ``ml.training.kinds``, shipped in ``kinds.npz`` + the model card).
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

from ml import context as C
from ml.versions import version_key

KINDS = ("dermoscopic", "clinical")

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
    # "dermoscopic" or "clinical" (an ordinary phone photo), and the detector's P(dermoscopic).
    photo_kind: str = "dermoscopic"
    kind_probability: float | None = None
    # The answers the fusion read (normalised), and the thresholds that applied to this kind.
    context_used: dict = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    # The image-only probabilities of this kind's head, before the answers were fused in.
    image_probabilities: dict[str, float] = field(default_factory=dict)


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


def blend_probabilities(main: np.ndarray, second: np.ndarray, blend: float) -> np.ndarray:
    """Weighted geometric mean of two networks' probabilities (rows), renormalised."""
    logp = (1 - blend) * np.log(np.clip(main, 1e-30, None)) + blend * np.log(np.clip(second, 1e-30, None))
    e = np.exp(logp - logp.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def mean_of_views(first: np.ndarray, mirrored: np.ndarray) -> np.ndarray:
    """Test-time augmentation by two invokes: the mean of both views' logits (what the in-graph
    TTA of earlier versions computed), i.e. the renormalised geometric mean of their probabilities."""
    logp = (np.log(np.clip(first, 1e-30, None)) + np.log(np.clip(mirrored, 1e-30, None))) / 2.0
    p = np.exp(logp - logp.max(-1, keepdims=True))
    return p / p.sum(-1, keepdims=True)


def detector_probability(feats: np.ndarray, mean, scale, coef, intercept) -> np.ndarray:
    """P(dermoscopic) of the photo-kind detector for pooled features (one row or many)."""
    z = ((np.asarray(feats, dtype=np.float64) - mean) / scale) @ coef + intercept
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


@dataclass(frozen=True)
class KindHead:
    """Per-photo-kind calibration (a rescale of the exported log-probabilities), thresholds, the
    uncertain cut, and for phone photos the answer fusion: ``log p(c|image) + w * (log
    p(c|answers) - log prior)`` over the classes the answer model knows (naive-Bayes style)."""

    rescale: float
    thresholds: dict[str, float]
    uncertain_below: float
    # Dermoscopic photos with a second network: log p = blend * log p_second + (1 - blend) * log p_main.
    blend: float = 0.0
    # Models whose main network is one view (card "mirror_by_invoke"): whether this kind's photos
    # also get the mirrored view. Dermoscopic photos scored by a second network skip it: the
    # second network has its own mirror, and one invoke less keeps the path in its budget.
    main_mirror: bool = True
    fusion_weight: float = 0.0
    fusion_index: np.ndarray | None = None  # label indices the answer model covers
    ctx_coef: np.ndarray | None = None
    ctx_intercept: np.ndarray | None = None

    def answer_log_ratio(self, x: np.ndarray) -> np.ndarray | None:
        if self.ctx_coef is None or not x.any():
            return None
        logits = self.ctx_coef @ x + self.ctx_intercept
        logp = logits - logits.max() - np.log(np.exp(logits - logits.max()).sum())
        return logp - np.log(1.0 / len(logits))  # the answer model is fitted class-balanced


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
        # model.tflite is one view; the mirrored view is a second invoke (see predict)
        self.mirror_by_invoke = bool(self.card.get("mirror_by_invoke"))
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
        self._load_dermoscopic_model(threads)
        self._load_kinds()
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

    def _load_dermoscopic_model(self, threads: int) -> None:
        """An optional second network for dermoscopic photos (``card["dermoscopic_model"]``): the
        detector, the out-of-distribution check and phone photos use the main network; photos the
        detector calls dermoscopic are scored by this one when the version ships it."""
        self._derm = None
        spec = self.card.get("dermoscopic_model")
        if not spec:
            return
        interp = Interpreter(str(self.model_dir / spec["file"]), num_threads=threads)
        interp.allocate_tensors()
        inp = interp.get_input_details()[0]
        if (int(inp["shape"][2]), int(inp["shape"][1])) != self.input_size:
            raise ValueError("the dermoscopic network must take the main network's input size")
        prob = cam = None
        for d in interp.get_output_details():
            if len(d["shape"]) == 2 and d["shape"][-1] == len(self.labels):
                prob = d["index"]
            elif len(d["shape"]) == 4:
                cam = d["index"]
        if prob is None:
            raise ValueError(f"{spec['file']} has no [1, n_labels] probability output")
        self._derm = (interp, inp["index"], prob, cam)

    def dermoscopic_outputs(self, x: np.ndarray, heatmap: bool = False) -> tuple[np.ndarray, np.ndarray | None] | None:
        """Probabilities (and CAM) of the dermoscopic network for a preprocessed input, if shipped."""
        if self._derm is None:
            return None
        interp, in_index, prob, cam = self._derm
        with self._lock:
            interp.set_tensor(in_index, x[None])
            interp.invoke()
            p = interp.get_tensor(prob)[0].astype(np.float64)
            c = interp.get_tensor(cam)[0].copy() if heatmap and cam is not None else None
        return p / p.sum(), c

    def _load_kinds(self) -> None:
        """Per-kind heads from ``kinds.npz`` + ``card["kinds"]``; without them every photo is
        treated as dermoscopic with the card's own thresholds (models before mnv2-20261201)."""
        spec = self.card.get("kinds")
        path = self.model_dir / "kinds.npz"
        self.heads: dict[str, KindHead] = {}
        self._detector = None
        self.kind_cut, self.kind_hint_band = 0.5, (0.25, 0.75)
        if not spec or not path.exists() or self._feat_index is None:
            self.heads["dermoscopic"] = KindHead(1.0, dict(self.thresholds), self.uncertain_below)
            return
        with np.load(path) as z:
            arrays = {k: z[k].astype(np.float64) for k in z.files}
        self._detector = (arrays["det_mean"], arrays["det_scale"], arrays["det_coef"], float(arrays["det_intercept"]))
        self.kind_cut = float(spec["detector"].get("cut", 0.5))
        self.kind_hint_band = tuple(spec["detector"].get("hint_band", (0.25, 0.75)))
        for kind in KINDS:
            k = spec[kind]
            fusion = k.get("fusion") or {}
            self.heads[kind] = KindHead(
                rescale=float(k["rescale"]),
                thresholds={c: float(t) for c, t in k["thresholds"].items()},
                uncertain_below=float(k["uncertain_below"]),
                blend=float(k.get("blend", 0.0)),
                main_mirror=bool(k.get("main_mirror", True)),
                fusion_weight=float(fusion.get("weight", 0.0)),
                fusion_index=np.array([self.labels.index(c) for c in fusion["classes"]]) if fusion else None,
                ctx_coef=arrays.get(f"{kind}_ctx_coef") if fusion else None,
                ctx_intercept=arrays.get(f"{kind}_ctx_intercept") if fusion else None,
            )
        if list(spec["fusion_features"]) != list(C.FEATURES):
            raise ValueError("kinds.npz was fitted on another answer encoding than ml.context.FEATURES")

    def photo_kind(self, feats: np.ndarray | None, context: dict) -> tuple[str, float | None]:
        """The detector's kind (P(dermoscopic) >= the card's cut, chosen on val); the patient's
        "dermatoscope?" answer decides only inside the detector's unsure band."""
        if self._detector is None or feats is None:
            return "dermoscopic", None
        p = float(detector_probability(feats, *self._detector))
        lo, hi = self.kind_hint_band
        if "dermoscope" in context and lo <= p <= hi:
            return ("dermoscopic" if context["dermoscope"] else "clinical"), p
        return ("dermoscopic" if p >= self.kind_cut else "clinical"), p

    def _main_view(
        self, x: np.ndarray, heatmap: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """(probabilities, CAM if asked, pooled features) of the main network for one input."""
        with self._lock:
            self._interp.set_tensor(self._in_index, x[None])
            self._interp.invoke()
            probs = self._interp.get_tensor(self._prob_index)[0].astype(np.float64)
            cam = feats = None
            if heatmap and self._cam_index is not None:
                cam = self._interp.get_tensor(self._cam_index)[0].copy()
            if self._feat_index is not None:
                feats = self._interp.get_tensor(self._feat_index)[0].copy()
        return probs / probs.sum(), cam, feats

    def _with_mirror(self, x: np.ndarray, first: np.ndarray) -> np.ndarray:
        mirrored, _, _ = self._main_view(np.ascontiguousarray(x[:, ::-1]))
        return mean_of_views(first, mirrored)

    def raw_views(self, image: Image.Image) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(probabilities with the mirrored view, of the image's own view only, pooled features):
        for a model with in-graph TTA both probabilities are the network's one output."""
        x = preprocess(image, self.input_size)
        first, _, feats = self._main_view(x)
        both = self._with_mirror(x, first) if self.mirror_by_invoke else first
        return both, first, feats

    def raw_outputs(self, image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
        """The exported network's own probabilities (dermoscopic calibration, both views) and pooled
        features, before any per-kind head: what ``ml.training.kinds`` fits the heads on."""
        both, _, feats = self.raw_views(image)
        return both, feats

    def ood_cut(self, kind: str) -> float | None:
        """The out-of-distribution cut for this photo kind (per-kind cuts since mnv2-20261201)."""
        key = f"threshold_{kind}"
        if self.ood_stats is not None and key in self.ood_stats:
            return float(self.ood_stats[key])
        return self.ood_threshold

    def embed(self, image: Image.Image) -> np.ndarray | None:
        """Pooled backbone features of ``image`` (None for a model without that output)."""
        if self._feat_index is None:
            return None
        return self._main_view(preprocess(image, self.input_size))[2]

    def predict(self, image: Image.Image, *, heatmap: bool = False, context: dict | None = None) -> InferenceResult:
        t0 = time.perf_counter()
        ctx = C.normalise(context)
        x = preprocess(image, self.input_size)
        probs, cam, feats = self._main_view(x, heatmap)
        ood = float(ood_score(feats, self.ood_stats)[0]) if feats is not None and self.ood_stats is not None else None
        kind, p_kind = self.photo_kind(feats, ctx)
        head = self.heads[kind]
        second_net = kind == "dermoscopic" and self._derm is not None and head.blend > 0
        if self.mirror_by_invoke and (head.main_mirror or not second_net):
            probs = self._with_mirror(x, probs)
        if second_net:
            second, second_cam = self.dermoscopic_outputs(x, heatmap)
            probs = blend_probabilities(probs, second, head.blend)
            if cam is not None and second_cam is not None:
                cam = (1 - head.blend) * cam + head.blend * second_cam
        logp = np.log(np.clip(probs, 1e-30, None)) * head.rescale
        image_probs = _softmax(logp)
        used: dict = {}
        if head.fusion_weight > 0 and head.fusion_index is not None:
            ratio = head.answer_log_ratio(C.features(ctx))
            if ratio is not None:
                logp[head.fusion_index] += head.fusion_weight * ratio
                used = C.fused_keys(ctx)
        probs = _softmax(logp)  # exact sum to 1 (float32 softmax is only +- 1e-7)
        ms = (time.perf_counter() - t0) * 1000.0
        order = np.argsort(-probs)
        ranked = [(self.labels[i], float(probs[i])) for i in order]
        top_i = int(order[0])
        png = heatmap_overlay(x, cam[..., top_i]) if cam is not None else None
        return InferenceResult(
            probabilities={lab: float(p) for lab, p in zip(self.labels, probs, strict=True)},
            ranked=ranked,
            top=self.labels[top_i],
            uncertain=bool(probs[top_i] < head.uncertain_below),
            inference_ms=ms,
            heatmap_png=png,
            model_version=self.version,
            flagged=[c for c, t in head.thresholds.items() if probs[self.labels.index(c)] >= t],
            ood_score=ood,
            out_of_distribution=bool(ood is not None and self.ood_threshold is not None and ood > self.ood_cut(kind)),
            photo_kind=kind,
            kind_probability=p_kind,
            context_used=used,
            thresholds=dict(head.thresholds),
            image_probabilities={lab: float(p) for lab, p in zip(self.labels, image_probs, strict=True)},
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
