"""The red-flag screen: TRIAGE.md's emergency discriminators as yes / no / not sure taps.

Free text can be misread however many phrasings a word list holds; a tapped answer cannot. The
screen is asked at the start of every conversation (and on the upload form) and its answers map
to the same red-flag codes as the free-text detector (triage.policy.RED_FLAG_LABELS). The
questions and the rules are tables below so that a clinician can review them row by row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from . import messages, nlu
from .textnorm import fold_text

Answer = Literal["yes", "no", "unsure"]
ANSWERS: tuple[Answer, ...] = ("yes", "no", "unsure")


@dataclass(frozen=True)
class ScreenQuestion:
    """One discriminator: its words, the check offered after "not sure", and what it fills."""

    id: str
    # The patient-facing question (one sign, answerable by a tap).
    text: str
    # A concrete check asked once after "not sure": never skipped, never guessed.
    follow_up: str
    # Said when the patient is still not sure after the check.
    if_still_unsure: str
    # How a nurse reads an open answer ("Not sure about ...").
    short: str
    # The upload form's line under "Right now, do you have any of these?".
    form_label: str
    # Interview slots (interview.SLOTS) a yes / no answer settles, so they are not asked again.
    slots: tuple[str, ...] = ()
    # An answer still "not sure" after the check is a reason for a nurse to look sooner.
    doubt_is_concern: bool = True
    # Red-flag features (redflags.FEATURES) that, stated positively in a typed reply to this
    # question, count as "yes". Only combiners: a misread here can never raise a flag alone.
    typed_yes: tuple[str, ...] = ()
    # A typed reply whose red-flag features answer "no" (spots that faded under the glass, a
    # bleed that stopped), unless a feature of typed_no_unless says otherwise in the same reply.
    typed_no: tuple[str, ...] = ()
    typed_no_unless: tuple[str, ...] = ()
    # The signs whose typed denial ("no sangra", "no rash", "nothing peeling") answers "no".
    denied_by: tuple[str, ...] = ()
    source: str = ""


QUESTIONS: tuple[ScreenQuestion, ...] = (
    ScreenQuestion(
        id="fever",
        text="Do you have a fever, or do you feel very unwell?",
        follow_up=(
            "Let's check: do you feel hot or shivery, or have you measured a temperature above "
            "38 °C? Feeling very unwell also counts (for example very drowsy, confused, or too "
            "weak to get up)."
        ),
        if_still_unsure=(
            "That's fine. If you start to feel hot, shivery or very unwell, tell me or call your emergency number."
        ),
        short="fever or feeling very unwell",
        form_label="Fever, or feeling very unwell",
        slots=("fever_unwell",),
        doubt_is_concern=False,
        typed_yes=("fever", "unwell"),
        source="TRIAGE.md: fever with a non-blanching rash, spreading redness, eczema sores or a new drug",
    ),
    ScreenQuestion(
        id="blistering",
        text=(
            "Is your skin blistering or peeling over a large area, or do you have sores in your "
            "mouth, eyes or genitals?"
        ),
        follow_up=(
            "Let's check: look over your skin and inside your mouth. Are there blisters or "
            "peeling patches larger than the palm of your hand, or painful sores on your lips, "
            "in your mouth, in your eyes or on your genitals?"
        ),
        if_still_unsure=(
            "If blisters or peeling spread, or sores appear in your mouth or eyes, this is an "
            "emergency: call your emergency number."
        ),
        short="blistering or peeling skin, or mouth, eye or genital sores",
        form_label="Blistering or peeling skin over a large area, or sores in the mouth, eyes or genitals",
        denied_by=("blisters", "peeling", "skin_off", "mucosal"),
        source="TRIAGE.md: widespread blistering or peeling skin, mouth/eye/genital sores (SJS/TEN)",
    ),
    ScreenQuestion(
        id="glass_test",
        text="Do you have a rash that does not fade when you press a glass on it?",
        follow_up=(
            "You can check this now: press the side of a clear drinking glass firmly against the "
            "rash and look through the glass. If you can still see the spots, the rash does not "
            "fade. If you have no rash, answer No. Does the rash stay visible under the glass?"
        ),
        if_still_unsure=(
            "If you cannot tell, please treat it as serious: if the spots do not fade or you "
            "feel unwell, call your emergency number now."
        ),
        short="a rash that does not fade under a pressed glass",
        form_label="A rash that does not fade when a glass is pressed on it",
        typed_no=("press_faded",),
        typed_no_unless=("press_fade_fail", "press_persist", "non_blanching"),
        denied_by=("non_blanching", "rash"),
        source="TRIAGE.md: a rash that does not fade under a pressed glass (petechiae or purpura); "
        "the glass test alone warrants emergency care (meningococcal disease can show the rash "
        "before the fever)",
    ),
    ScreenQuestion(
        id="spreading",
        text=("Is there redness that is spreading fast and is hot and painful, or a red line spreading from a wound?"),
        follow_up=(
            "Let's check: compare the redness with how it looked a few hours ago (drawing round "
            "its edge with a pen helps you see it later). Is it getting bigger quickly, is the "
            "skin hot and painful to touch, or is there a red streak running from a cut or wound?"
        ),
        if_still_unsure=(
            "Draw round the edge of the redness with a pen. If it spreads past the line, or you "
            "get a fever or feel shivery, call your emergency number."
        ),
        short="fast-spreading hot, painful redness or a red line from a wound",
        form_label="Redness spreading fast that is hot and painful, or a red line spreading from a wound",
        slots=("widespread",),
        denied_by=("spreading", "red_skin", "hot_painful"),
        source="TRIAGE.md: rapidly spreading, hot, painful redness with fever (cellulitis)",
    ),
    ScreenQuestion(
        id="new_medicine",
        text="Have you started a new medicine in the last 8 weeks?",
        follow_up=(
            "This includes tablets, capsules, antibiotics, injections and medicines bought "
            "without a prescription, started or changed in the last 8 weeks. Have you started any?"
        ),
        if_still_unsure="Please bring a list of your medicines when you see the nurse or doctor.",
        short="a new medicine in the last 8 weeks",
        form_label="A new medicine started in the last 8 weeks",
        slots=("new_medicine",),
        doubt_is_concern=False,
        typed_yes=("new_drug",),
        source="TRIAGE.md: rash with fever and swelling weeks after starting a drug (DRESS), SJS/TEN",
    ),
    ScreenQuestion(
        id="bleeding",
        text=(
            "Is it bleeding and not stopping after 10 minutes of firm pressure, or bleeding while "
            "you take a blood thinner (such as warfarin, apixaban or rivaroxaban)?"
        ),
        follow_up=(
            "Let's check: press firmly on it with a clean cloth for 10 minutes without lifting "
            "to look. Is it still bleeding after that, or is it bleeding while you take a blood "
            "thinner?"
        ),
        if_still_unsure=(
            "Keep pressing firmly with a clean cloth. If it is still bleeding after 10 minutes, "
            "call your emergency number."
        ),
        short="bleeding that will not stop, or bleeding on blood thinners",
        form_label="Bleeding that will not stop after 10 minutes of firm pressure, or bleeding while on blood thinners",
        typed_no=("bleeding_stopped",),
        typed_no_unless=("heavy_bleeding", "bleed_no_stop", "bleeding_now", "anticoagulant"),
        denied_by=("bleeding", "heavy_bleeding", "bleeding_now", "bleed_no_stop"),
        source="TRIAGE.md: a lesion bleeding heavily that will not stop",
    ),
)
BY_ID: dict[str, ScreenQuestion] = {q.id: q for q in QUESTIONS}
# The upload form's and the upload API's field per question: screen_fever, screen_glass_test, ...
UPLOAD_FIELDS: dict[str, str] = {f"screen_{q.id}": q.id for q in QUESTIONS}


@dataclass(frozen=True)
class Rule:
    """A red flag the screen raises: every sign in all_yes, plus one of any_of when given."""

    code: str
    all_yes: tuple[str, ...]
    any_of: tuple[str, ...] = ()
    # An unresolved "not sure" (after the follow-up check) on any_of counts as present: for
    # these signs waiting is the dangerous error.
    doubt_counts: bool = False
    source: str = ""


RULES: tuple[Rule, ...] = (
    Rule("widespread_blistering", ("blistering",), source="TRIAGE.md: SJS/TEN"),
    Rule("non_blanching_rash_fever", ("glass_test",), source="TRIAGE.md: non-blanching rash"),
    Rule(
        "spreading_infection",
        ("spreading",),
        any_of=("fever",),
        doubt_counts=True,
        source="TRIAGE.md: rapidly spreading, hot, painful redness with fever",
    ),
    Rule(
        "drug_reaction_fever",
        ("new_medicine",),
        any_of=("fever", "blistering", "glass_test"),
        source="TRIAGE.md: rash with fever weeks after starting a drug (DRESS); blistering after "
        "a new medicine (SJS/TEN)",
    ),
    Rule("uncontrolled_bleeding", ("bleeding",), source="TRIAGE.md: bleeding that will not stop"),
)

# What a tapped (or typed) answer may say, after fold_text and lower-casing. English and Spanish;
# the buttons send the first English form.
TAPS: dict[str, Answer] = {
    "yes": "yes",
    "y": "yes",
    "yeah": "yes",
    "yep": "yes",
    "yup": "yes",
    "si": "yes",
    "no": "no",
    "n": "no",
    "nope": "no",
    "nah": "no",
    "not sure": "unsure",
    "unsure": "unsure",
    "i'm not sure": "unsure",
    "i am not sure": "unsure",
    "don't know": "unsure",
    "i don't know": "unsure",
    "dunno": "unsure",
    "no se": "unsure",
    "no lo se": "unsure",
    "no estoy seguro": "unsure",
    "no estoy segura": "unsure",
    "quizas": "unsure",
    "tal vez": "unsure",
}
CHOICES: tuple[dict[str, str], ...] = (
    {"value": "yes", "label": "Yes"},
    {"value": "no", "label": "No"},
    {"value": "not sure", "label": "Not sure"},
)
# A typed reply of at most this many words that reads as yes / no / not sure answers the screen
# question ("I don't think so"); a longer one must lead with the answer ("no, but it itches").
_SHORT_REPLY_WORDS = 5


def fresh_state() -> dict[str, Any]:
    """The screen's part of a conversation state (JSON-serialisable)."""
    # answers: id -> "yes" | "no" | "unsure" (unsure only once its follow-up was asked too).
    # doubted: ids answered "not sure" once, whose follow-up check is asked next.
    # misses: id -> replies that did not answer it; later: ids gone past, asked after the rest.
    return {
        "answers": {},
        "doubted": [],
        "pending": None,
        "introduced": False,
        "done": False,
        "misses": {},
        "later": [],
    }


def next_question(screen: Mapping[str, Any]) -> ScreenQuestion | None:
    """The question to ask now (its follow-up if it was doubted), or None when all are answered."""
    # Questions the learned net asked to check first (ask_first), then the table's order.
    for qid in screen.get("priority", ()):
        if qid not in screen["answers"]:
            return BY_ID[qid]
    # A question the patient went past (answering others instead) comes back after the rest.
    later = screen.get("later", ())
    for q in QUESTIONS:
        if q.id not in screen["answers"] and q.id not in later:
            return q
    for qid in later:
        if qid not in screen["answers"]:
            return BY_ID[qid]
    return None


# A screen question the patient goes past this many times (telling other things instead) is
# left "not sure": never "no", so its safety advice is given and the nurse sees the doubt.
MAX_MISSES = 2
# Replies that say nothing the bot can read: the question is asked again, up to this many times.
MAX_UNREAD = 4


def unanswered(screen: dict[str, Any], qid: str, told_other: bool) -> Literal["later", "unsure", "again"]:
    """What to do when a reply does not answer the pending question qid.

    A reply that tells other things (the patient is ahead of the list, answering the questions
    they expect) puts qid after the rest ("later"); gone past twice, or unreadable four times,
    it is recorded "not sure" after its check ("unsure"): the screen never loops on one question
    and never takes silence for "no". Otherwise it is asked again ("again").
    """
    misses = screen.setdefault("misses", {})
    misses[qid] = misses.get(qid, 0) + 1
    if misses[qid] >= (MAX_MISSES if told_other else MAX_UNREAD):
        screen["answers"][qid] = "unsure"
        if qid not in screen["doubted"]:
            screen["doubted"].append(qid)
        screen["pending"] = None
        return "unsure"
    if told_other:
        screen.setdefault("later", [])
        if qid not in screen["later"]:
            screen["later"].append(qid)
        screen["pending"] = None
        return "later"
    return "again"


def say(q: ScreenQuestion, field: str, language: str = "en") -> str:
    """One of q's patient-facing texts (text, follow_up, if_still_unsure, short) in language;
    English (the table above) where the catalog has no translation."""
    return messages.own(language, "screen", q.id, field) or getattr(q, field)


def question_text(screen: Mapping[str, Any], q: ScreenQuestion, language: str = "en") -> str:
    return say(q, "follow_up" if q.id in screen["doubted"] else "text", language)


def choices(language: str = "en") -> list[dict[str, str]]:
    """The tap answers with their labels in language (the value sent back stays English)."""
    labels = messages.lookup(language, "choice") or {}
    return [{"value": c["value"], "label": labels.get(c["value"], c["label"])} for c in CHOICES]


_LEADING_GREETING = re.compile(
    r"^(hi+|hello+|hey+|hiya|good (morning|afternoon|evening)|hola|buen[oa]s( dias| tardes| noches)?)\b[\s,.!;:-]*"
)


def _clean(text: str) -> str:
    t = nlu.normalise(fold_text(text))
    return re.sub(r"[\s.!,;:?]+$", "", re.sub(r"^[\s.!,;:]+", "", t)).strip()


def is_tap(text: str) -> bool:
    """Whether a reply is a bare tap answer ("yes", "no", "not sure", "sí"...)."""
    return _clean(text) in TAPS


def read_answer(
    text: str, q: ScreenQuestion, findings: Mapping[str, Any], features: Mapping[str, str]
) -> Answer | None:
    """The patient's reply read as the answer to q, or None when it answers something else.

    findings and features are what the interview and the red-flag detector read in the same
    reply; a reply that says more than yes / no (and does not lead with it) is not taken as an
    answer, so "I have a rash" is never a "yes" to "do you have a fever?".
    """
    # "hola, no", "hi - nope": a greeting before the answer does not hide it.
    t = _LEADING_GREETING.sub("", _clean(text)) or _clean(text)
    if t in TAPS:
        return TAPS[t]
    if any(features.get(f) == "pos" for f in q.typed_yes):
        return "yes"
    yn = nlu.yes_no(t)
    # "they go white when i press", "it stopped after a couple of minutes"
    if any(features.get(f) == "pos" for f in q.typed_no) and not any(
        features.get(f) == "pos" for f in (*q.typed_yes, *q.typed_no_unless)
    ):
        return "no"
    # "Does a biopsy hurt?" opens like "does" (yes) but asks something: it is no answer.
    if nlu.starts_as_question(t):
        return None
    # "No fever. I had sepsis years ago but nothing like that now", "Hi, it's my son: no fever,
    # he's his normal self", "ningún medicamento nuevo": the asked sign itself is denied in words
    # (ConText), none of its signs is told; what else the reply says is read by the other layers.
    if _denied(q, features):
        return "no"
    if yn is None:
        return None
    if nlu.leads_with_bare_yes_no(t):
        return yn
    other = [slot for slot in findings if slot not in q.slots]
    others_positive = [f for f, p in features.items() if p == "pos" and f not in q.typed_yes]
    if len(t.split()) <= _SHORT_REPLY_WORDS and not other and not others_positive:
        return yn
    return None


def ask_first(screen: dict[str, Any], qids: tuple[str, ...]) -> bool:
    """Put the unanswered questions that check a suspected red flag next; False if none is left.

    A question already tapped is not asked again: the tap answered exactly that sign, and
    re-asking it after every worrying word would wear the patient out.
    """
    todo = [q for q in qids if q in BY_ID and q not in screen["answers"]]
    if not todo:
        return False
    screen["priority"] = [*todo, *(q for q in screen.get("priority", ()) if q not in todo)]
    screen["pending"] = None
    screen["done"] = False
    return True


def record(screen: dict[str, Any], qid: str, answer: Answer) -> bool:
    """Store an answer; True when it is final, False when a "not sure" earns the follow-up."""
    if answer == "unsure" and qid not in screen["doubted"]:
        screen["doubted"].append(qid)
        return False
    screen["answers"][qid] = answer
    return True


def _denied(q: ScreenQuestion, features: Mapping[str, str]) -> bool:
    """Whether the reply denies the question's signs in words, and affirms none of them."""
    signs = (*q.typed_yes, *q.denied_by)
    return any(features.get(f) == "neg" for f in signs) and not any(features.get(f) == "pos" for f in signs)


def note_told(screen: dict[str, Any], features: Mapping[str, str]) -> list[str]:
    """Record the answer of the questions not yet answered (nor pending) whose sign the patient
    has just told in words, so they are not asked as if unheard: "yes" for a sign told ("I
    started ibuprofen a few days ago": the new-medicine question), "no" for one denied in so
    many words ("No fever, I feel fine" while the bleeding question is open); the ids recorded."""
    told = []
    for q in QUESTIONS:
        if q.id in screen["answers"] or q.id == screen.get("pending"):
            continue
        if q.typed_yes and any(features.get(f) == "pos" for f in q.typed_yes):
            screen["answers"][q.id] = "yes"
        elif _denied(q, features):
            screen["answers"][q.id] = "no"
        else:
            continue
        told.append(q.id)
    return told


def prefill(screen: dict[str, Any], answers: Mapping[str, str]) -> None:
    """Take the upload form's answers: yes / no are final; "not sure" is checked in the chat."""
    for q in QUESTIONS:
        value = answers.get(q.id)
        if value in ("yes", "no"):
            screen["answers"].setdefault(q.id, value)
        elif value == "unsure" and q.id not in screen["doubted"]:
            screen["doubted"].append(q.id)


def red_flags(answers: Mapping[str, str]) -> list[str]:
    """Red-flag codes implied by the screen answers (the RULES table, in order, no repeats)."""
    codes: list[str] = []
    for rule in RULES:
        if not all(answers.get(q) == "yes" for q in rule.all_yes):
            continue
        accepted = ("yes", "unsure") if rule.doubt_counts else ("yes",)
        if rule.any_of and not any(answers.get(q) in accepted for q in rule.any_of):
            continue
        if rule.code not in codes:
            codes.append(rule.code)
    return codes


def slots_from(answers: Mapping[str, str]) -> dict[str, Any]:
    """Interview slots the screen settles (True / False, None for an unresolved doubt)."""
    value = {"yes": True, "no": False, "unsure": None}
    slots: dict[str, Any] = {}
    for q in QUESTIONS:
        if q.id in answers:
            for slot in q.slots:
                slots[slot] = value[answers[q.id]]
    # "Widespread" in the interview also means blistering, peeling or mouth sores: it is only
    # ruled out when both of those screen questions were answered no.
    if answers.get("spreading") == "no" and answers.get("blistering") != "no":
        slots.pop("widespread", None)
    return slots


def concerns(answers: Mapping[str, str]) -> list[str]:
    """Reasons a nurse should look sooner: dangerous signs the patient could not rule out."""
    return [f"Not sure about {q.short}" for q in QUESTIONS if answers.get(q.id) == "unsure" and q.doubt_is_concern]


def validate(answers: Mapping[str, Any]) -> dict[str, Answer]:
    """A clean {question id: answer} dict; raises ValueError naming a bad id or value."""
    clean: dict[str, Answer] = {}
    for key, value in answers.items():
        if key not in BY_ID:
            raise ValueError(f"unknown screen question {key!r}")
        if value in (None, ""):
            continue
        if value not in ANSWERS:
            raise ValueError(f"answer {value!r} to {key!r} must be one of {', '.join(ANSWERS)}")
        clean[key] = value
    return clean
