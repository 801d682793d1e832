"""Interview: 7-point scoring, urgency rules, skip logic and the eight-turn budget."""

from datetime import date
from pathlib import Path

import pytest

from chatbot.engine import Engine, interview
from chatbot.engine.interview import judge, seven_point
from chatbot.engine.redflags import RED_FLAGS
from chatbot.engine.textnorm import fold_text

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 26)


# Every conversation opens with the six red-flag screen questions; these tests are about the
# lesion interview that follows, so they tap "no" through the screen first.
SCREEN_NO = ("no",) * 6


def play(knowledge, messages, screen=SCREEN_NO, **context):
    engine = Engine(knowledge, context=context, today=TODAY)
    state = engine.new_state()
    turns = [engine.opening_turn(state)]
    for m in (*screen, *messages):
        turns.append(engine.reply(state, m))
    return engine, state, turns


@pytest.mark.parametrize(
    ("slots", "score"),
    [
        ({}, None),
        ({"size_change": False}, 0),
        ({"size_change": True}, 2),
        ({"size_change": True, "shape_irregular": True, "colour_irregular": True}, 6),
        ({"diameter_mm": 7.0}, 1),
        ({"diameter_mm": 6.5}, 0),
        ({"inflammation": True, "bleeding": True, "sensation": True}, 3),
        (
            {
                "size_change": True,
                "shape_irregular": True,
                "colour_irregular": True,
                "diameter_mm": 12.0,
                "inflammation": True,
                "bleeding": True,
                "sensation": True,
            },
            10,
        ),
    ],
)
def test_seven_point_score_weights_major_two_and_minor_one(slots, score):
    assert seven_point(slots)[0] == score


def test_seven_point_reasons_name_each_item_and_its_points():
    _, reasons = seven_point({"size_change": True, "sensation": True})
    assert reasons == ["Change in size (2 points)", "Change in sensation (itch or pain) (1 point)"]


@pytest.mark.parametrize(
    ("slots", "flags", "context", "urgency"),
    [
        ({}, ["uncontrolled_bleeding"], {}, "emergency"),
        ({"size_change": True, "sensation": True}, [], {}, "urgent"),
        ({"bleeding": True, "size_change": True}, [], {}, "urgent"),
        ({"immunosuppressed": True, "non_healing": True}, [], {}, "urgent"),
        ({"non_healing": True}, [], {}, "soon"),
        ({"sensation": True}, [], {}, "soon"),
        ({"size_change": False, "bleeding": False}, [], {}, "routine"),
        ({"size_change": False}, [], {"top_class": "melanoma"}, "urgent"),
        ({"size_change": False}, [], {"top_class": "basal_cell_carcinoma"}, "soon"),
    ],
)
def test_urgency_rules(slots, flags, context, urgency):
    assert judge(slots, flags, context, RED_FLAGS).urgency == urgency


def test_calm_yes_no_story_reaches_routine_within_eight_bot_turns_after_the_screen(knowledge):
    # when
    _, _state, turns = play(knowledge, ["years", "no", "no", "no", "about 4 mm", "no", "no"])
    # then
    first = next(i for i, t in enumerate(turns, 1) if t.urgency)
    assert first <= 8 + len(SCREEN_NO)
    assert turns[-1].finished
    assert turns[-1].urgency == "routine"
    assert turns[-1].triage_level == 4
    assert "Routine" in turns[-1].reply


def test_example_story_is_urgent_with_reasons(knowledge):
    _, _, turns = play(knowledge, ["it has been bleeding and grew in 3 weeks"])
    turn = turns[-1]
    assert turn.urgency == "urgent"
    assert turn.triage_level == 2
    assert turn.seven_point_score == 3
    assert "Change in size (2 points)" in turn.reasons


def test_questions_answered_in_the_upload_text_are_skipped(knowledge):
    # given symptoms that already cover duration, change and bleeding
    _engine, state, turns = play(knowledge, [], symptoms="had it for 2 years, it hasn't changed and it never bled")
    # then the first question asked is the one they left open, not how long or what changed
    assert state["pending"] == "non_healing"
    assert "duration_days" not in state["asked"]
    assert "change" not in state["asked"]
    assert "How long" not in turns[0].reply


def test_findings_in_any_message_are_used_not_only_the_one_asked(knowledge):
    # given the duration question, answered with much more
    _, state, _ = play(knowledge, ["3 months, it itches and has grown, no bleeding"])
    # then
    slots = state["slots"]
    assert slots["duration_days"] == 90
    assert slots["sensation"] is True
    assert slots["size_change"] is True
    assert slots["bleeding"] is False


def test_non_healing_is_not_asked_about_a_spot_younger_than_four_weeks(knowledge):
    _, state, _ = play(knowledge, ["2 weeks"])
    assert state["slots"]["non_healing"] is False


def test_red_flag_mid_interview_gives_emergency_advice_at_once(knowledge):
    _, _, turns = play(knowledge, ["3 weeks", "it won't stop bleeding"])
    turn = turns[-1]
    assert turn.intent == "red_flag"
    assert turn.urgency == "emergency"
    assert turn.triage_level == 1
    assert turn.red_flags == ["uncontrolled_bleeding"]
    assert "emergency" in turn.reply.lower()


def test_red_flag_in_upload_text_is_shown_in_the_opening(knowledge):
    _, state, turns = play(knowledge, [], symptoms="rash all over, high fever, skin peeling off")
    assert turns[0].urgency == "emergency"
    assert state["red_flags"]


def test_urgency_only_rises_once_reported(knowledge):
    # given an urgent story
    _, _, turns = play(
        knowledge,
        ["it has been bleeding and grew in 3 weeks", "no", "actually it's fine now, no bleeding"],
    )
    # then a later reassuring message does not lower it
    assert turns[-1].urgency == "urgent"


def test_unclear_answer_is_reasked_then_skipped(knowledge):
    _, state, turns = play(knowledge, ["banana", "banana"])
    assert "didn't quite follow" in turns[-2].reply
    assert turns[-2].intent == "other"
    assert state["pending"] != "duration_days"


def test_question_mid_interview_is_answered_and_the_question_reasked(knowledge):
    _, state, turns = play(knowledge, ["what is a basal cell carcinoma?"])
    turn = turns[-1]
    assert turn.intent == "question"
    assert turn.topic == "disease:basal_cell_carcinoma"
    assert "How long have you had" in turn.reply
    assert state["pending"] == "duration_days"


def test_a_no_that_belongs_to_another_finding_does_not_answer_the_question(knowledge):
    # given the size question is pending
    engine = Engine(knowledge, today=TODAY)
    state = engine.new_state()
    engine.opening(state)
    for tap in SCREEN_NO:
        engine.reply(state, tap)
    engine.reply(state, "years")
    engine.reply(state, "yes")
    assert state["pending"] == "size_change"
    # when the patient answers about something else
    engine.reply(state, "no redness")
    # then redness is recorded but size is still open
    assert state["slots"]["inflammation"] is False
    assert "size_change" not in state["slots"]
    assert state["pending"] == "size_change"


def test_no_is_not_an_answer_to_how_long(knowledge):
    _, state, _ = play(knowledge, ["no it hasn't bled"])
    assert "duration_days" not in state["slots"]
    assert state["slots"]["bleeding"] is False
    assert state["pending"] == "duration_days"


@pytest.mark.parametrize(
    ("text", "site"),
    [
        ("a mole on my back", "back"),
        ("back", "back"),
        ("lower back and shoulders", "back"),
        ("it came back after they froze it", None),
        ("I had one removed a few years back", None),
    ],
)
def test_back_is_a_site_only_where_it_names_the_body(text, site):
    from chatbot.engine.interview import extract_findings

    assert extract_findings(text).get("body_site") == site


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "no skin cancer in the family, immune system is fine"),
        ("en", "No skin cancer in the family that I know of, I'm not on anything for my immune system."),
        ("en", "No family history, no immune problems."),
        ("es", "no hay cáncer de piel en la familia y mis defensas están bien"),
        ("es", "nadie en mi familia ha tenido cáncer de piel, no tomo nada para las defensas"),
    ],
)
def test_a_denied_family_history_and_immune_problem_answer_the_risk_question(language, text):
    # the engine folds accents first (core.Engine.reply)
    found = interview.extract_findings(fold_text(text), None, language)
    assert found.get("history") is False and found.get("immunosuppressed") is False


def test_a_stated_family_history_and_immune_suppressant_are_recorded():
    found = interview.extract_findings("my dad had melanoma and I'm on immune suppressants", None, "en")
    assert found.get("history") is True and found.get("immunosuppressed") is True


@pytest.mark.parametrize(
    ("language", "text", "absent"),
    [
        (
            "en",
            "same size and shape as always, still the same dark brown",
            {"size_change", "shape_irregular", "colour_irregular"},
        ),
        (
            "es",
            "el mismo tamaño y forma, sigue igual de marroncito",
            {"size_change", "shape_irregular", "colour_irregular"},
        ),
    ],
)
def test_same_size_shape_and_colour_told_together_are_all_recorded_absent(language, text, absent):
    found = interview.extract_findings(fold_text(text), None, language)
    assert {k for k in absent if found.get(k) is False} == absent


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("es", "tengo unas placas en los dos codos, gruesas con escamas plateadas"),
        ("en", "thick patches on both knees with silvery scales"),
    ],
)
def test_plaques_on_both_knees_or_elbows_choose_the_rash_pathway(language, text):
    assert interview.choose_pathway(fold_text(text), language) == "rash"


def test_lifelong_in_spanish_words_is_a_long_duration():
    found = interview.extract_findings(fold_text("Lo tengo desde que tengo memoria."), None, "es")
    assert found["duration_days"] >= 3650


def test_many_little_scaly_ovals_choose_the_rash_pathway():
    text = "started with one big pink oval patch on my side, then loads of little scaly ovals came up on my back"
    assert interview.choose_pathway(text, "en") == "rash"


@pytest.mark.parametrize(
    ("language", "text", "present"),
    [
        ("en", "it's brown and black now, with a bit of blue at one edge", {"colour_irregular"}),
        (
            "es",
            "ahora tiene el borde como desflecado y es negro, marrón y algo de gris",
            {"colour_irregular", "shape_irregular"},
        ),
        ("es", "me ha doblado el tamaño desde el verano", {"size_change"}),
        ("en", "it has doubled in size and the edges look ragged", {"size_change", "shape_irregular"}),
    ],
)
def test_colours_listed_across_and_a_doubled_size_or_a_frayed_edge_are_major_items(language, text, present):
    found = interview.extract_findings(fold_text(text), None, language)
    assert {k for k in present if found.get(k) is True} == present


def test_colours_denied_in_a_list_stay_absent():
    found = interview.extract_findings("it has no black or blue in it, just one even brown", None, "en")
    assert found.get("colour_irregular") is False
