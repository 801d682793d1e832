"""Pathways: a single spot or mole (7-point checklist) versus a rash or skin reaction."""

from datetime import date
from pathlib import Path

import pytest

from chatbot.engine import Engine
from chatbot.engine.interview import QUESTIONS, RASH_GROUPS, choose_pathway, next_question

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 26)
SCREEN_NO = ("no",) * 6


@pytest.mark.parametrize(
    ("text", "language", "pathway"),
    [
        ("I have an itchy rash on both arms", "en", "rash"),
        ("hives all over after eating prawns", "en", "rash"),
        ("hi i want to check a mole on my chest", "en", "lesion"),
        ("there's a new spot on my back that bleeds", "en", "lesion"),
        ("it's not a rash, it's a mole", "en", "lesion"),
        ("tengo una erupción que pica en los dos brazos", "es", "rash"),
        ("quiero que revisen un lunar de la espalda", "es", "lesion"),
        ("hello", "en", None),
    ],
)
def test_the_first_message_chooses_the_pathway(text, language, pathway):
    # when / then
    assert choose_pathway(text, language) == pathway


def test_a_message_that_says_nothing_keeps_the_pathway():
    # when / then
    assert choose_pathway("about two weeks", "en", current="rash") == "rash"


def test_the_rash_pathway_asks_the_emergency_discriminators_then_duration_and_site():
    # given nothing known yet
    asked = []
    resolved: dict = {}
    # when the rash interview runs to the end with every slot answered
    while (q := next_question(resolved, asked, urgent=False, fever_first=False, pathway="rash")) is not None:
        asked.append(q.id)
        resolved.update(dict.fromkeys(q.slots, False))
    # then it asked exactly the rash questions, in order, and never the mole questions
    assert tuple(asked) == RASH_GROUPS
    assert all(QUESTIONS[q].text for q in asked)
    assert "change" not in asked and "duration_days" not in asked


def test_an_itchy_rash_is_not_asked_about_a_spot_or_mole(knowledge):
    # given a first message about a rash
    engine = Engine(knowledge, today=TODAY)
    state = engine.new_state()
    engine.opening_turn(state)
    engine.reply(state, "I have an itchy rash on both arms")
    # when the screen questions are answered
    for tap in SCREEN_NO:
        turn = engine.reply(state, tap)
    # then the pathway is stored and the interview asks a rash question
    assert state["pathway"] == "rash"
    assert state["pending"] in RASH_GROUPS
    assert "spot or mole" not in turn.reply


def test_the_pathway_switches_when_a_later_message_says_otherwise(knowledge):
    # given a conversation on the rash pathway
    engine = Engine(knowledge, today=TODAY)
    state = engine.new_state()
    engine.opening_turn(state)
    engine.reply(state, "I have an itchy rash on both arms")
    for tap in SCREEN_NO:
        engine.reply(state, tap)
    # when the patient corrects it
    engine.reply(state, "sorry, it's not a rash, it's one mole on my arm")
    # then the mole questions follow
    assert state["pathway"] == "lesion"
    assert state["pending"] not in RASH_GROUPS


def test_the_upload_text_chooses_the_pathway(knowledge):
    # given symptoms typed on the upload form
    engine = Engine(knowledge, context={"symptoms": "red itchy rash spreading on both legs"}, today=TODAY)
    state = engine.new_state()
    # when
    engine.opening_turn(state)
    # then
    assert state["pathway"] == "rash"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("red line going up my arm from the cut, feeling hot n cold", "en"),
        ("se me pela la piel y tengo llagas en la boca desde que tomo un antibiótico nuevo", "es"),
        ("estoy roja por todo el cuerpo y tengo escalofríos", "es"),
        ("mi hijo de 3 años tiene fiebre y puntos morados que no desaparecen al presionar un vaso", "es"),
    ],
)
def test_a_first_message_emergency_is_level_1_in_either_language(knowledge, text, language):
    # given a conversation in the patient's language
    engine = Engine(knowledge, today=TODAY, language=language)
    state = engine.new_state()
    engine.opening_turn(state)
    # when the first message describes an emergency
    turn = engine.reply(state, text)
    # then it is level 1 at once
    assert turn.red_flags
    assert turn.triage_level == 1
