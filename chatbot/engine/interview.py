"""Symptom interview: findings from free text, the weighted 7-point score and urgency rules."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from .nlu import describe_days, normalise, parse_duration_days, parse_size_mm, polarity, rx
from .redflags import extract_features

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
)

# "It hasn't changed" denies size, shape and colour change at once, unless it names one.
_NO_CHANGE = (
    r"(hasn't|has not|haven't|not|never|hasnt) (really )?changed(?! (colour|shape|size))",
    r"no (change|changes)(?! in)",
    r"unchanged",
    r"(stayed|stays|remained|looks) the same",
    r"always (been |looked )?the same",
    r"stable",
)

_SLOT_PATTERNS: dict[str, tuple[re.Pattern[str] | None, re.Pattern[str] | None]] = {
    "size_change": (
        rx(
            r"grow\w*",
            r"grew",
            r"bigger",
            r"larger",
            r"enlarg\w*",
            r"increas\w* in size",
            r"doubled",
            r"expand\w*",
            r"(changed|change|changing) (in |its )?size",
            r"size (has )?changed",
            r"(got|gotten|getting) (wider|thicker|raised)",
            r"thicker",
            r"raised up",
            r"spread\w* out",
        ),
        rx(r"same size", r"(not|never) (got|gotten|getting) bigger", *_NO_CHANGE),
    ),
    "shape_irregular": (
        rx(
            r"irregular\w*",
            r"uneven",
            r"jagged",
            r"ragged",
            r"notched",
            r"asymmetr\w*",
            r"lopsided",
            r"misshapen",
            r"(odd|weird|strange|funny|unusual)[- ]?shape\w*",
            r"(changed|change|changing) (in |its )?shape",
            r"shape (has |is )?(changed|changing"
            r"|different|weird|odd|strange)",
            r"(blurr?y|fuzzy|smudged|wavy|bumpy|wobbly) "
            r"(edges?|borders?|outline)",
            r"(edges?|borders?|outline) (is |are |look |looks )?"
            r"(blurr?y|fuzzy|smudged|notched|wavy|bumpy|not clear|poorly defined|spreading"
            r"|wobbly|irregular|uneven)",
            r"not round",
        ),
        rx(
            r"round\b",
            r"oval\b",
            r"symmetric\w*",
            r"regular\b",
            r"(smooth|even|neat|clear"
            r"|sharp) (edges?|borders?|outline|shape)",
            r"(edges?|borders?|outline) (is |are "
            r"|look |looks )?(smooth|even|clear|sharp|neat|regular)",
            r"same shape",
            *_NO_CHANGE,
        ),
    ),
    "colour_irregular": (
        rx(
            r"(different|several|multiple|many|two|three|mixed|various|few|lots of|2|3) "
            r"(colours|shades|tones)",
            r"more than one colour",
            r"multi-?colour\w*",
            r"variegated",
            r"patchy",
            r"(colour|colours) (has |have |is |are )?(changed|changing"
            r"|uneven|patchy|mixed|different|darker|varied|varies)",
            r"(changed|change|changing)"
            r" (in |its )?colour",
            r"(gone|got|getting|turned|turning|become|became|gotten) "
            r"(darker|black|blacker|blue|grey|white|red|pink|lighter)",
            r"darker",
            r"darkening",
            r"(black|blue|grey|white|red|pink) (bits|areas?|patches|spots|parts?|dots|centre"
            r"|edges?|streaks|ring|patch)",
            r"(brown|black|blue|grey|red|pink|tan) and (black"
            r"|blue|grey|red|pink|white)",
            r"uneven colour",
        ),
        rx(
            r"(one|single|same|even|uniform|consistent) colour",
            r"(all|evenly|uniformly) "
            r"(the same )?(brown|black|tan|pink|colour)",
            r"(colour|colours) (hasn't|has not"
            r"|haven't|not|never) changed",
            *_NO_CHANGE,
        ),
    ),
    "bleeding": (
        rx(
            r"bleed\w*",
            r"bled\b",
            r"blood\b",
            r"ooz\w*",
            r"weep\w*",
            r"discharg\w*",
            r"pus\b",
            r"crust\w*",
            r"scab\w*",
            r"ulcer\w*",
            r"open (sore|wound)",
            r"raw\b",
            r"sticky",
        ),
        None,
    ),
    "non_healing": (
        rx(
            r"(won't|doesn't|does not|will not|never|hasn't|has not|not|isn't|didn't|did not"
            r"|haven't) (heal\w*|go(ne)? away|clear\w* up)",
            r"non[- ]?heal\w*",
            r"keeps? (coming back|reopening|re-opening|scabbing|crusting|opening up)",
            r"(heals?|healed|scabs? over) (up )?(and|then) (comes back|reopens|opens up"
            r"|bleeds|breaks down)",
            r"comes and goes",
        ),
        rx(r"healed\b", r"heals? (up )?(fine|quickly|normally|well)", r"cleared up", r"went away"),
    ),
    "sensation": (
        rx(
            r"itch\w*",
            r"tender",
            r"hurt\w*",
            r"painful",
            r"pain\b",
            r"aches?\b",
            r"aching",
            r"sting\w*",
            r"burn(s|ing)\b",
            r"tingl\w*",
            r"numb\w*",
            r"prickl\w*",
            r"sensitive",
            r"(feels|feel|feeling) (different|funny|strange|weird|odd)",
            r"(is|feels|it's|bit|quite|very|really|little|gets) sore\b",
            r"sore (to|when) (the )?touch\w*",
            r"throb\w*",
        ),
        rx(
            r"painless",
            r"no symptoms",
            r"(feels|feel) (normal|fine|like nothing)",
            r"can't feel it",
        ),
    ),
    "inflammation": (
        rx(
            r"inflam\w*",
            r"swollen",
            r"swelling",
            r"red (ring|halo|rim|area|skin|patch)",
            r"redness",
            r"around (it )?(is |looks |has gone |went |gone )?(red|pink|angry"
            r"|swollen|inflamed)",
            r"angry",
            r"puffy",
            r"(hot|warm) to (the )?touch",
            r"red and (sore|raised|hot|swollen|angry)",
        ),
        rx(r"around (it )?(is |looks )?(normal|fine|clear)"),
    ),
    "history": (
        rx(
            r"(had|have|history of|diagnosed with|treated for|removed)\b[^,.]{0,30}(skin cancer"
            r"|melanoma|bcc|scc|basal cell|squamous cell|carcinoma)",
            r"(mum|mom|mother|dad|father|sister|brother|parents?|grandma|grandmother|grandad"
            r"|grandfather|grandpa|nan|uncle|aunt|aunty|cousin|son|daughter|sibling|relative"
            r"|family)\b[^,.]{0,30}(skin cancer|melanoma|carcinoma|bcc|scc)",
            r"runs in (the|my) family",
            r"family history",
        ),
        rx(r"(nobody|no one|none) in (my|the) family"),
    ),
    "immunosuppressed": (
        rx(
            r"transplant\w*",
            r"immuno\w*",
            r"immune system (is )?(weak|weakened|suppressed"
            r"|low|compromised)",
            r"(weak|weakened|low|poor|suppressed|compromised) immun\w*",
            r"chemo\w*",
            r"tacrolimus",
            r"ciclosporin",
            r"cyclosporine",
            r"azathioprine",
            r"mycophenolate",
            r"methotrexate",
            r"sirolimus",
            r"hiv\b",
            r"biologics?",
            r"anti-?rejection",
            r"(long[- ]term|high[- ]dose) steroids",
            r"prednisolone",
            r"prednisone",
        ),
        rx(
            r"(healthy|normal|strong|fine) immune",
            r"immune system is (fine|normal|ok|okay"
            r"|healthy|good)",
        ),
    ),
}

_MEDICINE_WORD = rx(r"(medicine|medication|meds|tablets?|pills?|drugs?|antibiotics?)")


def _to_bool(p: str | None) -> bool | None:
    return {"pos": True, "neg": False}.get(p or "")


def extract_findings(text: str, today: date | None = None) -> dict[str, Any]:
    """Every interview finding stated in one message: slot -> value (bool, float or None).

    Only slots the message actually speaks about are returned; a None value means the patient
    said they are not sure.
    """
    t = normalise(text)
    found: dict[str, Any] = {}
    for slot, (pos, neg) in _SLOT_PATTERNS.items():
        p = polarity(t, pos, neg)
        # Hedged mentions ("if it bleeds", "maybe bigger") leave the slot open to be asked.
        if p in ("pos", "neg"):
            found[slot] = _to_bool(p)
    duration = parse_duration_days(t, today)
    if duration is not None:
        found["duration_days"] = duration
    size = parse_size_mm(t)
    if size is not None:
        found["diameter_mm"] = size

    feats = extract_features(t)
    if feats.get("fever") == "pos" or feats.get("unwell") == "pos":
        found["fever_unwell"] = True
    elif "neg" in (feats.get("fever"), feats.get("unwell")):
        found["fever_unwell"] = False
    if feats.get("new_drug") == "pos":
        found["new_medicine"] = True
    elif feats.get("new_drug") == "neg" or polarity(t, _MEDICINE_WORD) == "neg":
        found["new_medicine"] = False
    spread_keys = ("blisters", "peeling", "skin_off", "mucosal", "widespread")
    if any(feats.get(k) == "pos" for k in spread_keys) or (
        feats.get("rash") == "pos" and feats.get("spreading") == "pos"
    ):
        found["widespread"] = True
    elif any(feats.get(k) == "neg" for k in (*spread_keys, "rash")):
        found["widespread"] = False
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


def next_question(resolved: Mapping[str, Any], asked: list[str], urgent: bool, fever_first: bool) -> Question | None:
    """The next question to ask, or None when the interview is complete."""
    if fever_first and "fever_unwell" not in resolved:
        return QUESTIONS["fever_unwell"]
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
        elif slot in phrases and isinstance(value, bool):
            out.append(phrases[slot][0 if value else 1])
    return out
