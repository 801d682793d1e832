"""The patient's answers as the classifier's context: validation and the fusion's feature vector.

Numpy only (the web process imports this). ``Classifier.predict(image, context=...)`` takes a dict
with any of these keys; a missing key means "unknown" and never counts as an answer:

- ``age`` (years), ``sex`` (``female``/``male``), ``body_site`` (the API's site codes),
  ``fitzpatrick`` (1-6), ``diameter_mm``;
- booleans ``itch``, ``grew``, ``hurt``, ``changed``, ``bleed``, ``elevation``;
- ``dermoscope`` (bool): the patient says the photo was taken through a dermatoscope.

The fusion model uses age, body site and the six symptom answers. ``sex``, ``fitzpatrick`` and
``diameter_mm`` are accepted and recorded but not fed to it: in PAD-UFES-20 they were collected
only for biopsied lesions, so "unknown" there means "probably benign" and a model trained on it
would read a patient's unanswered question as evidence (see the model card).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

BODY_SITES: tuple[str, ...] = (
    "scalp",
    "face",
    "ear",
    "neck",
    "chest",
    "back",
    "abdomen",
    "upper_limb",
    "hand",
    "lower_limb",
    "foot",
    "genital",
    "other",
)
ANSWERS: tuple[str, ...] = ("itch", "grew", "hurt", "changed", "bleed", "elevation")
RECORDED_ONLY: tuple[str, ...] = ("sex", "fitzpatrick", "diameter_mm", "dermoscope")
KEYS: tuple[str, ...] = ("age", "body_site", *ANSWERS, *RECORDED_ONLY)
# Feature vector of the fusion model: age (centred, scaled) + an "age known" flag, one-hot site,
# and each answer as +1 yes / -1 no / 0 unknown.
FEATURES: tuple[str, ...] = ("age", "age_known", *(f"site_{s}" for s in BODY_SITES), *ANSWERS)
AGE_CENTRE, AGE_SCALE = 60.0, 15.0

# PAD-UFES-20's region codes -> the API's body sites (its SOURCE.md).
PAD_REGION_TO_SITE: Mapping[str, str] = {
    "FACE": "face",
    "NOSE": "face",
    "LIP": "face",
    "FOREARM": "upper_limb",
    "ARM": "upper_limb",
    "THIGH": "lower_limb",
    "EAR": "ear",
    "NECK": "neck",
    "SCALP": "scalp",
    "CHEST": "chest",
    "BACK": "back",
    "ABDOMEN": "abdomen",
    "HAND": "hand",
    "FOOT": "foot",
}


def _as_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, np.integer)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        v = value.strip().lower()
        if v in ("true", "yes", "1", "y"):
            return True
        if v in ("false", "no", "0", "n"):
            return False
    return None


def _as_number(value: object, lo: float, hi: float) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if np.isfinite(x) and lo <= x <= hi else None


def normalise(context: Mapping[str, object] | None) -> dict[str, object]:
    """Keep the known keys with valid values; anything else (unknown key, bad value) is dropped."""
    out: dict[str, object] = {}
    if not context:
        return out
    age = _as_number(context.get("age"), 0, 120)
    if age is not None:
        out["age"] = round(age)
    site = context.get("body_site")
    if isinstance(site, str) and site.strip().lower() in BODY_SITES:
        out["body_site"] = site.strip().lower()
    sex = context.get("sex")
    if isinstance(sex, str) and sex.strip().lower() in ("female", "male"):
        out["sex"] = sex.strip().lower()
    fitz = _as_number(context.get("fitzpatrick"), 1, 6)
    if fitz is not None and float(fitz).is_integer():
        out["fitzpatrick"] = int(fitz)
    diameter = _as_number(context.get("diameter_mm"), 0.1, 500)
    if diameter is not None:
        out["diameter_mm"] = round(diameter, 1)
    for key in (*ANSWERS, "dermoscope"):
        b = _as_bool(context.get(key))
        if b is not None:
            out[key] = b
    return out


def features(context: Mapping[str, object] | None) -> np.ndarray:
    """The fusion model's input for a (normalised or raw) context; all zeros = nothing known."""
    ctx = normalise(context)
    x = np.zeros(len(FEATURES), dtype=np.float64)
    if "age" in ctx:
        x[0] = (float(ctx["age"]) - AGE_CENTRE) / AGE_SCALE
        x[1] = 1.0
    if "body_site" in ctx:
        x[FEATURES.index(f"site_{ctx['body_site']}")] = 1.0
    for key in ANSWERS:
        if key in ctx:
            x[FEATURES.index(key)] = 1.0 if ctx[key] else -1.0
    return x


def fused_keys(context: Mapping[str, object] | None) -> dict[str, object]:
    """The part of a context the fusion model reads (what a nurse is shown as "used")."""
    ctx = normalise(context)
    return {k: ctx[k] for k in ("age", "body_site", *ANSWERS) if k in ctx}


def pad_context(row: Mapping[str, str]) -> dict[str, object]:
    """A PAD-UFES-20 ``splits.csv`` row as the context a patient would give (UNK/blank omitted)."""
    ctx: dict[str, object] = {}
    if row.get("age", "").strip():
        ctx["age"] = row["age"]
    site = PAD_REGION_TO_SITE.get(row.get("region", "").strip().upper())
    if site:
        ctx["body_site"] = site
    gender = row.get("gender", "").strip().upper()
    if gender in ("FEMALE", "MALE"):
        ctx["sex"] = gender.lower()
    if row.get("fitspatrick", "").strip():
        ctx["fitzpatrick"] = row["fitspatrick"]
    if row.get("diameter_1", "").strip():
        ctx["diameter_mm"] = max(float(row["diameter_1"]), float(row.get("diameter_2") or 0))
    for key in ANSWERS:
        if row.get(key, "").strip() in ("True", "False"):
            ctx[key] = row[key].strip() == "True"
    return normalise(ctx)
