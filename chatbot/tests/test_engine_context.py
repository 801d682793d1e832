"""ConText (negspaCy on a blank spaCy pipeline, rules as data): denied, hedged, past, other people."""

from datetime import date

import pytest

from chatbot.engine import context, redflags, ruleset
from chatbot.engine.interview import extract_findings
from chatbot.engine.nlu import normalise

TODAY = date(2026, 11, 26)


def flags(text: str, language: str = "en") -> list[str]:
    return redflags.evaluate(redflags.extract_features(text, language)).codes


@pytest.mark.parametrize(
    ("text", "language"),
    [
        # The false alarms on past or resolved events.
        ("i had SJS years ago from lamotrigine, all fine now, just want my mole checked", "en"),
        ("it used to bleed a lot back in 2019 before they froze it off", "en"),
        ("my sister had stevens-johnson after antibiotics", "en"),
        ("tuve SJS hace años, ya estoy bien", "es"),
        ("sangraba mucho en 2019 antes de que me lo quitaran", "es"),
    ],
)
def test_past_or_resolved_events_raise_no_red_flag(text, language):
    # when / then
    assert flags(text, language) == []


def test_a_past_bleed_is_not_a_current_finding():
    # given a lesion that bled years ago, before treatment
    found = extract_findings("it used to bleed a lot back in 2019 before they froze it off", TODAY)
    # then bleeding is not reported now (it will be asked)
    assert "bleeding" not in found


@pytest.mark.parametrize(
    ("text", "language"),
    [("my mum had melanoma", "en"), ("mi madre tuvo un melanoma", "es")],
)
def test_a_relatives_melanoma_is_family_history(text, language):
    # when
    analysis = context.analyse(normalise(text, language), language)
    found = extract_findings(text, TODAY, language)
    # then the mention is marked as another person's, and counts as family history only
    mods = analysis.modifiers(context.present_label("history"))
    assert mods and "family" in mods[0]
    assert found == {"history": True}


@pytest.mark.parametrize(
    ("text", "language"),
    [("if it starts bleeding what do I do?", "en"), ("si empieza a sangrar, ¿qué hago?", "es")],
)
def test_a_hypothetical_symptom_is_not_a_report(text, language):
    # when
    features = redflags.extract_features(text, language)
    found = extract_findings(text, TODAY, language)
    # then bleeding is hedged ("not sure"), never positive, and left to be asked
    assert features.get("bleeding") == "unc"
    assert "bleeding" not in found


def test_a_parent_writing_about_a_relative_still_raises_the_emergency():
    # given a carer describing the patient in the present tense
    codes = flags("my mum has a rash all over her body and a high temperature")
    # then the family modifier alone does not hide the emergency
    assert codes == ["erythroderma"]


def test_a_general_question_then_a_report_is_still_an_emergency():
    # given the rash-and-swollen-face emergency asked as a question
    text = "can tablets cause a rash? i've got a rash all over with a fever and my face has swollen up"
    # then the question sentence is hypothetical but the report that follows is not
    assert flags(text) != []


@pytest.mark.parametrize(
    ("text", "label", "expected"),
    [
        ("no fever", "feature:fever", "neg"),
        ("fever: no", "feature:fever", "neg"),
        ("not sure about a fever", "feature:fever", "unc"),
        ("no itch but it bleeds", "feature:bleeding", "pos"),
        ("it won't stop bleeding", "feature:bleeding", "pos"),
        ("sin fiebre", "feature:fever", "neg"),
        ("ya no sangra", "feature:bleeding", "neg"),
        ("no me pica pero sangra", "feature:bleeding", "pos"),
    ],
)
def test_context_modifiers_decide_polarity(text, label, expected):
    # given
    language = "es" if text.startswith(("sin", "ya", "no me")) else "en"
    # when
    analysis = context.analyse(normalise(text, language), language)
    # then
    assert analysis.polarity(label) == expected


def test_the_rules_tables_are_loaded_once_and_every_row_has_a_comment():
    # when
    for language in ("en", "es"):
        rules = ruleset.load(language)
        raw = rules.raw
        rows = raw["features"] + raw["findings"]
        for cat in ruleset.CATEGORIES:
            rows += [r for part in ("preceding", "following", "pseudo") for r in raw["context"][cat].get(part, [])]
        # then
        assert ruleset.load(language) is rules
        assert all(row.get("comment") for row in rows)
        assert set(rules.features) == set(ruleset.load("en").features)
        assert set(rules.findings) == set(ruleset.load("en").findings)


def test_an_unknown_language_falls_back_to_english():
    # when / then
    assert ruleset.load("fr").language == "en"
