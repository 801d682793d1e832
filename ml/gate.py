"""Input-quality gate run before classification (numpy + Pillow only, no TensorFlow).

Refuses photos the classifier should not see: too small, too dark, washed out, blurry, or not
a (dermoscopic) skin-lesion photo. Thresholds were measured on isic8-180 *train* images (see
``python -m ml.training.gate_stats``): each sits beyond the 0.5-1 % tail of real lesion images,
and the false-refusal / non-skin refusal rates on test + synthetic non-skin photos are in the
model card under "gate".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps

if TYPE_CHECKING:
    from ml.inference import Classifier

MIN_SIDE = 64
WORK_SIZE = 180  # statistics are computed at the training resolution, whatever the upload size

# Measured thresholds (see module docstring).
DARK_MEAN_LUMA = 50.0  # mean luma (0..255) below this: too dark
BRIGHT_MEAN_LUMA = 235.0  # mean luma above this: washed out / overexposed
BRIGHT_CLIPPED_FRACTION = 0.60  # or this share of pixels clipped to (near) white
BLUR_LAPLACIAN_VAR = 6.0  # variance of the Laplacian of luma at 180x180 below this: blurry
NOISE_LAPLACIAN_VAR = 15000.0  # far above any lesion photo (max ~6,300): noise/texture, refuse
MIN_NEIGHBOUR_CORR = 0.5  # adjacent-pixel correlation below this: noise, not a photo
MIN_SKIN_FRACTION = 0.10  # share of "skin/lesion-coloured" pixels below this: not skin
MIN_CHROMA = 4.5  # mean chroma below this: grey-scale / document-like, not a lesion photo


@dataclass(frozen=True)
class GateResult:
    ok: bool
    code: str | None = None
    message: str | None = None


def _(text: str) -> str:
    """Marks a message for translation (makemessages extracts it) without importing Django here:
    the English text is stored, and the web layer shows it in the reader's language."""
    return text


MESSAGES = {
    "too_small": _(
        "The photo is too small. Please take a new, closer photo of the skin spot, "
        "or upload the original photo instead of a thumbnail."
    ),
    "too_dark": _(
        "The photo is too dark. Retake it in good daylight or a well-lit room, "
        "without covering the light with your hand or phone."
    ),
    "too_bright": _(
        "The photo is too bright or washed out. Avoid direct flash and strong "
        "sunlight on the skin, and retake it in even, softer light."
    ),
    "blurry": _("The photo is blurry. Hold the camera steady, let it focus on the skin spot, and retake the photo."),
    "not_skin": _(
        "This does not look like a close-up photo of a skin spot. Please upload a "
        "clear close-up of the mark on your skin, filling most of the picture."
    ),
    "unreadable": _("We could not read this image. Please upload a JPEG or PNG photo."),
}


def _refuse(code: str) -> GateResult:
    return GateResult(ok=False, code=code, message=MESSAGES[code])


def gate_features(image: Image.Image) -> dict[str, float]:
    """Measurements the gate decides on (exposed for threshold measurement and tests)."""
    rgb = ImageOps.exif_transpose(image) or image
    rgb = rgb.convert("RGB").resize((WORK_SIZE, WORK_SIZE), Image.Resampling.BILINEAR)
    a = np.asarray(rgb, dtype=np.float32)
    r, g, b = a[..., 0], a[..., 1], a[..., 2]
    luma = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128.0 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128.0 + 0.5 * r - 0.418688 * g - 0.081312 * b

    lap = -4.0 * luma[1:-1, 1:-1] + luma[:-2, 1:-1] + luma[2:, 1:-1] + luma[1:-1, :-2] + luma[1:-1, 2:]
    # Skin and lesions (pink, red, brown, blue-grey of dermoscopy) sit in a wide warm wedge
    # of the CbCr plane: red dominates blue a little and green never dominates. Dermoscope
    # vignette corners (near-black) are ignored rather than counted against the image.
    lit = luma > 25
    warm = (cr >= 128) & (cr <= 185) & (cb >= 75) & (cb <= 135) & (r >= g - 5)
    skin_fraction = float((warm & lit).sum() / max(int(lit.sum()), 1))
    chroma = float(np.mean(np.hypot(cb - 128.0, cr - 128.0)[lit])) if lit.any() else 0.0
    # Adjacent-pixel correlation at native resolution (centre crop bounds the cost): any
    # camera photo is spatially smooth (> 0.8), random noise is not (~0). Downscaling first
    # would average the noise away.
    native = (ImageOps.exif_transpose(image) or image).convert("L")
    w, h = native.size
    c = min(w, h, 512)
    left, top = (w - c) // 2, (h - c) // 2
    n = np.asarray(native.crop((left, top, left + c, top + c)), dtype=np.float32)
    a_, b_ = n[:, :-1].ravel(), n[:, 1:].ravel()
    sd = float(a_.std() * b_.std())
    neighbour_corr = float(np.mean((a_ - a_.mean()) * (b_ - b_.mean())) / sd) if sd > 0 else 1.0
    return {
        "neighbour_corr": neighbour_corr,
        "mean_luma": float(luma.mean()),
        "clipped_fraction": float(np.mean(luma > 245)),
        "laplacian_var": float(lap.var()),
        "skin_fraction": skin_fraction,
        "chroma": chroma,
    }


def check_image(image: Image.Image, model_check: bool = True, classifier: Classifier | None = None) -> GateResult:
    """Decide whether ``image`` is fit for the classifier; message is patient-facing.

    With ``model_check`` (default) an image that passes the cheap pixel checks is also run
    through the classifier (``classifier`` or the process-wide one) once, and refused when
    its features are far from every training image (``InferenceResult.out_of_distribution``).
    That catches ordinary photos (faces, animals, objects) whose colours happen to look like
    skin. Skipped when no model is shipped.
    """
    try:
        w, h = image.size
        if min(w, h) < MIN_SIDE:
            return _refuse("too_small")
        f = gate_features(image)
    except (OSError, ValueError):
        return _refuse("unreadable")
    if f["mean_luma"] < DARK_MEAN_LUMA:
        return _refuse("too_dark")
    if f["mean_luma"] > BRIGHT_MEAN_LUMA or f["clipped_fraction"] > BRIGHT_CLIPPED_FRACTION:
        return _refuse("too_bright")
    if f["laplacian_var"] < BLUR_LAPLACIAN_VAR:
        return _refuse("blurry")
    if f["laplacian_var"] > NOISE_LAPLACIAN_VAR or f["neighbour_corr"] < MIN_NEIGHBOUR_CORR:
        return _refuse("not_skin")
    if f["chroma"] < MIN_CHROMA or f["skin_fraction"] < MIN_SKIN_FRACTION:
        return _refuse("not_skin")
    if model_check and _model_says_ood(image, classifier):
        return _refuse("not_skin")
    return GateResult(ok=True)


def _model_says_ood(image: Image.Image, classifier: Classifier | None) -> bool:
    # Imported lazily: the pixel checks above must work without a model (and stay cheap).
    from ml.inference import get_classifier

    if classifier is None:
        try:
            classifier = get_classifier()
        except FileNotFoundError:
            return False
    return classifier.predict(image, heatmap=False).out_of_distribution
