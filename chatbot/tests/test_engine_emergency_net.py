"""The learned second net: shipped weights load lazily, unseen emergencies escalate, others do not."""

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from chatbot.engine import Engine, emergency_net, screen

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 26)

# Written for this test, in no evaluation file; the rules tables miss each of them (checked below).
UNSEEN_EMERGENCIES = [
    (
        "en",
        "the bite on my calf has a crimson trail heading for my knee and i'm sweating buckets and aching all over",
    ),
    ("en", "nicked a wart shaving, i'm on rivaroxaban and it's been oozing blood non stop through every plaster"),
    ("en", "the antibiotics they gave me for my chest — now my mouth is full of ulcers and my skin's bubbling up"),
    (
        "en",
        "quick one: the graze on her arm is angry red, the redness has doubled since breakfast, hot to touch "
        "and she's got 38.6",
    ),
    (
        "es",
        "desde las pastillas nuevas tengo la boca llena de aftas, los ojos pegados y la piel se me levanta "
        "como una quemadura",
    ),
    ("es", "el pie diabético se me puso morado y negro, huele fatal y tengo calentura"),
    ("es", "la zona del grano se puso roja, caliente, crece a ojos vista hacia el cuello y tengo 38 y pico"),
]
NOT_CURRENT = [
    ("en", "no fever, no blisters, no peeling, just a mole i want to check"),
    ("en", "my neighbour's son had skin peeling off after an antibiotic last year"),
    ("en", "what if my skin starts peeling after the new tablets?"),
    ("es", "hace años tuve una reacción a un antibiótico con ampollas, ya estoy bien"),
    ("es", "no tengo fiebre ni manchas, solo un lunar que quiero revisar"),
]


def first_reply(knowledge, text, language="en", learned_net=True, **context):
    engine = Engine(knowledge, context=context, today=TODAY, language=language, learned_net=learned_net)
    state = engine.new_state()
    engine.opening_turn(state)
    return engine, state, engine.reply(state, text)


def test_shipped_weights_load_with_bands_per_language_and_score_a_probability():
    # when
    net = emergency_net.load()
    a = emergency_net.assess("my lips are blistered and my skin is peeling off since the new tablets", "en")
    # then
    assert set(net.bands) == {"en", "es"}
    for bands in net.bands.values():
        assert 0.0 < bands["screen"] <= bands["emergency"] < 1.0
    assert set(emergency_net.FAMILY_SCREEN) >= set(net.families)
    assert 0.0 <= a.score <= 1.0
    assert a.family == "widespread_blistering"
    assert emergency_net.assess("about 4 mm", "en").band == "none"


def test_importing_the_engine_loads_neither_the_weights_nor_spacy():
    # given: a fresh process, as a web worker starts
    code = (
        "import sys; import chatbot.engine.core; from chatbot.engine import emergency_net as n; "
        "print(n.load.cache_info().currsize, 'spacy' in sys.modules, 'chatbot.engine.train_net' in sys.modules)"
    )
    # when
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    # then
    assert out.stdout.split() == ["0", "False", "False"]


@pytest.mark.parametrize(("language", "text"), UNSEEN_EMERGENCIES)
def test_an_emergency_the_rules_miss_escalates_through_the_learned_net(knowledge, language, text):
    # given: the rules alone do not see it
    _, _, rules_only = first_reply(knowledge, text, language, learned_net=False)
    assert rules_only.urgency != "emergency"
    # when
    _, state, turn = first_reply(knowledge, text, language)
    # then: the same path as a rule hit
    assert turn.urgency == "emergency"
    assert turn.triage_level == 1
    assert turn.intent == "red_flag"
    assert turn.red_flags and turn.red_flags[0] in emergency_net.FAMILY_SCREEN
    assert turn.finished
    assert turn.actions and turn.actions[0]["href"].startswith("tel:")
    assert state["net"][-1]["band"] == "emergency"


@pytest.mark.parametrize(("language", "text"), NOT_CURRENT)
def test_a_denied_past_hypothetical_or_other_persons_sign_does_not_escalate(knowledge, language, text):
    # when
    _, state, turn = first_reply(knowledge, text, language)
    # then
    assert turn.urgency != "emergency"
    assert turn.red_flags == []
    assert state["net"][-1]["band"] == "none"


def test_an_emergency_in_the_upload_text_only_the_net_sees_opens_as_an_emergency(knowledge):
    # given
    symptoms = UNSEEN_EMERGENCIES[0][1]
    engine = Engine(knowledge, context={"symptoms": symptoms}, today=TODAY)
    state = engine.new_state()
    # when
    turn = engine.opening_turn(state)
    # then
    assert turn.urgency == "emergency"
    assert turn.red_flags


def test_a_middle_band_score_asks_the_matching_screen_question_next_and_a_yes_escalates(knowledge):
    # given: the opening asked the first screen question (fever)
    text = "it has been bleeding and grew in 3 weeks"
    assert emergency_net.assess(text, "en").band == "screen"
    engine, state, turn = first_reply(knowledge, text)
    # then: the bleeding question jumps the queue, with its taps, and nothing is raised yet
    assert turn.question == "bleeding"
    assert [c["value"] for c in turn.choices] == ["yes", "no", "not sure"]
    assert turn.urgency != "emergency"
    # when: "not sure" is followed up, then "yes"
    followed = engine.reply(state, "not sure")
    assert followed.question == "bleeding"
    assert screen.BY_ID["bleeding"].follow_up in followed.reply
    final = engine.reply(state, "yes")
    # then
    assert final.urgency == "emergency"
    assert "uncontrolled_bleeding" in final.red_flags


def test_a_middle_band_score_does_not_ask_again_a_question_already_tapped(knowledge):
    # given: every screen question tapped "no"
    engine = Engine(knowledge, context={}, today=TODAY)
    state = engine.new_state()
    engine.opening_turn(state)
    while state["screen"]["pending"]:
        engine.reply(state, "no")
    # when
    turn = engine.reply(state, "it has been bleeding and grew in 3 weeks")
    # then: the interview goes on
    assert turn.question is None
    assert turn.urgency != "emergency"
    assert state["screen"]["answers"]["bleeding"] == "no"


def test_signs_the_rules_read_as_denied_or_hedged_turn_a_weak_net_emergency_into_the_screen_question():
    # given: every blistering sign told is denied
    denied = "No tengo llagas en la boca ni en los ojos y la piel no se me pela. Solo tengo una calentura en el labio."
    # then: a weak net reading gives way to the tap question, a confident one stands
    assert emergency_net.sign_not_current("widespread_blistering", denied, "es", 0.6)
    assert not emergency_net.sign_not_current("widespread_blistering", denied, "es", emergency_net.CONTRADICTED_STANDS)
    # a sign told as current, or none the rules know, leaves the net's band as it is
    assert not emergency_net.sign_not_current(
        "widespread_blistering", "se me pela la piel de todo el cuerpo y tengo llagas en la boca", "es", 0.6
    )
    assert not emergency_net.sign_not_current("widespread_blistering", "me encuentro fatal", "es", 0.6)


def test_a_bleed_said_to_stop_within_minutes_answers_the_net_even_with_pressure_held():
    from chatbot.engine import redflags

    stopped = redflags.extract_features("sangró bastante pero paró a los 3 minutos apretando", "es")
    assert emergency_net.answered_by_rules("uncontrolled_bleeding", stopped)
    thinner = redflags.extract_features("tomo Sintrom, sangró y paró a los 3 minutos apretando", "es")
    assert not emergency_net.answered_by_rules("uncontrolled_bleeding", thinner)
