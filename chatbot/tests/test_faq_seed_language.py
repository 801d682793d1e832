"""The FAQ seed writes the English and the Spanish into their own fields whatever language is active."""

import pytest
from django.utils import translation

from chatbot.models import Faq
from chatbot.seed import seed

pytestmark = pytest.mark.django_db


def test_seeding_in_a_spanish_session_keeps_english_and_spanish_apart():
    # given: a thread left in Spanish (a shell, or a test after a Spanish request)
    with translation.override("es"):
        # when
        seed()
    # then
    faq = Faq.objects.get(slug="triage-levels")
    assert faq.question_en == "What do the triage levels mean?"
    assert faq.question_es == "¿Qué significan los niveles de prioridad?"
