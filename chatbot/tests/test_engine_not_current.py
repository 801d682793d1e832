"""Issue 15's false alarms on 2026-12d: past and resolved episodes, other people's stories, a rash
that blanches, bleeding that stopped and shingles are not emergencies; the same signs told as
current still are (rules tables and ConText, then the whole engine with the learned net)."""

from datetime import date
from pathlib import Path

import pytest

from chatbot.engine import Engine, context, redflags, ruleset
from chatbot.engine.nlu import normalise

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 26)


def flags(text: str, language: str = "en") -> list[str]:
    return redflags.evaluate(redflags.extract_features(text, language)).codes


def first_reply(knowledge, text, language="en"):
    engine = Engine(knowledge, context={}, today=TODAY, language=language)
    state = engine.new_state()
    engine.opening_turn(state)
    return engine.reply(state, text)


# Written for these tests (in no evaluation file).
PAST_RESOLVED = [
    (
        "en",
        "Last spring my calf went red and hot after an insect bite and I had a fever, they put me on a drip "
        "and it healed nicely. Now I have a small freckle on my ankle.",
    ),
    ("en", "a few years back my foot was red, swollen and spreading with a temperature, it cleared with tablets"),
    ("en", "I had a temperature last month with a cold but that's all gone now, just a mole to check"),
    (
        "es",
        "Hace tres meses se me puso el brazo rojo y caliente con fiebre, me dieron antibiotico y se me fue todo. "
        "Ahora es por una peca.",
    ),
    ("es", "Hace 12 dias tuve fiebre y la pierna roja que se extendia, ya no tengo nada rojo ni fiebre."),
]
NOW_SPREADING = [
    ("en", "my leg was totally fine yesterday but now the redness is spreading fast up to my knee, i'm shivering"),
    ("en", "had cellulitis last year that cleared, it's come back and the red is spreading up my arm with a fever"),
    ("es", "ayer la pierna estaba bien pero ahora la rojez se extiende muy rapido, esta caliente y tengo fiebre"),
    ("es", "el ano pasado tuve celulitis y se curo, pero ha vuelto: la rojez sube cada hora y tengo 39 de fiebre"),
]


@pytest.mark.parametrize(("language", "text"), PAST_RESOLVED)
def test_a_past_resolved_infection_raises_no_flag(language, text):
    # when / then
    assert flags(text, language) == []


@pytest.mark.parametrize(("language", "text"), NOW_SPREADING)
def test_fine_before_and_spreading_now_is_still_an_emergency(language, text):
    # when / then
    assert "spreading_infection" in flags(text, language)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "the rash cleared last year and never came back, but today my arm is red, spreading and I'm feverish"),
        ("es", "el ano pasado se me curo y no me ha vuelto a pasar"),
    ],
)
def test_a_denied_return_is_not_a_recurrence(language, text):
    # given
    rules = ruleset.load(language)
    # then: "never came back" / "no me ha vuelto" do not say it came back
    assert not rules.resolved_episode["recurred"].search(normalise(text, language))


@pytest.mark.parametrize(
    ("language", "text", "label"),
    [
        ("en", "my friend's son got purple spots and a high fever and it was meningitis", "feature:fever"),
        ("es", "al hijo de una amiga le salieron manchas moradas con fiebre y era meningitis", "feature:fever"),
    ],
)
def test_another_persons_story_runs_on_over_and(language, text, label):
    # when
    mods = context.analyse(normalise(text, language), language).modifiers(label)
    # then: the whole story is theirs
    assert mods and all("family" in m for m in mods)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "my mum had melanoma and i have a fever and a rash"),
        ("es", "a mi madre le dio fiebre y yo tengo fiebre y sarpullido"),
    ],
)
def test_the_patient_coming_back_ends_the_other_persons_reach(language, text):
    # when
    mods = context.analyse(normalise(text, language), language).modifiers("feature:fever")
    # then: the last fever is the patient's own
    assert "family" not in mods[-1]


def test_family_keeps_its_reach_over_and_while_the_other_categories_stop_there():
    # given
    termsets = ruleset.load("en").termsets
    # then
    assert "and" not in termsets["family"]["termination"]
    assert "and" in termsets["negated"]["termination"]
    assert "i" in termsets["family"]["termination"]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        (
            "en",
            "My friend's son got purple spots and a fever and it turned out to be meningitis. My son has a few "
            "pink spots that go pale when I press a glass on them and no temperature.",
        ),
        (
            "es",
            "Al hijo de una amiga le salieron manchas moradas con fiebre y era meningitis. A mi hijo le salieron "
            "unos granitos que se borran con el vaso y no tiene fiebre.",
        ),
    ],
)
def test_another_childs_meningitis_and_a_blanching_rash_raise_no_flag(language, text):
    # when / then
    assert flags(text, language) == []


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "a rash on her legs that goes white when I press a glass on it"),
        ("en", "the spots turn pale under the glass"),
        ("es", "unas manchas que se ponen blancas al apretar con el vaso"),
        ("es", "los granitos se borran con el vaso"),
    ],
)
def test_a_rash_that_blanches_is_not_non_blanching(language, text):
    # when
    found = redflags.extract_features(text, language)
    # then
    assert found.get("press_faded") == "pos"
    assert found.get("non_blanching") != "pos"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "my son has a fever of 39 and spots that don't fade when I press a glass on them"),
        ("es", "mi hija tiene fiebre y manchas que no se borran al apretar con un vaso"),
    ],
)
def test_a_rash_that_does_not_fade_with_fever_is_still_an_emergency(language, text):
    # when / then
    assert "non_blanching_rash_fever" in flags(text, language)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "painful band of blisters on one side of my chest after tingling, and a slight fever"),
        ("es", "una franja de ampollas en un lado de la espalda y algo de fiebre"),
    ],
)
def test_a_one_sided_band_of_blisters_is_shingles_not_widespread_blistering(language, text):
    # when
    found = redflags.extract_features(text, language)
    # then
    assert found.get("dermatomal") == "pos"
    assert "widespread_blistering" not in flags(text, language)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "blisters all over my body and sores in my mouth since starting a new antibiotic, with a fever"),
        ("es", "ampollas por todo el cuerpo y llagas en la boca desde el antibiotico nuevo, con fiebre"),
    ],
)
def test_widespread_blistering_after_a_new_medicine_still_fires(language, text):
    # when / then
    assert "widespread_blistering" in flags(text, language)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "i've had a chest infection and a fever this week, the mole on my back is the same"),
        ("es", "tengo una infeccion de orina con fiebre, y un lunar que quiero revisar"),
    ],
)
def test_an_infection_of_another_organ_is_no_skin_infection(language, text):
    # when
    found = redflags.extract_features(text, language)
    # then
    assert found.get("infection") is None
    assert flags(text, language) == []


def test_a_carer_telling_a_partners_spreading_infection_still_raises_it():
    # given: a partner is another adult, but a carer writes for them
    text = "my wife's arm is red and hot, the redness is spreading up past her elbow and she has a high fever"
    # when / then
    assert "spreading_infection" in flags(text)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        (
            "en",
            "Two years ago my leg went red and hot from a graze and I had a fever, IV antibiotics and it healed "
            "completely. Now there's a small flat mole on my shin.",
        ),
        ("en", "sliced my thumb on a tin, it bled but stopped after 2 minutes of pressing, not on any thinners"),
        (
            "en",
            "my 18 month old had a high temperature for 3 days, it went this morning and now she has a pink rash "
            "that fades with a glass and she is happy",
        ),
        ("es", "me corte afeitandome, sangro bastante pero paro enseguida apretando, no tomo anticoagulantes"),
        ("es", "me ha salido una franja de ampollas en un lado de la cintura despues de unos dias de hormigueo"),
    ],
)
def test_the_whole_engine_does_not_raise_these_as_emergencies(knowledge, language, text):
    # when
    turn = first_reply(knowledge, text, language)
    # then: neither the rules nor the learned net
    assert turn.urgency != "emergency"
    assert turn.red_flags == []


@pytest.mark.parametrize(("language", "text"), NOW_SPREADING)
def test_the_whole_engine_still_raises_a_current_spreading_infection(knowledge, language, text):
    # when
    turn = first_reply(knowledge, text, language)
    # then
    assert turn.urgency == "emergency"
    assert "spreading_infection" in turn.red_flags
