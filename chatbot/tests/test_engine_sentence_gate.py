"""The learned sentence gate (sentence_gate.py) inside redflags.episode_parts: a sign sentence the
rules table keeps as current, but that tells a past episode, another person's story or a "what
if", is moved to the not-current side; the patient's own current emergency stays current."""

import json

import pytest

from chatbot.engine import redflags, sentence_gate
from chatbot.tests.test_engine_not_current import first_reply


def rules_only(text: str, language: str) -> tuple[list[str], list[str]]:
    """episode_parts as the rules table alone splits it (no gate)."""
    sentences, _, now = redflags.rule_parts(text, language)
    return [s for s, n in zip(sentences, now, strict=True) if n], [
        s for s, n in zip(sentences, now, strict=True) if not n
    ]


# Written for these tests (in no evaluation file): the rules keep the sign sentence as current.
MOVED = [
    (
        "es",
        "A mi marido se le cortó el dedo con un cuchillo y sangró muchísimo sin parar. Yo solo tengo un fibroma "
        "en el cuello.",
        "A mi marido",
    ),
    (
        "es",
        "El verano pasado un arañazo en la pierna se puso rojo y caliente con una raya roja hasta la ingle y me "
        "pusieron antibiótico en vena. Ahora solo quiero quitarme una verruga.",
        "El verano pasado",
    ),
]

STAYS = [
    ("en", "My little boy has purple spots that don't go when I press a glass on them and he's burning up."),
    ("en", "I had cellulitis years ago. Now there's a red line going up my arm from a cut and I've got the shakes."),
    ("en", "Ages ago a cut bled for an hour. Today I'm on warfarin and this cut has bled through 3 towels for 20 min."),
    ("es", "Mi hijo tiene manchas moradas que no se quitan con el vaso y tiene fiebre."),
    (
        "es",
        "Hace años tuve celulitis. Ahora tengo una línea roja que sube por el brazo desde una herida y escalofríos.",
    ),
]


def test_the_shipped_gate_loads_with_a_threshold_per_language():
    gate = sentence_gate.load()
    assert gate is not None
    assert set(gate.threshold) == {"en", "es"}
    assert all(0.0 < t < 0.5 for t in gate.threshold.values())
    meta = json.loads(sentence_gate.WEIGHTS.read_text(encoding="utf-8"))["training"]
    # chosen recall first: no held-out development emergency lost at the shipped threshold
    for lang, t in gate.threshold.items():
        assert meta["cv"][lang][str(t)]["lost"] == []


@pytest.mark.parametrize(("language", "text", "sentence"), MOVED)
def test_a_past_sign_sentence_the_rules_keep_is_moved_and_raises_no_emergency(knowledge, language, text, sentence):
    assert any(s.startswith(sentence) for s in rules_only(text, language)[0])
    current, other = redflags.episode_parts(text, language)
    assert any(s.startswith(sentence) for s in other)
    assert not any(s.startswith(sentence) for s in current)
    assert first_reply(knowledge, text, language).urgency != "emergency"


@pytest.mark.parametrize(("language", "text"), STAYS)
def test_the_patients_own_current_emergency_stays_current(knowledge, language, text):
    current, _ = redflags.episode_parts(text, language)
    assert current
    assert first_reply(knowledge, text, language).urgency == "emergency"


def test_without_the_weights_file_the_rules_alone_decide(tmp_path, monkeypatch):
    assert sentence_gate.load(tmp_path / "absent.json") is None
    text, language = MOVED[0][1], MOVED[0][0]
    monkeypatch.setattr(sentence_gate, "load", lambda path=None: None)
    redflags._gated_parts.cache_clear()
    try:
        assert redflags.episode_parts(text, language) == rules_only(text, language)
    finally:
        redflags._gated_parts.cache_clear()
