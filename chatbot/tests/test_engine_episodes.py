"""Sentence by sentence (redflags.episode_parts, rules table "episodes"): a remote past episode,
another person's story beside the writer's own concern, or a hypothetical question is not the
patient's current problem; recent times, carers and "as if" keep a sentence current."""

import pytest

from chatbot.engine import emergency_net, redflags
from chatbot.tests.test_engine_not_current import first_reply


def flags(text: str, language: str = "en") -> list[str]:
    return redflags.evaluate(redflags.extract_features(text, language)).codes


# Written for these tests (in no evaluation file): not the patient's current emergency.
NOT_CURRENT = [
    (
        "en",
        "When I was 9 my whole back peeled off after an antibiotic and I had sores in my mouth. "
        "I'm 40 now and I'd like a mole on my arm looked at.",
    ),
    (
        "en",
        "My uncle is on apixaban and a shaving cut of his bled for an hour. I've got a small brown "
        "spot on my cheek that I want checked.",
    ),
    ("en", "Would I need A&E if a red line ever started going up from a cut? My cut from today looks fine."),
    (
        "es",
        "De pequeña tuve manchas moradas con fiebre que no se iban con el vaso y me ingresaron. "
        "Ahora tengo 30 años y quiero que me miren un lunar de la espalda.",
    ),
    (
        "es",
        "Mi cuñado toma Sintrom y una herida le sangró sin parar. Yo no tomo nada, pero tengo una "
        "mancha nueva en el brazo.",
    ),
    ("es", "¿Qué tendría que hacer si algún día se me pelara la piel con fiebre? Ahora estoy bien."),
    # a scene, a programme or a stranger first; a relative's story, then the writer's own
    (
        "en",
        "There was a programme on telly about a man whose leg infection spread and he got sepsis. "
        "I've got a tiny scratch on my hand that looks fine.",
    ),
    (
        "en",
        "In the hospice where my gran was, the lady in the next room had blisters all over her body. "
        "I've just got a little blister on my heel from new shoes.",
    ),
    (
        "en",
        "The winter before last my whole body went red and I was shivering, they admitted me for a week. "
        "My skin is fine now apart from a dry patch.",
    ),
    (
        "en",
        "My wife is on apixaban and a nosebleed of hers last week lasted an hour. I'm writing about myself "
        "though: a mole on my back.",
    ),
    ("en", "What's the glass test for a rash and how do you do it?"),
    (
        "es",
        "Vi en las noticias a un niño con meningitis y manchas moradas que no se iban con el vaso. Mi hija "
        "tiene un granito en la frente y está perfectamente.",
    ),
    (
        "es",
        "Cuando estaba embarazada de mi primera me salieron ampollas por todo el cuerpo con fiebre, me "
        "ingresaron y se curó. Ahora tengo un lunar en el brazo.",
    ),
]

# General questions, printed or broadcast warnings, and a treated episode closed by the next
# sentence (2026-12 batch 12m kinds; written for these tests).
NOT_CURRENT_12M = [
    ("en", "Could a cut on a finger ever bleed so much it won't stop? My hands are fine, just wondering."),
    ("en", "Is it possible for a heat rash to blister over a whole back? We fly to Greece on Friday."),
    ("en", "Can psoriasis go red over the entire body? Mine is two small patches on my elbows."),
    (
        "en",
        "The booklet that came with my dad's new tablets warns about fever, a rash and a swollen face. "
        "He has had none of it; I want to ask about my dry hands.",
    ),
    (
        "en",
        "Two weeks ago my arm was red, hot and spreading and I had a temperature. The GP gave me "
        "antibiotics, I finished the course and it cleared up. Can I go swimming?",
    ),
    ("es", "¿Podría una herida sangrar alguna vez tanto que no pare? Yo estoy bien, es curiosidad."),
    ("es", "¿La psoriasis puede ponerse roja por todo el cuerpo? Yo solo tengo dos placas en los codos."),
    (
        "es",
        "El folleto de las pastillas nuevas de mi madre avisa de fiebre, sarpullido e hinchazón de cara. "
        "Ella está bien; lo mío es una verruga en el pie.",
    ),
    (
        "es",
        "Hace tres semanas tenía el brazo rojo, caliente y extendiéndose, con fiebre. La médica me dio "
        "antibiótico, terminé el tratamiento y se me fue del todo. ¿Puedo ir a la piscina?",
    ),
]


@pytest.mark.parametrize(("language", "text"), NOT_CURRENT_12M)
def test_a_general_question_a_printed_warning_or_a_treated_episode_raises_no_flag(knowledge, language, text):
    _current, other = redflags.episode_parts(text, language)
    assert other
    assert flags(text, language) == []
    assert first_reply(knowledge, text, language).urgency != "emergency"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        # "back in" without a time is a place: "my back in big flaps"
        ("en", "the skin is coming off my back in big flaps and my lips are covered in sores"),
        # a general question beside the patient's own sign now
        ("en", "Can a graze cause a red line up the arm? I've got a red line going up to my elbow and I'm shivery"),
        ("es", "¿Un arañazo puede causar una línea roja? Tengo una que me sube por el brazo y tiemblo de fiebre."),
    ],
)
def test_the_same_signs_told_as_the_patients_own_still_raise_the_flag(knowledge, language, text):
    assert first_reply(knowledge, text, language).urgency == "emergency"


def test_a_sign_referred_back_to_a_general_question_gets_its_screen_question_first(knowledge):
    # "one" stands for the red line of the question: the spreading question is asked at once
    text = "Can a graze cause a red line up the arm? I've got one going up to my elbow and I'm shivery"
    turn = first_reply(knowledge, text)
    assert turn.urgency == "emergency" or turn.question == "spreading"


def test_a_search_all_over_is_not_a_rash_all_over():
    text = "She has a temperature with a cold. I checked her all over and there's only a nappy rash that fades."
    assert "erythroderma" not in flags(text)


def test_a_wound_peeling_as_it_heals_is_not_peeling_skin():
    assert "peeling" not in redflags.extract_features("the graze is peeling a little as it heals", "en")
    assert "peeling" not in redflags.extract_features("la herida se está descamando un poco al curarse", "es")
    assert redflags.extract_features("my skin is peeling off my legs", "en").get("peeling") == "pos"


# The same kinds of sentence, told as now: still emergencies.
CURRENT = [
    # a recent anchor is never "past": a drug reaction is told that way
    ("en", "3 weeks ago I started lamotrigine and my skin is peeling off in sheets with sores in my mouth"),
    # a carer writing only about the person they care for
    ("en", "My dad is on warfarin. His cut has been bleeding for 40 minutes and won't stop with pressure."),
    # a past episode, then the same thing back now
    (
        "en",
        "Two years ago I had cellulitis in this leg. Now the redness is spreading up to my knee, hot, "
        "and I have a fever of 39.",
    ),
    # "as if" is not a hypothesis
    (
        "es",
        "Se me está despegando la piel de la espalda como si me hubiera quemado y tengo la boca llena "
        "de llagas desde el antibiótico nuevo.",
    ),
    ("es", "Mi madre toma Sintrom y la herida de la pierna le sangra sin parar desde hace una hora aunque aprieto."),
    # a carer with no "I'm writing about myself": the husband's bleeding is the emergency
    ("en", "My husband is on warfarin and his cut won't stop bleeding after 30 minutes of pressure. I'm so worried."),
    # a knowledge question beside a report about the patient now
    (
        "en",
        "What does a meningitis rash look like? My daughter has a fever and purple spots that don't fade with a glass.",
    ),
    ("en", "how do you do the glass test, my son has spots that dont fade and a temp of 39"),
    (
        "es",
        "¿Cómo se hace la prueba del vaso? Mi hijo tiene fiebre y unas manchas moradas que no se van al apretar.",
    ),
    # another person who only saw the signs on the writer ("me ha visto"): the writer's own
    (
        "es",
        "Me duele la cabeza y tengo 39 de fiebre desde anoche. Mi novio me ha visto unas manchitas moradas "
        "en las piernas y con el vaso no se van.",
    ),
]


@pytest.mark.parametrize(("language", "text"), NOT_CURRENT)
def test_a_sentence_about_the_past_another_person_or_a_hypothesis_raises_no_flag(language, text):
    # when
    current, other = redflags.episode_parts(text, language)
    # then: the sign's sentence is set aside and nothing is raised
    assert other
    assert flags(text, language) == []
    # and the learned net reads only what is about the patient now
    assert emergency_net.current_text(text, language) == " ".join(current)


@pytest.mark.parametrize(("language", "text"), CURRENT)
def test_the_same_signs_told_as_now_still_raise_the_flag(language, text):
    # when
    current, _ = redflags.episode_parts(text, language)
    # then: the sentence telling the sign now stays current and the flag is raised
    assert current
    assert flags(text, language)


def test_a_message_of_one_sentence_is_split_nowhere_and_a_decimal_point_ends_no_sentence():
    text = "temp 38.5 and the red patch is spreading fast"
    assert redflags.episode_parts(text, "en") == ([text], [])


def test_a_blood_thinner_beside_a_what_if_gets_the_screen_question_not_an_emergency(knowledge):
    # given: the bleeding is only in a hypothetical question; the current sentences name the drug
    text = (
        "I'm on rivaroxaban and we fly to Thailand next week. What should I do if I ever cut myself "
        "there and it won't stop bleeding? Also I have a mole on my back I'd like checked."
    )
    # when
    turn = first_reply(knowledge, text)
    # then: no emergency from the rules or the learned net
    assert turn.urgency != "emergency" and turn.red_flags == []


def test_the_same_question_with_the_bleeding_told_as_now_is_an_emergency(knowledge):
    text = (
        "Should I be worried if a cut won't stop bleeding? I nicked my ear 30 min ago, pressed on it "
        "for 15 mins and it's still dripping. I'm on Eliquis."
    )
    turn = first_reply(knowledge, text)
    assert turn.urgency == "emergency" and "uncontrolled_bleeding" in turn.red_flags


def test_heavy_bleeding_said_to_have_stopped_is_not_bleeding_that_will_not_stop():
    healed = "The biopsy site bled through the dressing the night after, but it stopped with pressure and has healed."
    again = "It bled loads and stopped, but now it's bleeding again and won't stop even with pressure."
    assert "uncontrolled_bleeding" not in flags(healed)
    assert "uncontrolled_bleeding" in flags(again)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        (
            "en",
            "When my son was a toddler he had a fever and a rash that didn't fade with the glass. "
            "He's 7 now with a mole on his arm.",
        ),
        (
            "en",
            "In my 30s I had blisters on my eczema, eczema herpeticum, it cleared up fine. "
            "Now I have a mole that itches.",
        ),
        (
            "es",
            "Cuando mi hija era bebé tuvo fiebre y manchas que no se iban con el vaso. "
            "Ahora tiene 6 años y un lunar nuevo.",
        ),
        (
            "es",
            "A los 20 tuve meningitis con manchas y fiebre, me recuperé del todo. Ahora tengo una mancha en la frente.",
        ),
    ],
)
def test_a_childhood_or_young_adult_episode_told_in_its_own_sentence_raises_nothing(language, text):
    assert redflags.episode_parts(text, language)[1]
    assert flags(text, language) == []


@pytest.mark.parametrize(
    "text",
    [
        "Me duele todo y tengo 39,3 de fiebre. Mi compañera de piso me ha visto unas manchitas rojo oscuro "
        "en la tripa y con el vaso no desaparecen.",
        "Me duele todo y tengo fiebre. Mi madre me nota la piel roja por todo el cuerpo desde ayer.",
    ],
)
def test_another_person_who_saw_the_signs_on_the_writer_keeps_the_sentence_current(text):
    # when
    current, other = redflags.episode_parts(text, "es")
    # then: "me ha visto" / "me nota" is the writer's own body, the net reads the whole story
    assert other == [] and len(current) == 2
    assert emergency_net.current_text(text, "es") == text


@pytest.mark.parametrize(
    ("language", "text"),
    [
        # dated by the next sentence
        (
            "en",
            "On a trip to Peru I got a cut on my shin that went red up to the knee with a fever and I was "
            "admitted. That was 2014. Now I'd like a freckle on my arm checked.",
        ),
        (
            "en",
            "My skin peeled off in sheets after an antibiotic and I had mouth ulcers. I've been fine ever since. "
            "These days I only get a bit of dandruff.",
        ),
        (
            "es",
            "Se me llenó la piel de ampollas con fiebre después de un antibiótico y me ingresaron. De eso hace "
            "diez años. Ahora tengo un lunar en la espalda que quiero enseñar.",
        ),
    ],
)
def test_a_past_episode_dated_in_the_next_sentence_raises_nothing(language, text):
    current, other = redflags.episode_parts(text, language)
    assert other and current and text.startswith(other[0])
    assert flags(text, language) == []


def test_a_dated_sentence_that_also_says_now_stays_current():
    text = "My leg has been red, hot and spreading since this morning and I have a fever. I've been fine since the op."
    assert flags(text) == ["spreading_infection"]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        (
            "en",
            "what does a rash that doesn't go away under a glass look like? my son has this and a temperature of 39",
        ),
        ("es", "¿Qué aspecto tienen las manchas que no se van con el vaso? Mi hija tiene eso y 39 de fiebre."),
    ],
)
def test_a_question_a_later_sentence_refers_back_to_stays_the_patients_report(knowledge, language, text):
    _, other = redflags.episode_parts(text, language)
    assert other == []
    turn = first_reply(knowledge, text, language)
    assert turn.urgency == "emergency" and turn.red_flags == ["non_blanching_rash_fever"]


@pytest.mark.parametrize(
    ("language", "text", "codes"),
    [
        ("en", "I have eczema on my hands and my partner gets cold sores.", []),
        ("es", "Tengo eccema en las manos y mi novio tiene herpes en el labio ahora.", []),
        # a carer's child is the patient: the same signs are an emergency
        ("en", "My son has eczema and now cold sores all over it, with a fever.", ["eczema_herpeticum"]),
    ],
)
def test_another_persons_cold_sore_is_an_exposure_not_the_patients_sign(language, text, codes):
    assert flags(text, language) == codes


@pytest.mark.parametrize(
    ("language", "text"),
    [
        (
            "en",
            "at the walk-in centre today someone's arms were blistering and peeling all over. I'm fine, just a spot",
        ),
        (
            "es",
            "En la sala de espera una señora tenía la piel despegándose a tiras. Yo estoy bien, vengo por un lunar.",
        ),
    ],
)
def test_a_strangers_signs_seen_somewhere_are_not_the_writers(knowledge, language, text):
    assert first_reply(knowledge, text, language).urgency != "emergency"


@pytest.mark.parametrize(
    ("language", "text", "feature"),
    [
        ("es", "me salen calenturas en el labio cuando tomo el sol", "fever"),
        ("es", "tengo zonas en carne viva de rascarme el eccema", "skin_off"),
        ("en", "my eczema has raw areas from scratching at night", "skin_off"),
    ],
)
def test_a_cold_sore_called_calentura_or_skin_scratched_raw_is_not_the_emergency_sign(language, text, feature):
    assert feature not in redflags.extract_features(text, language)


def test_calentura_alone_is_still_a_fever_in_latin_american_spanish():
    assert redflags.extract_features("tengo calentura y escalofrios", "es").get("fever") == "pos"


def test_a_hedged_diagnosis_does_not_hedge_the_bleeding_told_after_it(knowledge):
    text = "The spot on my ear the GP said might be an SCC started bleeding 40 minutes ago and hasn't stopped"
    assert first_reply(knowledge, text).urgency == "emergency"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "I start carbamazepine on Monday. I've heard it can make your skin peel and give you mouth sores."),
        ("en", "Saw in a magazine about SJS, skin peeling and mouth sores after antibiotics. Is it common?"),
        ("es", "Empiezo la lamotrigina la semana que viene. He leído que puede dar ampollas y llagas en la boca."),
        ("es", "Leí en una revista sobre el DRESS, fiebre y la cara hinchada con antibióticos. ¿Es frecuente?"),
        ("es", "Tengo una calentura en el labio y eccema en las corvas, sin ampollas ni fiebre."),
    ],
)
def test_a_medicine_not_started_a_magazine_or_a_lip_calentura_raises_no_flag(knowledge, language, text):
    assert first_reply(knowledge, text, language).urgency != "emergency"


def test_the_heat_of_a_shower_and_a_sore_throat_before_the_rash_are_not_infection_signs():
    assert "hot_painful" not in redflags.extract_features("it itches after a hot shower", "en")
    assert "unwell" not in redflags.extract_features("I had a sore throat before it started", "en")
    assert redflags.extract_features("my calf is hot and swollen", "en").get("hot_painful") == "pos"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "if a cut got infected and the redness spread, how fast is too fast? nothing now, just asking"),
        ("en", "my GP wants to start me on allopurinol and I'm scared it might make my skin blister and peel"),
        (
            "es",
            "Mi médico quiere recetarme carbamazepina y me da miedo que me salgan ampollas y se me despegue la piel.",
        ),
        ("es", "Me corté pelando patatas, sangró un poco y paró enseguida. ¿Me pongo una tirita?"),
        ("es", "Tengo manchas rojas con escamas en la espalda, para nada por todo el cuerpo, y estoy bien."),
        ("en", "little red pus spots around my mouth and nose for weeks, the lips themselves are fine"),
    ],
)
def test_12r_kinds_a_worry_a_kitchen_cut_a_denied_spread_or_spots_by_the_mouth_raise_no_flag(knowledge, language, text):
    assert first_reply(knowledge, text, language).urgency != "emergency"


def test_tiritar_and_sores_inside_the_mouth_still_count():
    assert redflags.extract_features("estoy tiritando y con fiebre", "es").get("fever") == "pos"
    assert redflags.extract_features("I have sores inside my mouth", "en").get("mucosal") == "pos"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        (
            "en",
            "I'm on clopidogrel. I knocked the scab an hour ago and it hasn't stopped bleeding despite pressing on it",
        ),
        (
            "es",
            "¿es normal? me tomé un ibuprofeno y a los 10 min ronchas por todo, se me hinchó la lengua "
            "y noto la garganta cerrada",
        ),
        ("es", "Tomo Sintrom y la herida no se ha detenido de sangrar en media hora aunque aprieto"),
    ],
)
def test_12s_kinds_hasnt_stopped_bleeding_a_swollen_tongue_in_the_past_tense_are_emergencies(knowledge, language, text):
    assert first_reply(knowledge, text, language).urgency == "emergency"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        (
            "en",
            "My best friend came out in blisters all over after a new painkiller, she's in hospital. I'm totally fine.",
        ),
        (
            "en",
            "The patient information at the pharmacy said anaphylaxis means hives plus throat swelling. "
            "I only have a rash.",
        ),
        ("es", "A mi padre le van a empezar Xarelto. ¿Qué hacemos si se corta y sangra mucho?"),
        ("es", "Tengo una mancha roja con escamas en la pierna que no pica y no se va con crema."),
    ],
)
def test_12s_kinds_a_friend_a_pharmacy_sheet_a_future_medicine_or_a_cream_raise_no_flag(knowledge, language, text):
    assert first_reply(knowledge, text, language).urgency != "emergency"
