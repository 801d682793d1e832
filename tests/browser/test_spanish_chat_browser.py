"""A Spanish-speaking patient completes the chat interview in a real browser, in Spanish."""

import re

import pytest

from chatbot.engine import messages
from diagnosis.seed import seed as seed_diseases
from tests.browser.conftest import PHONE
from tests.factories import DEFAULT_PASSWORD, PatientFactory
from triage.seed import seed as seed_levels

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Words only an English reply would contain.
ENGLISH = re.compile(r"\b(the|you|your|please|thank|sorry|what|have|this|that)\b", re.IGNORECASE)


@pytest.fixture
def patient(transactional_db):
    from chatbot.seed import seed as seed_faq

    seed_levels()
    seed_diseases()
    seed_faq()
    return PatientFactory(username="lucia")


def _bot_texts(page) -> list[str]:
    return page.locator("#chat-log .chat-bot").all_inner_texts()


def _send(page, text: str, then: str):
    """Type a message and wait for a bot reply containing then."""
    count = page.locator("#chat-log .chat-bot").count()
    page.fill("#chat-text", text)
    page.click("#chat-form button[type=submit]")
    page.wait_for_selector(f"#chat-log .chat-bot >> nth={count}")
    page.wait_for_selector(f"#chat-log .chat-bot:has-text('{then}')")


def test_a_spanish_speaking_patient_completes_the_interview_in_spanish(new_page, shots, patient):
    page = new_page(PHONE)
    page.goto("/accounts/login/")
    page.fill("#id_username", "lucia")
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    # the patient picks Español in the footer, as anyone would
    page.select_option("#language-select", "es")
    page.click("footer form button[type=submit]")
    page.wait_for_load_state()
    page.goto("/chat/")
    page.click("form[action$='/chat/start/'] button[type=submit]")
    page.wait_for_selector("#chat-choices:not(.d-none)")

    # the screen, in Spanish, with Spanish tap buttons
    assert messages.own("es", "screen", "fever", "text") in page.inner_text("#chat-log")
    assert page.locator("#chat-choices button").all_inner_texts() == ["Sí", "No", "No estoy seguro"]
    shots(page, "pantalla-primera-pregunta")
    for following in ("blistering", "glass_test", "spreading", "new_medicine", "bleeding"):
        page.click("#chat-choices button:text-is('No')")
        page.wait_for_selector(f"#chat-choices[data-question='{following}']:not(.d-none)")
    page.click("#chat-choices button:text-is('No')")
    page.wait_for_selector("#chat-log .chat-bot:has-text('Ahora unas preguntas sobre la mancha')")
    assert not page.is_visible("#chat-choices")

    # a few typed Spanish answers
    _send(page, "hace 3 meses", then="unos 3 meses")
    for _ in range(8):
        if "esas son todas mis preguntas" in page.inner_text("#chat-log"):
            break
        last = _bot_texts(page)[-1]
        answer = "unos 5 mm" if "cuánto mide" in last else "no"
        _send(page, answer, then="")
    log = page.inner_text("#chat-log")
    assert "esas son todas mis preguntas" in log
    assert "Rutina (nivel 4)" in log
    shots(page, "recomendacion")

    # "¿qué hago?" after the advice gets the advice again, in Spanish
    _send(page, "¿qué hago?", then="En resumen")
    shots(page, "que-hago")

    replies = _bot_texts(page)
    assert len(replies) >= 12
    english = [r for r in replies if ENGLISH.search(r)]
    assert english == [], english
    assert not page.is_visible("#chat-alert")
