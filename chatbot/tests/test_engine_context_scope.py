"""ConText scope, round 2 (issue 15): questions that report, other people's past, parents, pressure.

The sentences are paraphrases of the 2026-12 development misses, not the rows themselves: the
rules must catch the way of writing, not one message.
"""

from datetime import date

import pytest

from chatbot.engine import Engine, context, redflags
from chatbot.engine.interview import extract_findings
from chatbot.engine.nlu import normalise
from chatbot.evaluate import load_knowledge

TODAY = date(2026, 11, 26)


def flags(text: str, language: str = "en") -> list[str]:
    return redflags.evaluate(redflags.extract_features(text, language)).codes


@pytest.mark.parametrize(
    ("text", "language", "code"),
    [
        (
            "is it an emergency if my skin is peeling off in sheets since the new tablets?",
            "en",
            "widespread_blistering",
        ),
        ("is it bad if ur skin is blistering n peeling and u got sores in ur mouth", "en", "widespread_blistering"),
        (
            "does it matter if my son has a high fever and spots that stay when i press a glass?",
            "en",
            "non_blanching_rash_fever",
        ),
        ("¿es grave si mi hija tiene fiebre y manchas que no se van con el vaso?", "es", "non_blanching_rash_fever"),
    ],
)
def test_a_condition_in_the_present_tense_is_a_report(text, language, code):
    # when / then: "if my skin is ..." describes what is happening, not a hypothesis
    assert code in flags(text, language)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("if it ever bleeds and won't stop do I go to A&E? it isn't bleeding now", "en"),
        ("if my eczema ever gets blisters and a fever, is that serious?", "en"),
        ("¿y si un lunar empieza a sangrar y no para? el mío está bien", "es"),
        ("si algún día sangra mucho y no para, ¿qué hago?", "es"),
    ],
)
def test_a_future_condition_stays_hypothetical(text, language):
    # when / then: a sentence-wide match ("bleeds and won't stop") keeps the "if" before it
    assert flags(text, language) == []


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("my cousin got stevens johnson from a tablet years back, am I at risk?", "en"),
        ("my sister's little boy had a purple rash with a fever last year, now I worry about my mole", "en"),
        ("my son had meningitis as a baby with the purple rash, he's fine, this is about a mole", "en"),
        ("a mi tío le sangraba mucho un lunar y era cáncer, el mío no sangra", "es"),
        ("hace tres años tuve un Stevens-Johnson por una pastilla, ahora tengo un lunar nuevo", "es"),
    ],
)
def test_another_persons_or_a_distant_past_illness_raises_no_flag(text, language):
    # when / then
    assert flags(text, language) == []


@pytest.mark.parametrize(
    ("text", "language", "code"),
    [
        (
            "my mum had a fall yesterday and now her leg is red, hot and spreading fast, she has a fever",
            "en",
            "spreading_infection",
        ),
        (
            "mi madre tenía fiebre ayer y hoy la rojez de la pierna va subiendo y está caliente",
            "es",
            "spreading_infection",
        ),
    ],
)
def test_a_relatives_recent_illness_still_raises_the_flag(text, language, code):
    # when / then: a carer writing about the patient in the past tense, but about now
    assert code in flags(text, language)


@pytest.mark.parametrize(
    ("text", "language", "code"),
    [
        (
            "my 10 month old is really sleepy and hot, dark spots that stay under a glass",
            "en",
            "non_blanching_rash_fever",
        ),
        (
            "toddler scraped his elbow, now a red streak going up his forearm, 38.9 on the thermometer",
            "en",
            "spreading_infection",
        ),
        (
            "mi nena está muy dormida y caliente, con manchitas que no se van con el vaso",
            "es",
            "non_blanching_rash_fever",
        ),
        ("purple spots that dont go with a glass + high temp in my baby", "en", "non_blanching_rash_fever"),
    ],
)
def test_a_child_described_by_a_parent(text, language, code):
    # when / then: sleepy, hot, a bare temperature; "+" ends the clause of "dont"
    assert code in flags(text, language)


@pytest.mark.parametrize(("text", "language"), [("she is 38.6 tonight", "en"), ("tiene 38,9 desde anoche", "es")])
def test_a_temperature_without_its_unit_is_a_fever(text, language):
    # when
    analysis = context.analyse(normalise(text, language), language)
    # then the decimal point or comma does not split the number into two clauses
    assert analysis.polarity(context.feature_label("fever")) == "pos"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("how long is a mole meant to bleed? it's been going 25 mins, pressing with a towel the whole time", "en"),
        ("she's on sintrom and the mole she caught has been bleeding for 20 minutes", "en"),
        ("i take rivaroxaban, my mole keeps bleeding", "en"),
        ("mi abuela toma acenocumarol y el lunar lleva media hora sangrando", "es"),
        ("toma anticoagulante y le sangra la cabeza sin parar, apretamos 10 minutos", "es"),
        ("toma warfarina, se cortó un lunar y sangra y sangra, llevamos un rato apretando", "es"),
    ],
)
def test_bleeding_despite_pressure_or_on_blood_thinners(text, language):
    # when / then
    assert flags(text, language) == ["uncontrolled_bleeding"]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("it bled when i nicked it, i pressed for 10 minutes and it stopped", "en"),
        ("me corté el lunar, apreté 10 minutos y paró", "es"),
    ],
)
def test_bleeding_that_stopped_with_pressure_is_no_emergency(text, language):
    # when / then
    assert flags(text, language) == []


@pytest.mark.parametrize(
    "text",
    [
        "me hice una herida, la rojez va subiendo por la pierna, está caliente y tengo escalofríos",
        "la mano está hinchada y roja, la rojez ya llega al codo y tengo calentura",
    ],
)
def test_spanish_spreading_infection_told_as_a_story(text):
    # when / then
    assert flags(text, "es") == ["spreading_infection"]


def test_interview_answers_are_not_misread():
    # given answers from scripted conversations
    # then a blood pressure tablet is not bleeding, "not red" denies redness, and a bleed
    # "ages ago" is not a current finding
    assert "bleeding" not in extract_findings("yes I started a new blood pressure tablet last month", TODAY)
    assert extract_findings("it's a bit itchy but not red", TODAY).get("inflammation") is False
    assert "bleeding" not in extract_findings("it bled once ages ago when I caught it but not since", TODAY)


def test_an_unsure_answer_ending_in_a_question_mark_is_an_answer():
    # given an interview at the duration question
    engine = Engine(load_knowledge(), today=TODAY)
    state = engine.new_state()
    engine.opening_turn(state)
    turn = None
    for _ in range(6):  # the red-flag screen: no to each
        turn = engine.reply(state, "no")
    assert state.get("pending") == "duration_days"
    # when
    turn = engine.reply(state, "not sure, a few years?")
    # then it is read as the answer, not sent to the knowledge base
    assert state["slots"].get("duration_days") == pytest.approx(1095.0)
    assert turn.intent != "question"
