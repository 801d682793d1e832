"""Red flags by concept family (issue 15, round 3): new phrasings of each family, not rows seen.

None of these sentences is in an evaluation batch: each combines words of a family (a red line
+ climbing + a limb; blood words other than "bleed" + held pressure; drug classes; Spanish
diminutives) in a way the rules did not list one by one.
"""

from datetime import date
from pathlib import Path

import pytest

from chatbot.engine import Engine, redflags, ruleset

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 26)


def flags(text: str, language: str = "en") -> list[str]:
    return redflags.evaluate(redflags.extract_features(text, language)).codes


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # spreading: a line / stripe / streak, a climbing verb, a limb; over the pen mark
        (
            "a red streak is creeping up past my elbow from the bite and I've got a fever of 38.6",
            "spreading_infection",
        ),
        ("the redness is way past the pen mark I drew, hot and sore, and I'm shivering", "spreading_infection"),
        ("the red has gone halfway up his calf since lunch, it's hot and he has the chills", "spreading_infection"),
        # bleeding without the word "bleed": dripping, gushing, trickling, soaking through
        ("my husband is on apixaban and the cut on his shin has been dripping for 25 minutes", "uncontrolled_bleeding"),
        ("pressed a towel on it for 15 minutes and it's still gushing", "uncontrolled_bleeding"),
        ("held gauze on the mole for twenty minutes and it keeps soaking through", "uncontrolled_bleeding"),
        # SJS: eyes / lips / mouth words with any state verb; skin coming away
        (
            "the GP gave me amoxicillin, now my eyes went red and gritty and my lips are crusty, rash on my chest",
            "widespread_blistering",
        ),
        ("her skin came away like wet tissue when I lifted her arm", "widespread_blistering"),
        ("started carbamazepine, now his mouth is full of ulcers and he has a rash", "widespread_blistering"),
        # drug reaction: a drug class, not a listed drug name
        (
            "two weeks after starting an anti-epileptic I have a fever, swollen glands and a rash everywhere",
            "drug_reaction_fever",
        ),
        # a feverish child described by a carer
        (
            "she's off colour, her forehead feels hot, tiny purple spots on her legs"
            " that I can still see under a glass",
            "non_blanching_rash_fever",
        ),
    ],
)
def test_english_concept_families_raise_their_flag(text, code):
    assert code in flags(text)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # diminutives and "no se le van" with a clitic
        (
            "al nino le salieron unas pintitas moradas en las piernas, le puse un vaso y no se le van, y tiene fiebre",
            "non_blanching_rash_fever",
        ),
        (
            "me pico algo en el tobillo y lo colorado ya me llega hasta la rodilla, esta caliente y tengo escalofrios",
            "spreading_infection",
        ),
        ("se corto el dedo y cada vez mas arriba lo rojo, hinchado y con calentura", "spreading_infection"),
        ("toma sintrom y la herida sigue goteando aunque aprieto", "uncontrolled_bleeding"),
    ],
)
def test_spanish_concept_families_raise_their_flag(text, code):
    assert code in flags(text, "es")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("I had a red, spreading infection with a fever two months ago, antibiotics cleared it completely", "en"),
        ("my grandad once bled loads from a cut while on warfarin, I just want my mole looked at", "en"),
        ("I had eczema herpeticum as a teenager, now my eczema is only a bit dry", "en"),
        ("de chiquita tuve una infeccion en la piel con calentura, ya se curo hace anos", "es"),
        ("¿Si algun dia un lunar me sangra mucho y no para, voy a urgencias? De momento no.", "es"),
        # a flow word that is not blood
        ("I'm on warfarin and my mole is dripping a bit of clear fluid", "en"),
        ("tomo sintrom y el lunar gotea un liquido transparente", "es"),
    ],
)
def test_episodes_that_are_over_or_possible_raise_no_flag(text, language):
    assert flags(text, language) == []


def test_an_episode_that_came_back_is_current_again():
    text = "it cleared up completely two months ago but it's back, red, hot and spreading up my leg with a fever"
    assert "spreading_infection" in flags(text)


def test_what_is_told_after_a_resolved_episode_still_counts():
    text = (
        "me queme con el sol el mes pasado, eso ya paso. "
        "pero desde ayer se me cae la piel a tiras y tengo llagas en la boca"
    )
    assert "widespread_blistering" in flags(text, "es")


def test_families_are_expanded_inside_patterns():
    shared = {"limb": ["arms?", "legs?"], "climb": ["going", "{limb}"]}
    assert ruleset._families("up (my )?{limb}", shared) == "up (my )?(?:arms?|legs?)"
    # nested families and quantifiers stay intact
    assert ruleset._families("{climb}[^.]{0,20}", shared) == "(?:going|(?:arms?|legs?))[^.]{0,20}"


def test_a_question_telling_an_emergency_without_a_pronoun_is_the_patients(knowledge):
    engine = Engine(knowledge, today=TODAY)
    state = engine.new_state()
    engine.opening(state)
    turn = engine.reply(state, "skin tag snagged off, 20 minutes of pressure and still streaming, normal??")
    assert turn.urgency == "emergency"
    assert "uncontrolled_bleeding" in turn.red_flags


@pytest.mark.parametrize("text", ["what is SJS", "is eczema herpeticum contagious", "what does meningitis mean"])
def test_a_question_only_naming_an_emergency_is_answered_not_flagged(knowledge, text):
    engine = Engine(knowledge, today=TODAY)
    state = engine.new_state()
    engine.opening(state)
    turn = engine.reply(state, text)
    assert turn.red_flags == []


def test_not_sure_on_bleeding_then_free_text_with_held_pressure_is_an_emergency(knowledge):
    engine = Engine(knowledge, today=TODAY)
    state = engine.new_state()
    engine.opening_turn(state)
    for tap in ["no", "no", "no", "no", "no", "not sure"]:
        engine.reply(state, tap)
    turn = engine.reply(state, "been holding gauze on it for 15 minutes and it's still trickling")
    assert turn.urgency == "emergency"
    assert "uncontrolled_bleeding" in turn.red_flags
