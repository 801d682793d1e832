"""The red-flag screen: asked first, tap answers map to red flags, "not sure" is followed up."""

import json
from datetime import date
from pathlib import Path

import pytest

from chatbot.engine import Engine, emergency_net, redflags, screen
from triage.policy import RED_FLAG_LABELS

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 26)
ORDER = [q.id for q in screen.QUESTIONS]


def start(knowledge, **context):
    engine = Engine(knowledge, context=context, today=TODAY)
    state = engine.new_state()
    return engine, state, engine.opening_turn(state)


def at_question(knowledge, qid: str, language: str = "en"):
    """An engine and state whose screen is at question qid, every earlier one answered "no"."""
    engine = Engine(knowledge, context={}, today=TODAY, language=language)
    state = engine.new_state()
    engine.opening_turn(state)
    while state["screen"]["pending"] != qid:
        engine.reply(state, "no")
    return engine, state


def tap_through(engine, state, answers: dict[str, str]):
    """Answer the screen question by question ("no" where answers is silent); the last turn."""
    turn = None
    while state["screen"]["pending"] and not state["finished"]:
        turn = engine.reply(state, answers.get(state["screen"]["pending"], "no"))
    return turn


def test_every_new_conversation_opens_with_the_first_screen_question_and_its_taps(knowledge):
    # when
    _, state, turn = start(knowledge)
    # then
    first = screen.QUESTIONS[0]
    assert turn.question == first.id and first.text in turn.reply
    assert [c["value"] for c in turn.choices] == ["yes", "no", "not sure"]
    assert state["pending"] is None  # no lesion question before the screen
    assert turn.urgency is None


def test_the_screen_asks_every_question_in_the_table_order_before_the_interview(knowledge):
    engine, state, turn = start(knowledge)
    asked = [turn.question]
    for _ in range(len(ORDER)):
        turn = engine.reply(state, "no")
        asked.append(turn.question)
    # then
    assert asked == [*ORDER, None]
    assert turn.choices == []
    assert state["pending"] == "duration_days"
    assert "How long have you had" in turn.reply
    assert turn.red_flags == [] and turn.urgency is None


@pytest.mark.parametrize("rule", screen.RULES, ids=lambda r: f"{r.code}:{'+'.join(r.all_yes + r.any_of[:1])}")
def test_each_rule_of_the_table_raises_its_red_flag_and_an_emergency(knowledge, rule):
    # given yes to the rule's signs (and its first companion sign), no to everything else
    yes = {q: "yes" for q in (*rule.all_yes, *rule.any_of[:1])}
    engine, state, _ = start(knowledge)
    # when
    turn = tap_through(engine, state, yes)
    # then
    assert rule.code in turn.red_flags
    assert turn.urgency == "emergency" and turn.triage_level == 1
    assert turn.intent == "red_flag" and "emergency" in turn.reply.lower()
    assert turn.question is None and turn.choices == []


@pytest.mark.parametrize("qid", ["blistering", "glass_test", "bleeding"])
def test_a_yes_on_a_dangerous_sign_alone_is_an_emergency_at_once(knowledge, qid):
    engine, state, _ = start(knowledge)
    turn = tap_through(engine, state, {qid: "yes"})
    assert turn.urgency == "emergency"
    # at once: the questions after it were not asked
    assert set(state["screen"]["answers"]) == set(ORDER[: ORDER.index(qid) + 1])


@pytest.mark.parametrize(
    "answers",
    [
        {"fever": "yes"},
        {"new_medicine": "yes"},
        {"spreading": "yes"},  # TRIAGE.md: spreading redness is an emergency with a fever
        {"fever": "yes", "bleeding": "no", "spreading": "no"},
    ],
)
def test_a_sign_that_needs_a_companion_is_not_an_emergency_alone(knowledge, answers):
    engine, state, _ = start(knowledge)
    turn = tap_through(engine, state, answers)
    assert turn.red_flags == []
    assert turn.urgency != "emergency"
    assert state["pending"] == "duration_days"


def test_new_medicine_with_fever_is_a_drug_reaction(knowledge):
    engine, state, _ = start(knowledge)
    turn = tap_through(engine, state, {"fever": "yes", "new_medicine": "yes"})
    assert turn.red_flags == ["drug_reaction_fever"]


def test_spreading_redness_with_a_fever_still_in_doubt_is_an_emergency(knowledge):
    # given the patient cannot say whether they have a fever, even after the check
    engine, state, _ = start(knowledge)
    engine.reply(state, "not sure")
    engine.reply(state, "not sure")
    # when
    turn = tap_through(engine, state, {"spreading": "yes"})
    # then
    assert turn.red_flags == ["spreading_infection"]


@pytest.mark.parametrize("qid", ORDER)
def test_not_sure_is_followed_by_a_concrete_check_of_the_same_sign(knowledge, qid):
    # given the screen has reached qid
    engine, state, turn = start(knowledge)
    while turn.question != qid:
        turn = engine.reply(state, "no")
    # when
    turn = engine.reply(state, "not sure")
    # then the same question is asked again with its check, not the next topic
    question = screen.BY_ID[qid]
    assert turn.question == qid
    assert question.follow_up in turn.reply
    assert qid not in state["screen"]["answers"]
    assert turn.choices


def test_the_glass_test_is_explained_when_the_patient_is_not_sure(knowledge):
    engine, state, _ = start(knowledge)
    engine.reply(state, "no")
    engine.reply(state, "no")
    turn = engine.reply(state, "not sure")
    assert "press the side of a clear drinking glass" in turn.reply.lower()
    # and a yes after the check is an emergency
    turn = engine.reply(state, "yes")
    assert turn.red_flags == ["non_blanching_rash_fever"] and turn.urgency == "emergency"


def test_still_not_sure_after_the_check_moves_on_with_advice_and_a_nurse_looks_sooner(knowledge):
    # given
    engine, state, _ = start(knowledge)
    engine.reply(state, "no")
    engine.reply(state, "no")
    engine.reply(state, "not sure")
    # when
    turn = engine.reply(state, "not sure")
    # then
    assert screen.BY_ID["glass_test"].if_still_unsure in turn.reply
    assert turn.question == "spreading"
    assert state["screen"]["answers"]["glass_test"] == "unsure"
    # and a calm lesion ends at "soon", never "routine", with the doubt as a reason
    tap_through(engine, state, {})
    for message in ["years", "no", "no", "no", "about 4 mm", "no"]:
        turn = engine.reply(state, message)
    assert turn.finished and turn.urgency == "soon"
    assert any("glass" in reason for reason in turn.reasons)


@pytest.mark.parametrize(("tap", "answer"), [("sí", "yes"), ("Si", "yes"), ("no", "no"), ("no sé", "unsure")])
def test_spanish_taps_are_understood(tap, answer):
    q = screen.BY_ID["fever"]
    assert screen.read_answer(tap, q, {}, {}) == answer


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Yes", "yes"),
        ("yes.", "yes"),
        ("nope", "no"),
        ("I don't think so", "no"),
        ("no, but it itches", "no"),
        ("Not sure", "unsure"),
        ("I have a temperature of 39", "yes"),
        ("I have a rash", None),
        ("does a biopsy hurt?", None),
        ("about 3 months", None),
        # the asked sign denied up front, then history: a "no" to this question
        ("No fever. I had sepsis a few years back from cellulitis but nothing like that now.", "no"),
    ],
)
def test_typed_replies_to_the_fever_question(text, answer):
    q = screen.BY_ID["fever"]
    from chatbot.engine.interview import extract_findings

    assert screen.read_answer(text, q, extract_findings(text, TODAY), redflags.extract_features(text)) == answer


@pytest.mark.parametrize(
    "text", ["Not now - I had a red streak up my leg in 2020 but that was treated.", "not any more"]
)
def test_not_now_answers_a_screen_question_no(knowledge, text):
    # given the screen at its spreading-redness question
    engine, state, _ = start(knowledge)
    while state["screen"]["pending"] != "spreading":
        engine.reply(state, "no")
    # when
    turn = engine.reply(state, text)
    # then: answered, the next question is asked, nothing raised
    assert state["screen"]["answers"]["spreading"] == "no"
    assert turn.question == "new_medicine" and turn.urgency != "emergency"


def test_a_past_episode_told_in_a_screen_answer_is_no_duration_or_site_of_the_spot(knowledge):
    engine, state, _ = start(knowledge)
    engine.reply(state, "No fever. I had sepsis a few years back from cellulitis but nothing like that now.")
    assert state["screen"]["answers"]["fever"] == "no"
    assert "duration_days" not in state["slots"] and "body_site" not in state["slots"]


def test_a_red_flag_typed_mid_screen_is_still_caught(knowledge):
    # given the screen is at its first question
    engine, state, _ = start(knowledge)
    # when the patient types instead of tapping
    turn = engine.reply(state, "sorry, it's been bleeding for an hour and it won't stop")
    # then
    assert turn.red_flags == ["uncontrolled_bleeding"]
    assert turn.urgency == "emergency" and turn.choices == []


def test_a_red_flag_asked_as_a_question_mid_screen_is_still_caught(knowledge):
    engine, state, _ = start(knowledge)
    engine.reply(state, "no")
    turn = engine.reply(state, "is it normal that my skin is peeling off in sheets?")
    assert "widespread_blistering" in turn.red_flags and turn.urgency == "emergency"


def test_typed_details_are_kept_and_the_screen_question_gone_past_comes_back_after_the_others(knowledge):
    engine, state, _ = start(knowledge)
    # given a first message, the patient's story: the question is asked again
    turn = engine.reply(state, "I want to check a mole on my back")
    assert turn.question == "fever" and "Before we go on" in turn.reply
    # when the patient then tells other things instead of answering "fever"
    turn = engine.reply(state, "I've had it for 3 months and it itches")
    # then the details are kept and the screen goes on, saying it will come back
    assert state["slots"]["duration_days"] == 90 and state["slots"]["sensation"] is True
    assert turn.intent == "answer" and turn.question == "blistering"
    assert "come back to the safety question" in turn.reply
    # and the fever question is asked again once the others are answered
    while state["screen"]["pending"] != "fever":
        assert state["screen"]["pending"] is not None
        turn = engine.reply(state, "no")
    assert turn.question == "fever" and screen.BY_ID["fever"].text in turn.reply
    assert "fever" not in state["screen"]["answers"]


def test_a_screen_question_gone_past_twice_is_left_not_sure_never_no(knowledge):
    engine, state, _ = start(knowledge)
    engine.reply(state, "it's a mole on my back")
    engine.reply(state, "about 4 mm")
    while state["screen"]["pending"] != "fever":
        engine.reply(state, "no")
    # when the patient goes past it again
    turn = engine.reply(state, "it has been there about 2 years")
    # then it is recorded "not sure", left open for the nurse with what to do if it happens,
    # and the interview goes on
    assert state["screen"]["answers"]["fever"] == "unsure"
    assert "leave the question about fever or feeling very unwell open for the nurse" in turn.reply
    assert state["screen"]["done"] and turn.question is None and not state["finished"]


def test_a_typed_denial_of_the_asked_sign_answers_it_whatever_comes_first(knowledge):
    engine, state, _ = start(knowledge)
    turn = engine.reply(state, "Hi, I'm writing about my son, he's 6. No fever, he's his normal self.")
    assert state["screen"]["answers"]["fever"] == "no" and turn.question == "blistering"
    engine.reply(state, "no")
    turn = engine.reply(state, "It fades when you press it.")
    assert state["screen"]["answers"]["glass_test"] == "no" and turn.question == "spreading"


def test_a_question_mid_screen_is_answered_then_the_screen_goes_on(knowledge):
    engine, state, _ = start(knowledge)
    turn = engine.reply(state, "what is a basal cell carcinoma?")
    assert turn.intent == "question" and turn.topic == "disease:basal_cell_carcinoma"
    assert turn.question == "fever" and "Back to the safety questions" in turn.reply


def test_an_unclear_reply_never_skips_the_screen_question(knowledge):
    engine, state, _ = start(knowledge)
    for _ in range(3):
        turn = engine.reply(state, "banana")
        assert turn.question == "fever" and "didn't quite follow" in turn.reply


def test_the_screen_settles_the_interview_safety_questions(knowledge):
    engine, state, _ = start(knowledge)
    tap_through(engine, state, {"new_medicine": "yes"})
    assert state["slots"]["fever_unwell"] is False
    assert state["slots"]["new_medicine"] is True
    assert state["slots"]["widespread"] is False
    assert "safety" not in state["asked"]


def test_upload_answers_are_not_asked_again_but_a_not_sure_is_checked(knowledge):
    # given the upload form's screen: all answered, one "not sure"
    answers = dict.fromkeys(ORDER, "no") | {"glass_test": "unsure"}
    # when
    _, _state, turn = start(knowledge, screen=answers)
    # then only the doubted one is asked, straight with its check
    assert turn.question == "glass_test"
    assert screen.BY_ID["glass_test"].follow_up in turn.reply


def test_a_yes_on_the_upload_screen_is_an_emergency_in_the_opening(knowledge):
    _, _state, turn = start(knowledge, screen={"glass_test": "yes"})
    assert turn.urgency == "emergency" and turn.red_flags == ["non_blanching_rash_fever"]
    assert turn.question is None


def test_the_table_is_complete_and_its_codes_are_the_triage_codes():
    for q in screen.QUESTIONS:
        assert q.text.endswith("?") and q.follow_up and q.if_still_unsure and q.form_label and q.source
    for rule in screen.RULES:
        assert rule.code in RED_FLAG_LABELS and rule.code in redflags.RED_FLAGS
        assert set(rule.all_yes) | set(rule.any_of) <= set(screen.BY_ID)
    # every question either raises a flag alone or completes one
    used = {q for r in screen.RULES for q in (*r.all_yes, *r.any_of)}
    assert used == set(ORDER)


def test_screen_state_survives_a_json_round_trip(knowledge):
    _engine, state, _ = start(knowledge)
    for tap in ["no", "not sure"]:
        state = json.loads(json.dumps(state))
        turn = Engine(knowledge, today=TODAY).reply(state, tap)
        state = turn.state
    assert turn.question == "blistering"


def test_validate_refuses_unknown_questions_and_answers():
    assert screen.validate({"fever": "yes", "bleeding": ""}) == {"fever": "yes"}
    with pytest.raises(ValueError):
        screen.validate({"fever": "maybe"})
    with pytest.raises(ValueError):
        screen.validate({"headache": "yes"})


def test_a_conversation_saved_before_the_screen_existed_gets_it_next_without_mixing_answers(knowledge):
    # given a state from before the screen, mid-interview at the "change" question
    state = {"slots": {"duration_days": 90.0}, "asked": ["duration_days", "change"], "pending": "change"}
    state |= {"context_done": True, "bot_turns": 2}
    engine = Engine(knowledge, today=TODAY)
    # when the patient answers that question
    turn = engine.reply(state, "no")
    # then it is recorded, and the screen is asked next
    assert state["slots"]["size_change"] is False
    assert turn.question == "fever" and state["pending"] is None
    # and the next tap answers the screen only
    turn = engine.reply(state, "no")
    assert turn.question == "blistering" and state["slots"]["fever_unwell"] is False


@pytest.mark.parametrize(
    ("language", "answer"),
    [
        (
            "es",
            "ahora no. cuando estaba embarazada de mi hija, hace 5 años, tuve manchas moradas con fiebre y me "
            "ingresaron, pero se curó y no ha vuelto",
        ),
        (
            "en",
            "not now. when I was pregnant with my son I had purple spots that didn't fade and a fever, they "
            "admitted me, and it never came back",
        ),
    ],
)
def test_a_past_episode_told_while_answering_the_glass_question_is_no_emergency(knowledge, language, answer):
    # given the screen at its glass-test question
    engine, state = at_question(knowledge, "glass_test", language)
    # when
    turn = engine.reply(state, answer)
    # then: "not now" answers it, and the episode that "never came back" raises nothing
    assert state["screen"]["answers"]["glass_test"] == "no"
    assert turn.urgency != "emergency" and turn.red_flags == []


def test_the_learned_net_does_not_overrule_the_screen_questions_answered_no(knowledge):
    # given fever and spreading answered "no" (the spreading-infection family's checks)
    engine, state, _ = start(knowledge, screen=dict.fromkeys(ORDER, "no"))
    # when the patient describes a lump the learned net alone reads as a spreading infection
    text = "red hot swollen lump on my forearm"
    assert emergency_net.assess(text, "en").band == "emergency"
    turn = engine.reply(state, text)
    # then no emergency is declared on the net's score alone
    assert turn.urgency != "emergency" and not state["red_flags"]


def test_the_rules_still_raise_an_emergency_told_after_the_screen_was_answered_no(knowledge):
    engine, state, _ = start(knowledge, screen=dict.fromkeys(ORDER, "no"))
    turn = engine.reply(state, "actually now there's a red line spreading up my arm from the bite and I'm shivering")
    assert turn.urgency == "emergency"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "it bleeds a tiny bit when I scratch it but it stops straight away"),
        ("es", "a veces sangra un poquito si me rasco pero para enseguida"),
    ],
)
def test_a_small_bleed_that_stops_at_once_answers_the_bleeding_question_no(knowledge, language, text):
    engine, state = at_question(knowledge, "bleeding", language)
    engine.reply(state, text)
    assert state["screen"]["answers"]["bleeding"] == "no" and not state["red_flags"]
