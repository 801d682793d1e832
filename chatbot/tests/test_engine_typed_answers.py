"""Typed answers the way patients write them (issue 15, first-sight conversations 12i-12k): a
greeting before the answer, a denial in words, a sign told before its screen question, an
interview question answered with something else, "what should I do?" mid-interview."""

from datetime import date

import pytest

from chatbot.engine import Engine, interview
from chatbot.engine.textnorm import fold_text

TODAY = date(2026, 11, 26)


def start(knowledge, language="en"):
    engine = Engine(knowledge, context={}, today=TODAY, language=language)
    state = engine.new_state()
    engine.opening_turn(state)
    return engine, state


def screen_through(engine, state):
    turn = None
    while state["screen"]["pending"] and not state["finished"]:
        turn = engine.reply(state, "no")
    return turn


@pytest.mark.parametrize(("language", "text"), [("en", "hi, no"), ("es", "hola, no"), ("es", "buenas tardes. No")])
def test_a_greeting_before_the_answer_does_not_hide_it(knowledge, language, text):
    engine, state = start(knowledge, language)
    turn = engine.reply(state, text)
    assert state["screen"]["answers"]["fever"] == "no"
    assert turn.question == "blistering"


@pytest.mark.parametrize(
    ("language", "pending", "text"),
    [
        ("es", "bleeding", "no sangra"),
        ("en", "glass_test", "they go white when i press"),
        ("en", "bleeding", "it stopped after a couple of minutes with a tissue"),
        ("en", "blistering", "no, nothing peeling and no mouth sores"),
    ],
)
def test_a_denial_in_words_answers_the_screen_question(knowledge, language, pending, text):
    engine, state = start(knowledge, language)
    while state["screen"]["pending"] != pending:
        engine.reply(state, "no")
    engine.reply(state, text)
    assert state["screen"]["answers"][pending] == "no"
    assert state["screen"]["pending"] != pending


def test_a_sign_told_or_denied_before_its_question_is_not_asked_as_if_unheard(knowledge):
    engine, state = start(knowledge)
    # the fever question is open; the patient tells a new medicine and denies blistering
    engine.reply(state, "no fever. i started ibuprofen a few days ago for my back, no blisters or peeling")
    answers = state["screen"]["answers"]
    assert answers["fever"] == "no"
    assert answers["new_medicine"] == "yes"
    assert answers["blistering"] == "no"
    asked = []
    while state["screen"]["pending"] and not state["finished"]:
        asked.append(state["screen"]["pending"])
        engine.reply(state, "no")
    assert "new_medicine" not in asked and "blistering" not in asked


def test_an_interview_question_answered_with_other_details_is_asked_again_once_then_left_open(knowledge):
    engine, state = start(knowledge)
    screen_through(engine, state)
    assert state["pending"] == "duration_days"
    engine.reply(state, "it's on my left forearm")
    turn = engine.reply(state, "it's a bit itchy sometimes")
    assert state["pending"] != "duration_days"
    assert state["slots"]["duration_days"] is None  # left open, not made up
    assert "How long" not in turn.reply


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "so what should i do?"), ("en", "do I need to book an appointment?"), ("es", "¿tengo que pedir cita?")],
)
def test_what_should_i_do_mid_interview_gets_provisional_advice_then_the_open_question(knowledge, language, text):
    engine, state = start(knowledge, language)
    screen_through(engine, state)
    engine.reply(state, "about 2 years" if language == "en" else "unos 2 años")
    pending = state["pending"]
    turn = engine.reply(state, text)
    assert turn.urgency in ("routine", "soon", "urgent")
    assert not state["finished"]
    assert state["pending"] == pending
    assert ("so far" if language == "en" else "hasta ahora") in turn.reply


def test_before_the_screen_is_done_what_should_i_do_gives_no_advice_yet(knowledge):
    engine, state = start(knowledge)
    turn = engine.reply(state, "what should I do?")
    assert turn.urgency is None
    assert state["screen"]["pending"] == "fever"


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("desde hace unos 3 años, es una manchita marrón en la mano", 1095.0),
        ("tengo un lunar en la espalda de hace años", 3650.0),
        ("lo tengo desde hace 2 años", 730.0),
    ],
)
def test_spanish_desde_hace_is_how_long_not_a_past_episode(text, days):
    assert interview.extract_findings(fold_text(text), TODAY, "es")["duration_days"] == days


def test_ok_thanks_is_thanks(knowledge):
    engine, state = start(knowledge, "es")
    screen_through(engine, state)
    turn = engine.reply(state, "vale gracias")
    assert turn.intent == "greeting"


@pytest.mark.parametrize(
    "text",
    [
        "Me tomé un ibuprofeno y se me hinchan los labios y la garganta",
        "tengo ronchas por todo el cuerpo y me silba el pecho",
    ],
)
def test_spanish_throat_swelling_or_wheeze_is_anaphylaxis(knowledge, text):
    engine, state = start(knowledge, "es")
    turn = engine.reply(state, text)
    assert turn.urgency == "emergency"
    assert "anaphylaxis" in turn.red_flags
