"""NLU: yes/no/not sure, negation, sizes and durations from patient free text."""

from datetime import date

import pytest

from chatbot.engine import nlu
from chatbot.engine.interview import extract_findings

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", "yes"),
        ("Yeah a bit", "yes"),
        ("yep, it has", "yes"),
        ("sometimes", "yes"),
        ("no", "no"),
        ("Nope", "no"),
        ("nah not really", "no"),
        ("not that I know of", "no"),
        ("never", "no"),
        ("I don't think so", "no"),
        ("not sure", "unsure"),
        ("no idea", "unsure"),
        ("dunno", "unsure"),
        ("I'm not sure", "unsure"),
        ("maybe", "unsure"),
        ("hmm not sure", "unsure"),
        ("well, yes", "yes"),
        ("about 3 weeks", None),
    ],
)
def test_yes_no_classifies_the_start_of_a_reply(text, expected):
    # when / then
    assert nlu.yes_no(text) == expected


@pytest.mark.parametrize(
    ("text", "slot", "expected"),
    [
        ("it has been bleeding", "bleeding", True),
        ("no bleeding", "bleeding", False),
        ("it's not bleeding", "bleeding", False),
        ("never bled", "bleeding", False),
        ("it doesn't itch", "sensation", False),
        ("it itches a bit but doesn't hurt", "sensation", True),
        ("I don't feel unwell", "fever_unwell", False),
        ("I've got a temperature", "fever_unwell", True),
        ("no itch, just bleeding", "bleeding", True),
        ("No it's bleeding a lot", "bleeding", True),
        ("it hasn't grown", "size_change", False),
        ("it has got bigger", "size_change", True),
        ("it hasn't changed at all", "colour_irregular", False),
        ("it is not round", "shape_irregular", True),
        ("it is round with smooth edges", "shape_irregular", False),
        ("brown and black bits", "colour_irregular", True),
        ("the sore won't heal", "non_healing", True),
        ("it has healed up", "non_healing", False),
        ("I had a kidney transplant", "immunosuppressed", True),
        ("my mum had melanoma", "history", True),
        ("no family history of skin cancer", "history", False),
    ],
)
def test_findings_respect_negation(text, slot, expected):
    # when
    found = extract_findings(text, TODAY)
    # then
    assert found.get(slot) is expected


def test_hedged_mentions_leave_the_slot_open():
    # given a hypothetical, not a report
    found = extract_findings("what should I do if it bleeds?", TODAY)
    # then the bleeding question will still be asked
    assert "bleeding" not in found


@pytest.mark.parametrize(
    ("text", "mm"),
    [
        ("about 8 mm", 8),
        ("8mm", 8),
        ("1 cm", 10),
        ("1.5cm", 15),
        ("half a centimetre", 5),
        ("the size of a pea", 8),
        ("roughly 6mm across", 6),
        ("two millimetres", 2),
        ("3-4 mm", 4),
        ("it grew by 2 mm, now about 9 mm", 9),
    ],
)
def test_sizes_are_read_in_millimetres(text, mm):
    assert nlu.parse_size_mm(text) == pytest.approx(mm)


def test_no_size_in_plain_text():
    assert nlu.parse_size_mm("it has been bleeding") is None


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("3 weeks", 21),
        ("three weeks", 21),
        ("a couple of months", 60),
        ("a few days", 3),
        ("2 years", 730),
        ("years", 730),
        ("since I was a kid", 3650),
        ("since March", (TODAY - date(2026, 3, 1)).days),
        ("since December", (TODAY - date(2025, 12, 1)).days),
        ("yesterday", 1),
        ("a fortnight", 14),
        ("6 months", 180),
        ("noticed it in the summer", (TODAY - date(2026, 6, 1)).days),
    ],
)
def test_durations_are_read_in_days_relative_to_today(text, days):
    assert nlu.parse_duration_days(text, TODAY) == pytest.approx(days)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what is a melanoma?", True),
        ("wat causes actinic keratosys", True),
        ("my mole is bleeding what should I do", True),
        ("my photo keeps coming out blurry, any tips", True),
        ("seborrheic keratosis vs melanoma how to tell", True),
        ("it has been bleeding", False),
        ("about 3 weeks", False),
    ],
)
def test_questions_are_told_from_answers(text, expected):
    assert nlu.is_question(text) is expected


def test_typos_in_key_words_are_repaired_but_real_words_kept():
    assert "fever" in nlu.normalise("I have a feaver")
    assert "blisters" in nlu.normalise("blisturs on my arm")
    assert "large areas" in nlu.normalise("large areas")


def test_no_same_size_is_no_change_in_size():
    # given a bare "no" before the answer (issue 15)
    found = extract_findings("no same size", TODAY)
    # then it denies the change rather than negating "same size"
    assert found.get("size_change") is False


@pytest.mark.parametrize(
    "text", ["I am 74 years old", "she's a 3-year-old", "my 3 year old son", "I'm 40 years old and it itches"]
)
def test_an_age_is_not_a_duration(text):
    # when / then
    assert nlu.parse_duration_days(text, TODAY) is None


def test_a_duration_next_to_an_age_is_still_read():
    # when / then
    assert nlu.parse_duration_days("I'm 74 and I've had it for 3 weeks", TODAY) == 21


def test_feeling_is_not_corrected_to_peeling():
    # when / then
    assert "peeling" not in nlu.normalise("feeling hot and cold")
