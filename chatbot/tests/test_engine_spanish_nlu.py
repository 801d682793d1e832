"""Spanish understanding: the same findings, red flags and answers as English."""

from datetime import date

import pytest

from chatbot.engine import nlu, redflags
from chatbot.engine.interview import extract_findings
from chatbot.engine.textnorm import fold_text

TODAY = date(2026, 11, 26)


def findings(text: str) -> dict:
    # The engine folds accents (textnorm) before anything reads the text.
    return extract_findings(fold_text(text), TODAY, "es")


def flags(text: str) -> list[str]:
    return redflags.evaluate(redflags.extract_features(text, "es")).codes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no me pica y no sangra", {"sensation": False, "bleeding": False}),
        ("ha crecido", {"size_change": True}),
        ("sigue igual, mismo tamaño", {"size_change": False}),
        ("tiene varios colores y los bordes irregulares", {"colour_irregular": True, "shape_irregular": True}),
        ("me pica un poco", {"sensation": True}),
        ("tengo fiebre y escalofríos", {"fever_unwell": True}),
        ("no tengo fiebre", {"fever_unwell": False}),
        # a clause-final "no" after the sign denies it; "no muy alta" does not
        ("No, fiebre no.", {"fever_unwell": False}),
        ("tengo fiebre no muy alta", {"fever_unwell": True}),
        ("la piel de alrededor está roja e hinchada", {"inflammation": True}),
        ("me hicieron un trasplante de riñón", {"immunosuppressed": True}),
    ],
)
def test_spanish_findings(text, expected):
    # when
    found = findings(text)
    # then
    assert {k: found.get(k) for k in expected} == expected


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("desde hace 3 semanas", 21),
        ("hace dos meses", 60),
        ("lo tengo desde hace un año", 365),
        # a hedge word before the number is not the start of a range ("unos" alone means ~3)
        ("unos 2 años", 730),
        ("unas 2 semanas", 14),
        ("2-3 semanas", 21),
    ],
)
def test_spanish_durations(text, days):
    # when / then
    assert findings(text)["duration_days"] == days


@pytest.mark.parametrize("text", ["mi hijo de 3 años tiene una mancha", "tengo 74 años", "tiene 3 años de edad"])
def test_a_spanish_age_is_not_a_duration(text):
    # when / then
    assert "duration_days" not in findings(text)


@pytest.mark.parametrize(
    ("text", "mm"),
    [
        ("5 mm", 5),
        ("mide 1 cm", 10),
        ("como un guisante", 8),
        ("unos 2 mm", 2),
        ("unos 2-4 mm", 4),
    ],
)
def test_spanish_sizes(text, mm):
    # when / then
    assert findings(text)["diameter_mm"] == mm


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (
            "se me pela la piel y tengo llagas en la boca desde que tomo un antibiótico nuevo",
            "widespread_blistering",
        ),
        ("estoy roja por todo el cuerpo y tengo escalofríos", "erythroderma"),
        (
            "mi hija de 3 años tiene fiebre y puntos morados que no desaparecen al presionar un vaso",
            "non_blanching_rash_fever",
        ),
        ("la rojez se extiende muy rápido, está caliente y tengo fiebre", "spreading_infection"),
        ("lleva media hora sangrando y no para de sangrar aunque aprieto", "uncontrolled_bleeding"),
        ("sigue sangrando y tomo sintrom", "uncontrolled_bleeding"),
        ("no puedo respirar y tengo la lengua hinchada", "anaphylaxis"),
    ],
)
def test_spanish_emergencies(text, code):
    # when / then
    assert code in flags(fold_text(text))


@pytest.mark.parametrize(
    "text",
    [
        "no tengo fiebre ni ampollas ni llagas en la boca",
        "manchas moradas que desaparecen al presionar un vaso, sin fiebre",
        "mi madre tuvo melanoma",
    ],
)
def test_spanish_denials_raise_no_flag(text):
    # when / then
    assert flags(fold_text(text)) == []


def test_purple_spots_that_do_not_fade_ask_about_fever():
    # given a non-blanching rash without a word about fever
    result = redflags.evaluate(
        redflags.extract_features(fold_text("manchas moradas que no desaparecen al presionar un vaso"), "es")
    )
    # then fever is asked next rather than staying silent
    assert result.needs_fever_check


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sí", "yes"),
        ("si, un poco", "yes"),
        ("no", "no"),
        ("para nada", "no"),
        ("no sé", "unsure"),
        ("ni idea", "unsure"),
    ],
)
def test_spanish_yes_no(text, expected):
    # when / then: with the language, and without it (a caller that does not pass one)
    assert nlu.yes_no(fold_text(text), "es") == expected
    assert nlu.yes_no(fold_text(text)) == expected
