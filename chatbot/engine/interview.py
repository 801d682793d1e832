"""Symptom interview: findings from free text, the weighted 7-point score and urgency rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from . import context, ruleset
from .nlu import describe_days, normalise, parse_duration_days, parse_size_mm
from .redflags import episode_parts, extract_features

# ---------------------------------------------------------------- slots and their patterns

SLOTS: tuple[str, ...] = (
    "duration_days",
    "size_change",
    "shape_irregular",
    "colour_irregular",
    "bleeding",
    "non_healing",
    "sensation",
    "inflammation",
    "diameter_mm",
    "fever_unwell",
    "new_medicine",
    "widespread",
    "history",
    "immunosuppressed",
    # The rash pathway's own slots.
    "rash_spreading",
    "body_site",
)

# The findings and their patterns ("present" states a finding, "absent" denies it: "same size")
# are data: chatbot/engine/rules/<language>.json, "findings".
_INVERT = {"pos": "neg", "neg": "pos", "unc": "unc"}
_RANK = {"neg": 0, "unc": 1, "pos": 2}


def _finding_polarity(analysis: context.Analysis, finding: ruleset.Finding) -> str | None:
    """'pos' wins over 'unc' over 'neg'; a denied denial ("not round") is positive evidence."""
    present = analysis.polarity(context.present_label(finding.slot), past_counts=finding.past_counts)
    absent = analysis.polarity(context.absent_label(finding.slot), past_counts=finding.past_counts)
    seen = [p for p in (present, _INVERT[absent] if absent else None) if p is not None]
    return max(seen, key=_RANK.__getitem__) if seen else None


def _to_bool(p: str | None) -> bool | None:
    return {"pos": True, "neg": False}.get(p or "")


def extract_findings(text: str, today: date | None = None, language: str = "en") -> dict[str, Any]:
    """Every interview finding stated in one message: slot -> value (bool, float or None).

    Only slots the message actually speaks about are returned; a None value means the patient
    said they are not sure.
    """
    t = normalise(text, language)
    rules = ruleset.load(language)
    analysis = context.analyse(t, rules.language)
    found: dict[str, Any] = {}
    for slot, finding in rules.findings.items():
        p = _finding_polarity(analysis, finding)
        # Hedged mentions ("if it bleeds", "maybe bigger") leave the slot open to be asked.
        if p in ("pos", "neg"):
            found[slot] = _to_bool(p)
    # How long and where are read from the sentences about now: "I had sepsis a few years back"
    # is neither how long the spot has been there nor a spot on the back.
    now = normalise(" ".join(episode_parts(text, language)[0]), language)
    duration = parse_duration_days(now, today, language)
    if duration is not None:
        found["duration_days"] = duration
    size = parse_size_mm(t, language)
    if size is not None:
        found["diameter_mm"] = size

    feats = extract_features(t, language)
    if feats.get("fever") == "pos" or feats.get("unwell") == "pos":
        found["fever_unwell"] = True
    elif "neg" in (feats.get("fever"), feats.get("unwell")):
        found["fever_unwell"] = False
    if feats.get("new_drug") == "pos":
        found["new_medicine"] = True
    elif feats.get("new_drug") == "neg" or analysis.polarity(context.MEDICINE_LABEL) == "neg":
        found["new_medicine"] = False
    spread_keys = ("blisters", "peeling", "skin_off", "mucosal", "widespread")
    if any(feats.get(k) == "pos" for k in spread_keys) or (
        feats.get("rash") == "pos" and feats.get("spreading") == "pos"
    ):
        found["widespread"] = True
    elif any(feats.get(k) == "neg" for k in (*spread_keys, "rash")):
        found["widespread"] = False
    if feats.get("spreading") in ("pos", "neg"):
        found["rash_spreading"] = feats["spreading"] == "pos"
    sites = [site for site, pattern in rules.body_sites.items() if pattern.search(now)]
    if sites:
        found["body_site"] = ", ".join(sites)
    # A lesion that bled is bleeding for the interview even when the red-flag layer saw more.
    if feats.get("heavy_bleeding") == "pos":
        found["bleeding"] = True
    return found


# ---------------------------------------------------------------- questions


@dataclass(frozen=True)
class Question:
    """One interview question and the slots its answer fills."""

    id: str
    slots: tuple[str, ...]
    text: str


QUESTIONS: dict[str, Question] = {
    q.id: q
    for q in (
        Question(
            "duration_days",
            ("duration_days",),
            "How long have you had this spot or mole? (for example '3 weeks', 'since March' or 'years')",
        ),
        Question(
            "change",
            ("size_change", "shape_irregular", "colour_irregular"),
            "Has it changed recently: got bigger, changed shape or changed colour? Or "
            "does it have an uneven outline or more than one colour?",
        ),
        Question("size_change", ("size_change",), "Has it grown or changed in size?"),
        Question(
            "shape_irregular",
            ("shape_irregular",),
            "Is its outline uneven or irregular, or has its shape changed?",
        ),
        Question(
            "colour_irregular",
            ("colour_irregular",),
            "Does it have more than one colour, or has its colour changed?",
        ),
        Question(
            "surface",
            ("bleeding", "non_healing"),
            "Has it bled, oozed or crusted over, or is it a sore that has not healed?",
        ),
        Question("bleeding", ("bleeding",), "Has it bled, oozed, or formed a crust or scab?"),
        Question(
            "non_healing",
            ("non_healing",),
            "Is it a sore or scab that has not healed after 4 weeks?",
        ),
        Question(
            "feeling",
            ("sensation", "inflammation"),
            "Does it itch, hurt or feel different, or is the skin around it red or swollen?",
        ),
        Question(
            "sensation",
            ("sensation",),
            "Does it itch, hurt, tingle or feel different from the skin around it?",
        ),
        Question("inflammation", ("inflammation",), "Is the skin around it red, swollen or inflamed?"),
        Question(
            "diameter_mm",
            ("diameter_mm",),
            "Roughly how wide is it at its widest point? (for example 'about 5 mm', '1 cm' or 'the size of a pea')",
        ),
        Question(
            "safety",
            ("fever_unwell", "new_medicine", "widespread"),
            "Do you have a fever or feel generally unwell, have you started a new "
            "medicine in the last 2 months, or do you have blisters, peeling skin, sores "
            "in your mouth or eyes, or a rash spreading over your body?",
        ),
        Question(
            "fever_unwell",
            ("fever_unwell",),
            "Do you have a fever (a high temperature) or feel generally unwell?",
        ),
        Question(
            "new_medicine",
            ("new_medicine",),
            "Have you started any new medicine in the last 2 months?",
        ),
        Question(
            "widespread",
            ("widespread",),
            "Do you have blisters, peeling skin, sores in your mouth, eyes or genitals, "
            "or a rash spreading over your body?",
        ),
        Question(
            "risk",
            ("history", "immunosuppressed"),
            "Have you or a close relative had skin cancer, or is your immune system "
            "weakened (for example after an organ transplant, or by medicines such as "
            "chemotherapy)?",
        ),
        Question(
            "history",
            ("history",),
            "Have you or a close relative (parent, brother, sister or child) ever had skin cancer?",
        ),
        Question(
            "immunosuppressed",
            ("immunosuppressed",),
            "Is your immune system weakened, for example after an organ transplant or by "
            "medicines such as chemotherapy or long-term steroids?",
        ),
        # The rash / skin reaction pathway (ids are the keys of the translated texts).
        Question(
            "rash_duration",
            ("duration_days",),
            "How long have you had this rash? (for example '2 days', 'since Monday' or '3 weeks')",
        ),
        Question(
            "rash_spreading",
            ("rash_spreading",),
            "Is the rash spreading or getting bigger?",
        ),
        Question(
            "rash_blisters",
            ("widespread",),
            "Do you have any blisters or peeling skin, or sores in your mouth, eyes or genitals?",
        ),
        Question(
            "rash_medicine",
            ("new_medicine",),
            "Have you started any new medicine (tablets, antibiotics, injections) in the last 8 weeks?",
        ),
        Question(
            "rash_fever",
            ("fever_unwell",),
            "Do you have a fever (a high temperature) or feel generally unwell?",
        ),
        Question(
            "rash_site",
            ("body_site",),
            "Where on your body is the rash? (for example 'both arms', 'my face and neck' or 'all over')",
        ),
    )
}

# Grouped questions come first: one "no" settles several slots, which keeps a calm story
# within eight bot turns; a bare "yes" to a group falls back to the single questions.
GROUPS: tuple[str, ...] = (
    "duration_days",
    "change",
    "surface",
    "feeling",
    "diameter_mm",
    "safety",
    "risk",
)
# Once a lesion is already urgent, more melanoma features cannot raise it; only the safety
# screen (which can reveal an emergency) still matters.
_LESION_GROUPS = frozenset({"change", "surface", "feeling", "diameter_mm", "risk"})


# The rash pathway: the emergency discriminators first (spread, blisters and mouth sores, a new
# medicine, fever), then how long and where; immunity matters for infections.
RASH_GROUPS: tuple[str, ...] = (
    "rash_spreading",
    "rash_blisters",
    "rash_medicine",
    "rash_fever",
    "rash_duration",
    "rash_site",
    "immunosuppressed",
)
PATHWAYS: dict[str, tuple[str, ...]] = {"lesion": GROUPS, "rash": RASH_GROUPS}
DEFAULT_PATHWAY = "lesion"


def choose_pathway(text: str, language: str = "en", current: str | None = None) -> str | None:
    """The pathway a message points to: "rash", "lesion", or current when it does not say.

    Counted from the rules table's pathway phrases, ConText-aware: "it's not a rash, it's a
    mole" is the lesion pathway, "my mum had a rash" points nowhere.
    """
    rules = ruleset.load(language)
    analysis = context.analyse(normalise(text, language), rules.language)
    counts = {p: analysis.count(context.pathway_label(p)) for p in rules.pathways}
    rash, lesion = counts.get("rash", 0), counts.get("lesion", 0)
    if rash > lesion:
        return "rash"
    if lesion > rash:
        return "lesion"
    return current


def update_pathway(state: dict[str, Any], text: str, language: str = "en") -> str:
    """Store the pathway a message points to in the conversation state (switchable later)."""
    chosen = choose_pathway(text, language, state.get("pathway"))
    state["pathway"] = chosen or state.get("pathway") or DEFAULT_PATHWAY
    return state["pathway"]


def next_question(
    resolved: Mapping[str, Any],
    asked: list[str],
    urgent: bool,
    fever_first: bool,
    pathway: str = DEFAULT_PATHWAY,
) -> Question | None:
    """The next question to ask on the pathway, or None when the interview is complete."""
    if fever_first and "fever_unwell" not in resolved:
        return QUESTIONS["rash_fever" if pathway == "rash" else "fever_unwell"]
    if pathway == "rash":
        # Every rash question can reveal or rule out an emergency: none is skipped when urgent.
        for gid in RASH_GROUPS:
            q = QUESTIONS[gid]
            if any(slot not in resolved for slot in q.slots):
                return q
        return None
    for gid in GROUPS:
        if urgent and gid in _LESION_GROUPS:
            continue
        group = QUESTIONS[gid]
        open_slots = [s for s in group.slots if s not in resolved]
        if not open_slots:
            continue
        if len(group.slots) > 1 and len(open_slots) == len(group.slots) and gid not in asked:
            return group
        return QUESTIONS[open_slots[0]]
    return None


# ---------------------------------------------------------------- scoring and urgency

SEVEN_POINT: tuple[tuple[str, int, str], ...] = (
    ("size_change", 2, "Change in size"),
    ("shape_irregular", 2, "Irregular or changed shape"),
    ("colour_irregular", 2, "Irregular or changed colour"),
    ("diameter_7mm", 1, "Largest diameter 7 mm or more"),
    ("inflammation", 1, "Inflammation"),
    ("bleeding", 1, "Oozing, bleeding or crusting"),
    ("sensation", 1, "Change in sensation (itch or pain)"),
)

_SCORED = frozenset(
    {
        "size_change",
        "shape_irregular",
        "colour_irregular",
        "diameter_mm",
        "inflammation",
        "bleeding",
        "sensation",
    }
)


def seven_point(slots: Mapping[str, Any]) -> tuple[int | None, list[str]]:
    """Weighted NICE 7-point score and its reasons; None until any item is known."""
    if not any(k in slots for k in _SCORED):
        return None, []
    values = dict(slots)
    diameter = values.get("diameter_mm")
    values["diameter_7mm"] = diameter is not None and diameter >= 7
    score = 0
    reasons = []
    for key, points, label in SEVEN_POINT:
        if values.get(key) is True:
            score += points
            reasons.append(f"{label} ({points} point{'s' if points > 1 else ''})")
    return score, reasons


URGENCY_LEVEL: dict[str, int] = {"emergency": 1, "urgent": 2, "soon": 3, "routine": 4}
LEVEL_URGENCY: dict[int, str] = {v: k for k, v in URGENCY_LEVEL.items()}

TIMEFRAME: dict[str, str] = {
    "emergency": "now: call your local emergency number (999 in the UK, 112 in Europe, 911 "
    "in the US) or go to the nearest emergency department",
    "urgent": "see a specialist within 2 weeks (ask your GP for an urgent referral)",
    "soon": "see a doctor within 4 weeks",
    "routine": "keep an eye on it using the ABCDE rule, and see a doctor if it changes or a "
    "sore has not healed in 4 weeks",
}

_URGENT_CLASSES = {"melanoma": "melanoma", "squamous_cell_carcinoma": "squamous cell carcinoma"}
_SOON_CLASSES = {
    "basal_cell_carcinoma": "basal cell carcinoma",
    "actinic_keratosis": "actinic keratosis",
}


@dataclass(frozen=True)
class Judgement:
    """Urgency from the answers so far, with the reasons a nurse can read."""

    urgency: str
    level: int
    score: int | None
    reasons: list[str]


def judge(
    slots: Mapping[str, Any],
    red_flags: list[str],
    context: Mapping[str, Any],
    flag_labels: Mapping[str, str],
    concerns: Sequence[str] = (),
) -> Judgement:
    """Urgency per TRIAGE.md: red flag > urgent (7-point 3+, bleeding growth, SCC risk) > soon.

    concerns are reasons for a human to look sooner (a red-flag question left "not sure").
    """
    score, score_reasons = seven_point(slots)
    if red_flags:
        return Judgement("emergency", 1, score, [f"Emergency sign: {flag_labels.get(c, c)}" for c in red_flags])
    urgent: list[str] = []
    if score is not None and score >= 3:
        urgent.append(f"7-point checklist score {score} (3 or more means urgent referral)")
    if slots.get("bleeding") is True and slots.get("size_change") is True:
        urgent.append("A growing lesion that bleeds, oozes or crusts")
    if slots.get("immunosuppressed") is True and (slots.get("size_change") is True or slots.get("non_healing") is True):
        urgent.append("A new, growing or non-healing lesion in someone with a weakened immune system")
    if slots.get("non_healing") is True and slots.get("size_change") is True:
        urgent.append("A growing sore that has not healed")
    top = context.get("top_class")
    if top in _URGENT_CLASSES:
        urgent.append(f"The photo check suggested {_URGENT_CLASSES[top]} is possible")
    if urgent:
        return Judgement("urgent", 2, score, urgent + score_reasons)

    soon: list[str] = []
    if slots.get("non_healing") is True:
        soon.append("A sore or spot that has not healed after 4 weeks")
    if score:
        soon.append(f"7-point checklist score {score}")
    if slots.get("history") is True:
        soon.append("Personal or family history of skin cancer")
    if slots.get("immunosuppressed") is True:
        soon.append("Weakened immune system")
    if slots.get("fever_unwell") is True:
        soon.append("Fever or feeling unwell")
    if slots.get("widespread") is True or slots.get("new_medicine") is True:
        soon.append("Other skin symptoms or a new medicine that a clinician should review")
    if top in _SOON_CLASSES:
        soon.append(f"The photo check suggested {_SOON_CLASSES[top]} is possible")
    soon.extend(concerns)
    if soon:
        return Judgement("soon", 3, score, soon + score_reasons)

    reasons = ["No worrying answers so far"]
    duration = slots.get("duration_days")
    if duration is not None:
        reasons.append(f"Present for {describe_days(duration)} without worrying changes")
    return Judgement("routine", 4, score, reasons)


def summarise_findings(found: Mapping[str, Any]) -> list[str]:
    """Short phrases echoing back what was understood from a message."""
    phrases = {
        "size_change": ("it has changed in size", "no change in size"),
        "shape_irregular": ("an irregular or changed shape", "a regular shape"),
        "colour_irregular": ("uneven or changed colour", "no colour change"),
        "bleeding": ("bleeding, oozing or crusting", "no bleeding or crusting"),
        "non_healing": ("it has not healed", "it heals"),
        "sensation": ("itch or pain", "no itch or pain"),
        "inflammation": ("redness or swelling around it", "no redness around it"),
        "fever_unwell": ("fever or feeling unwell", "no fever"),
        "new_medicine": ("a new medicine", "no new medicine"),
        "widespread": ("blisters, sores or a spreading rash", "no blisters or spreading rash"),
        "history": ("a history of skin cancer", "no history of skin cancer"),
        "immunosuppressed": ("a weakened immune system", "no immune problems"),
        "rash_spreading": ("it is spreading", "it is not spreading"),
    }
    out: list[str] = []
    for slot in SLOTS:
        if slot not in found:
            continue
        value = found[slot]
        if slot == "duration_days" and value is not None:
            out.append(f"present for {describe_days(value)}")
        elif slot == "diameter_mm" and value is not None:
            out.append(f"about {value:g} mm across")
        elif slot == "body_site" and isinstance(value, str):
            out.append(f"on the {value}")
        elif slot in phrases and isinstance(value, bool):
            out.append(phrases[slot][0 if value else 1])
    return out
