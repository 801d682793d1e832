"""Unicode normalisation: full-width, accented and look-alike letters do not hide a red flag."""

import json
from datetime import date
from pathlib import Path

import pytest

from chatbot.engine import Engine, build_knowledge, redflags
from chatbot.engine.nlu import normalise
from chatbot.engine.textnorm import CONFUSABLES, fold_text

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 26)

# Existing red-flag phrases (test_engine_redflags.py) and the flag each one raises.
PHRASES = [
    ("it won't stop bleeding", "uncontrolled_bleeding"),
    ("blisters all over my body and sores in my mouth", "widespread_blistering"),
    ("fever and a rash that doesn't fade when I press a glass on it", "non_blanching_rash_fever"),
    ("the redness is spreading fast, it's hot and I'm shivering", "spreading_infection"),
    ("started allopurinol and now a rash and a high temperature", "drug_reaction_fever"),
]
# Latin letter -> the Cyrillic look-alike a keyboard layout or a prank would put in its place.
_TO_CYRILLIC = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "x": "\u0445", "i": "\u0456"}


def full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else "\u3000" if ch == " " else ch for ch in text)


def accented(text: str) -> str:
    # Combining acute accents on the vowels, as a Spanish keyboard or autocorrect might add.
    return "".join(ch + "\u0301" if ch in "aeiou" else ch for ch in text)


def cyrillic(text: str) -> str:
    return "".join(_TO_CYRILLIC.get(ch, ch) for ch in text)


def flags(text: str) -> list[str]:
    return redflags.evaluate(redflags.extract_features(text)).codes


@pytest.mark.parametrize("spell", [full_width, accented, cyrillic], ids=["full-width", "accented", "cyrillic"])
@pytest.mark.parametrize(("text", "code"), PHRASES)
def test_a_red_flag_spelled_in_other_letters_is_detected_like_the_plain_one(spell, text, code):
    # given a phrase the detector knows, written in other letters
    disguised = spell(text)
    assert disguised != text
    # before normalisation the word lists do not see it (this is what was missed)
    assert not redflags.evaluate(_features_without_folding(disguised)).codes
    # then after it, the same flag as the plain phrase
    assert code in flags(text)
    assert code in flags(disguised)


def _features_without_folding(text: str) -> dict:
    t = normalise(text)
    return {name: "pos" for name, pattern in redflags.FEATURES.items() if pattern.search(t)}


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("\uff2e\uff35\uff32\uff33\uff25", "NURSE"),
        ("\uff42\uff4c\uff45\uff45\uff44\uff49\uff4e\uff47", "bleeding"),
        ("s\u00e1ngrando", "sangrando"),
        ("fi\u00e9bre", "fiebre"),
        ("s\u00ed", "si"),
        ("bl\u0435\u0435ding", "bleeding"),  # Cyrillic ie
        ("f\u0435v\u0435r", "fever"),
        ("\u0440\u0430in", "pain"),  # Cyrillic er, a
        ("bl\u200beeding", "bleeding"),  # a zero-width space inside the word
        ("38 \u2103", "38 \u00b0C"),
    ],
)
def test_fold_text(raw, folded):
    assert fold_text(raw) == folded


def test_fold_text_leaves_plain_english_alone():
    text = "It's been bleeding since Tuesday (about 3 cm), 38.5 C - what should I do?"
    assert fold_text(text) == text


def test_every_confusable_maps_to_one_ascii_letter():
    assert all(len(v) == 1 and v.isascii() and v.isalpha() for v in CONFUSABLES.values())


def test_the_engine_reads_disguised_text_in_the_chat_and_in_the_upload_text():
    diseases = json.loads((ROOT / "diagnosis" / "seed" / "diseases.json").read_text())
    faqs = json.loads((ROOT / "chatbot" / "seed" / "faq.json").read_text())
    kb = build_knowledge(diseases, faqs)
    # a chat message in full-width letters
    engine = Engine(kb, today=TODAY)
    state = engine.new_state()
    engine.opening(state)
    turn = engine.reply(state, full_width("it won't stop bleeding"))
    assert turn.urgency == "emergency" and turn.red_flags == ["uncontrolled_bleeding"]
    # the upload's symptoms with Cyrillic look-alikes
    engine = Engine(kb, context={"symptoms": cyrillic("my skin is peeling off in sheets")}, today=TODAY)
    opening = engine.opening_turn(engine.new_state())
    assert opening.red_flags == ["widespread_blistering"]
    # a tap typed in full-width letters answers the screen
    engine = Engine(kb, today=TODAY)
    state = engine.new_state()
    engine.opening(state)
    assert engine.reply(state, full_width("no")).question == "blistering"
