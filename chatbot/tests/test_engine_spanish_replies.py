"""The bot speaks the conversation's language, and a better conversation (issue 15 items 3, 5)."""

import json
import re
from datetime import date
from pathlib import Path

import pytest

from chatbot.engine import Engine, build_knowledge, interview, messages, screen

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 26)
# Words that only an English reply would contain.
ENGLISH = re.compile(r"\b(the|you|your|please|thank|sorry|what|and|have|this|that)\b", re.IGNORECASE)


def _seed(name: str) -> list[dict]:
    return json.loads((ROOT / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def english():
    return build_knowledge(_seed("diagnosis/seed/diseases.json"), _seed("chatbot/seed/faq.json"))


@pytest.fixture(scope="module")
def spanish():
    """The seed as the services build it for a Spanish conversation."""
    es_d = json.loads((ROOT / "diagnosis/seed/diseases.es.json").read_text(encoding="utf-8"))
    es_f = json.loads((ROOT / "chatbot/seed/faq.es.json").read_text(encoding="utf-8"))
    diseases = [{**d, **es_d[d["code"]], "language": "es"} for d in _seed("diagnosis/seed/diseases.json")]
    faqs = [{**f, **es_f[f["slug"]], "language": "es"} for f in _seed("chatbot/seed/faq.json")]
    return build_knowledge(diseases, faqs)


def start(knowledge, language="en", **context):
    engine = Engine(knowledge, context={"emergency_number": "112", **context}, today=TODAY, language=language)
    state = engine.new_state()
    return engine, state, engine.opening_turn(state)


def tap_screen(engine, state, answers=None):
    answers = answers or {}
    turns = []
    while state["screen"]["pending"] and not state["finished"]:
        turns.append(engine.reply(state, answers.get(state["screen"]["pending"], "no")))
    return turns


def finish_calm(engine, state, spanish=True):
    """Answer every open lesion question calmly; the last turn."""
    turn = None
    for _ in range(20):
        if state["finished"]:
            break
        pending = state["pending"]
        if pending == "duration_days":
            turn = engine.reply(state, "hace 3 meses" if spanish else "3 months")
        elif pending == "diameter_mm":
            turn = engine.reply(state, "5 mm")
        else:
            turn = engine.reply(state, "no")
    return turn


# ---------------------------------------------------------------- item 3: Spanish replies


def test_a_spanish_conversation_opens_in_spanish_with_spanish_tap_buttons(spanish):
    _, _, turn = start(spanish, "es")
    assert turn.language == "es"
    assert "Esto es una orientación, no un diagnóstico." in turn.reply
    assert messages.own("es", "screen", "fever", "text") in turn.reply
    assert [c["label"] for c in turn.choices] == ["Sí", "No", "No estoy seguro"]
    # the value sent back stays the same in every language
    assert [c["value"] for c in turn.choices] == ["yes", "no", "not sure"]
    assert not ENGLISH.search(turn.reply), turn.reply


def test_a_spanish_patient_gets_every_reply_of_a_whole_interview_in_spanish(spanish):
    engine, state, opening = start(spanish, "es")
    turns = [opening, *tap_screen(engine, state)]
    turns.append(finish_calm(engine, state))
    assert state["finished"] and turns[-1].urgency == "routine"
    for turn in turns:
        assert not ENGLISH.search(turn.reply), turn.reply
        assert "missing" not in turn.reply and "None" not in turn.reply
    final = turns[-1].reply
    assert "Rutina (nivel 4)" in final and "Motivo:" in final
    # the reasons are stored in English for the nurse, but said to the patient in Spanish
    assert "Ninguna respuesta preocupante" in final and "unos 3 meses" in final
    assert state["reasons"][0] == "No worrying answers so far"


def test_what_the_bot_understood_is_echoed_in_spanish(spanish):
    engine, _, _ = start(spanish, "es")
    found = {"duration_days": 21.0, "body_site": "chest, arms", "rash_spreading": False, "sensation": True}
    assert engine._findings_text(found) == [
        "presente desde hace unas 3 semanas",
        "picor o dolor",
        "no se está extendiendo",
        "en el pecho y los brazos",
    ]


def test_every_screen_and_interview_question_has_a_spanish_text():
    missing = [
        q.id
        for q in screen.QUESTIONS
        for f in ("text", "follow_up", "if_still_unsure", "short")
        if not messages.own("es", "screen", q.id, f)
    ]
    missing += [qid for qid in interview.QUESTIONS if not messages.own("es", "question", qid)]
    assert missing == []


def test_the_spanish_follow_up_of_a_not_sure_explains_the_glass_test(spanish):
    engine, state, _ = start(spanish, "es")
    engine.reply(state, "no")
    engine.reply(state, "no")
    turn = engine.reply(state, "not sure")
    assert turn.question == "glass_test"
    assert "vaso de cristal transparente" in turn.reply


def test_a_spanish_emergency_is_in_spanish_with_a_call_action(spanish):
    engine, state, _ = start(spanish, "es")
    turn = tap_screen(engine, state, {"glass_test": "yes"})[-1]
    assert turn.urgency == "emergency"
    assert "emergencia médica" in turn.reply and "llame al 112" in turn.reply
    assert turn.actions == [{"kind": "call", "label": "Llamar al 112", "href": "tel:112"}]
    assert not ENGLISH.search(turn.reply), turn.reply


def test_a_spanish_question_is_answered_from_the_spanish_disease_content(spanish):
    engine, state, _ = start(spanish, "es")
    tap_screen(engine, state)
    turn = engine.reply(state, "¿Qué es un melanoma?")
    assert turn.topic == "disease:melanoma"
    assert "El melanoma es un tipo de cáncer de piel" in turn.reply
    assert "Volvamos a su mancha" in turn.reply


def test_an_untranslated_page_is_quoted_in_english_and_says_so(english):
    engine, state, _ = start(english, "es")
    tap_screen(engine, state)
    turn = engine.reply(state, "¿Qué es un melanoma?")
    assert turn.topic == "disease:melanoma"
    assert "Melanoma is a type of skin cancer" in turn.reply
    assert "no está traducida al español" in turn.reply


def test_another_language_gets_the_safety_line_in_that_language_and_the_english_screen(english):
    _, _, turn = start(english, "de")
    assert turn.reply.startswith("Bei einem Notfall rufen Sie sofort die 112 an.")
    assert turn.language == "en"
    assert [c["label"] for c in turn.choices] == ["Yes", "No", "Not sure"]


# ---------------------------------------------------------------- item 5: a better conversation


def test_what_should_i_do_after_the_advice_restates_the_advice(english):
    engine, state, _ = start(english)
    tap_screen(engine, state)
    finish_calm(engine, state, spanish=False)
    turn = engine.reply(state, "what should I do?")
    assert "reliable information" not in turn.reply
    assert "Routine (level 4)" in turn.reply and "nurse will review" in turn.reply


@pytest.mark.parametrize("follow_up", ["is it serious?", "ok so what now", "do I need to see a doctor?"])
def test_follow_ups_after_the_advice_restate_it(english, follow_up):
    engine, state, _ = start(english)
    tap_screen(engine, state)
    finish_calm(engine, state, spanish=False)
    turn = engine.reply(state, follow_up)
    assert turn.reply.startswith("In short: Routine (level 4)"), turn.reply


def test_que_hago_after_the_spanish_advice_restates_it_in_spanish(spanish):
    engine, state, _ = start(spanish, "es")
    tap_screen(engine, state)
    finish_calm(engine, state)
    turn = engine.reply(state, "¿Qué hago?")
    assert turn.reply.startswith("En resumen: Rutina (nivel 4)")


def test_what_now_after_an_emergency_repeats_the_emergency_advice(english):
    engine, state, _ = start(english)
    tap_screen(engine, state, {"glass_test": "yes"})
    turn = engine.reply(state, "ok what now?")
    assert "seek emergency care now" in turn.reply.lower() and "112" in turn.reply
    assert turn.actions and turn.actions[0]["href"] == "tel:112"


def test_a_rash_emergency_gives_no_bleeding_advice_and_a_bleeding_one_does(english):
    engine, state, _ = start(english)
    rash = tap_screen(engine, state, {"glass_test": "yes"})[-1]
    assert rash.urgency == "emergency"
    assert "press firmly" not in rash.reply.lower() and "bleeding" not in rash.reply.lower()
    assert "even if you feel well" in rash.reply

    engine, state, _ = start(english)
    bleed = tap_screen(engine, state, {"bleeding": "yes"})[-1]
    assert bleed.urgency == "emergency" and "press firmly on it with a clean cloth" in bleed.reply


def test_the_emergency_number_is_the_configured_one_with_a_tap_to_call_action(english):
    engine, state, _ = start(english, emergency_number="999")
    turn = tap_screen(engine, state, {"blistering": "yes"})[-1]
    assert "call 999" in turn.reply
    assert turn.actions == [{"kind": "call", "label": "Call 999", "href": "tel:999"}]


def test_no_call_action_before_an_emergency(english):
    _, _, turn = start(english)
    assert turn.actions == []


def test_acknowledgements_vary_from_one_answer_to_the_next(english):
    engine, state, _ = start(english)
    firsts = [t.reply.split("\n")[0] for t in tap_screen(engine, state)[:4]]
    assert len(set(firsts)) >= 3, firsts


@pytest.mark.parametrize(
    "opening",
    [
        "hi i want to check a mole on my chest",
        "hello, I'd like to get a spot on my back checked",
        "hola quiero revisar un lunar",
    ],
)
def test_a_plain_opening_is_greeted_not_misunderstood(english, opening):
    engine, state, _ = start(english)
    turn = engine.reply(state, opening)
    assert "didn't quite follow" not in turn.reply
    assert turn.reply.startswith("Hello!") and turn.question == "fever"


def test_healing_and_immunity_are_still_asked_once_the_spot_is_urgent(english):
    engine, state, _ = start(english)
    tap_screen(engine, state)
    engine.reply(state, "3 months")
    # an urgent story: it grew, its outline is uneven and it has two colours (7-point 6)
    turn = engine.reply(state, "it got bigger, the edge is uneven and it has two colours")
    asked = [turn.reply]
    for _ in range(6):
        if state["finished"]:
            break
        turn = engine.reply(state, "no")
        asked.append(turn.reply)
    assert state["urgency"] == "urgent"
    text = "\n".join(asked).lower()
    assert "immune system" in text and "not healed" in text
    assert state["slots"]["immunosuppressed"] is False and state["slots"]["non_healing"] is False


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("¿qué es un melanoma?", "disease:melanoma"),
        ("¿quién puede ver mis fotos?", "faq:privacy"),
        ("me sangra el lunar, ¿qué hago?", "faq:bleeding-mole"),
        ("¿es contagiosa la queratosis seborreica?", "disease:seborrheic_keratosis"),
        ("¿son seguras las cabinas de bronceado?", "faq:sunbeds"),
        ("¿cuándo debo ir a urgencias?", "faq:emergency"),
        ("¿cuál es la capital de Francia?", None),
    ],
)
def test_spanish_questions_find_the_spanish_page(spanish, question, topic):
    from chatbot.engine.retrieval import retriever_for

    answer = retriever_for(spanish, language="es").answer(question)
    assert (answer.doc.id if answer else None) == topic


def test_a_spanish_question_about_causes_quotes_the_spanish_causes_section(spanish):
    from chatbot.engine.retrieval import retriever_for

    answer = retriever_for(spanish, language="es").answer("¿qué causa el carcinoma basocelular?")
    assert "Causas: Se debe sobre todo a la luz UV" in answer.excerpt


@pytest.mark.parametrize(("message", "expected"), [("ok thanks", "You're welcome."), ("hello", "Hello!")])
def test_thanks_is_answered_you_are_welcome_not_hello(english, message, expected):
    # given a finished interview
    engine, state, _ = start(english)
    tap_screen(engine, state)
    for answer in ("2 years", "no", "no", "no", "4 mm", "no", "no"):
        if state["finished"]:
            break
        engine.reply(state, answer)
    # when
    turn = engine.reply(state, message)
    # then
    assert turn.reply.startswith(expected)
