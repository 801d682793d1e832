"""The triage policy: a pure function from the evidence about a lesion to a level and reasons.

Level 1 emergency (a red flag), 2 urgent suspected cancer, 3 soon, 4 routine (TRIAGE.md). The most
severe *plausible* class wins: every class whose probability reaches its threshold counts, not
only the top class, so a 30% melanoma is never hidden behind a 60% nevus.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

EMERGENCY, URGENT, SOON, ROUTINE = 1, 2, 3, 4

# Classes that send a case up when plausible, and the level each one sends it to.
CLASS_LEVELS: Mapping[str, int] = {
    "melanoma": URGENT,
    "squamous_cell_carcinoma": URGENT,
    "basal_cell_carcinoma": SOON,
    "actinic_keratosis": SOON,
}
# Used only for a class the model card ships no threshold for. The card's thresholds are chosen
# on validation data for high sensitivity; these are conservative fallbacks.
DEFAULT_THRESHOLDS: Mapping[str, float] = {
    "melanoma": 0.15,
    "squamous_cell_carcinoma": 0.15,
    "basal_cell_carcinoma": 0.20,
    "actinic_keratosis": 0.30,
}
CLASS_NAMES: Mapping[str, str] = {
    "melanoma": "melanoma",
    "squamous_cell_carcinoma": "squamous cell carcinoma",
    "basal_cell_carcinoma": "basal cell carcinoma",
    "actinic_keratosis": "actinic keratosis",
}
# TRIAGE.md: BCC is routine "unless site or size makes delay matter (face near eye/nose/lip/ear,
# larger than 2 cm, rapid growth)". A plausible BCC with one of these goes to the urgent level.
BCC_HIGH_RISK_SITES = frozenset({"face", "ear"})
BCC_HIGH_RISK_DIAMETER_MM = 20.0
URGENCY_LEVELS: Mapping[str, int] = {"emergency": EMERGENCY, "urgent": URGENT, "soon": SOON, "routine": ROUTINE}
RED_FLAG_LABELS: Mapping[str, str] = {
    "widespread_blistering": "widespread blistering or peeling skin",
    "erythroderma": "red skin over most of the body",
    "non_blanching_rash_fever": "fever with a rash that does not fade under pressure",
    "eczema_herpeticum": "painful clustered blisters on eczema with fever",
    "spreading_infection": "rapidly spreading hot, painful redness with fever",
    "drug_reaction_fever": "rash with fever after a new medicine",
    "uncontrolled_bleeding": "bleeding that will not stop",
    "anaphylaxis": "difficulty breathing or a swelling throat or tongue",
}


@dataclass(frozen=True)
class Evidence:
    """Everything known about one case. Any part may be missing."""

    probabilities: Mapping[str, float] | None = None
    thresholds: Mapping[str, float] = field(default_factory=dict)
    # "ok", "uncertain" (low-confidence prediction), "rejected" (unusable or not a lesion),
    # "failed" (internal error) or None (no image yet, e.g. a chat without a photo).
    image_status: str | None = None
    red_flags: Sequence[str] = ()
    seven_point_score: int | None = None
    # The chat interview's own judgement ("urgent", "soon", ...) with its reasons.
    chat_urgency: str | None = None
    chat_reasons: Sequence[str] = ()
    # The patient's answers as given to the classifier (ml.context keys: body_site, grew, bleed,
    # diameter_mm, ...); missing keys are unknown.
    context: Mapping[str, object] | None = None


def _bcc_high_risk(context: Mapping[str, object]) -> str | None:
    """Why a plausible BCC should not wait (TRIAGE.md), or None."""
    if context.get("body_site") in BCC_HIGH_RISK_SITES:
        return f"on the {context['body_site']}"
    diameter = context.get("diameter_mm")
    if isinstance(diameter, (int, float)) and not isinstance(diameter, bool) and diameter > BCC_HIGH_RISK_DIAMETER_MM:
        return f"larger than {BCC_HIGH_RISK_DIAMETER_MM / 10:g} cm"
    if context.get("grew") is True:
        return "growing"
    return None


@dataclass(frozen=True)
class Assessment:
    level: int
    reasons: tuple[str, ...]


def assess(evidence: Evidence) -> Assessment:
    """The level the evidence calls for, with every reason that pushes it there or higher."""
    candidates: list[tuple[int, str]] = []

    for flag in evidence.red_flags:
        candidates.append((EMERGENCY, f"Red flag: {RED_FLAG_LABELS.get(flag, flag.replace('_', ' '))}"))

    context = evidence.context or {}
    if evidence.probabilities:
        for code, level in CLASS_LEVELS.items():
            p = float(evidence.probabilities.get(code, 0.0))
            t = float(evidence.thresholds.get(code, DEFAULT_THRESHOLDS[code]))
            if p >= t:
                why = f"{CLASS_NAMES[code]} probability {p:.2f} is above its {t:.2f} threshold"
                risk = _bcc_high_risk(context) if code == "basal_cell_carcinoma" else None
                if risk:
                    level, why = URGENT, f"{why}, {risk}"
                candidates.append((level, why))

    if context.get("bleed") is True and context.get("grew") is True:
        candidates.append((URGENT, "A bleeding lesion that has grown"))

    if evidence.seven_point_score is not None and evidence.seven_point_score >= 3:
        candidates.append((URGENT, f"7-point checklist score {evidence.seven_point_score} (3 or more)"))

    if evidence.chat_urgency in URGENCY_LEVELS and evidence.chat_urgency != "routine":
        why = "; ".join(evidence.chat_reasons) or evidence.chat_urgency
        candidates.append((URGENCY_LEVELS[evidence.chat_urgency], f"Symptom interview: {why}"))

    if evidence.image_status == "uncertain":
        candidates.append((SOON, "The model is not confident about this photo; a nurse should look"))
    elif evidence.image_status == "rejected":
        candidates.append((SOON, "The photo could not be assessed; a nurse should look"))
    elif evidence.image_status == "failed":
        candidates.append((SOON, "Automatic assessment failed; a nurse should look"))

    if not candidates:
        return Assessment(ROUTINE, ("No dangerous class is plausible and no worrying answers",))
    level = min(level for level, _ in candidates)
    # The reasons that set the level first, then the milder ones for context.
    ordered = sorted(candidates, key=lambda c: c[0])
    return Assessment(level, tuple(reason for _, reason in ordered))
