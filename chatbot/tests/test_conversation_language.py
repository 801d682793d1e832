"""A conversation keeps the patient's language, and the content it quotes is translated."""

import pytest
from django.utils import translation

from chatbot import services
from chatbot.models import Conversation, Faq
from chatbot.seed import seed as seed_faq
from diagnosis.models import MODEL_CLASSES, Disease
from diagnosis.seed import seed as seed_diseases
from triage.seed import seed as seed_levels

pytestmark = pytest.mark.django_db
C = "/api/v1/conversations/"


@pytest.fixture(autouse=True)
def _content(db):
    seed_levels()
    seed_diseases()
    seed_faq()


def _spanish(client):
    """The patient picks Spanish in the interface (the language cookie, as set_language does)."""
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    return client


def test_a_patient_who_chose_spanish_gets_a_spanish_chat_that_stays_spanish(client, patient_alice):
    client.force_login(patient_alice)
    _spanish(client)
    chat_url = client.post("/chat/start/")["Location"]
    conversation = Conversation.objects.get(patient=patient_alice)
    assert conversation.language == "es"
    assert "Esto es una orientación, no un diagnóstico." in conversation.messages.first().text
    # the patient switches the interface back to English: the conversation keeps its language
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    client.post(chat_url + "send/", {"text": "no"})
    bot = conversation.messages.filter(sender="bot").last()
    assert "¿Tiene ampollas" in bot.text
    assert [c["label"] for c in bot.meta["choices"]] == ["Sí", "No", "No estoy seguro"]


def test_the_api_starts_a_spanish_conversation_from_the_request_language(api_as, patient_alice):
    client = api_as(patient_alice)
    conv = client.post(C, {}, format="json", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9").json()
    assert conv["language"] == "es"
    assert [c["label"] for c in conv["choices"]] == ["Sí", "No", "No estoy seguro"]
    body = client.post(f"{C}{conv['id']}/messages/", {"text": "no"}, format="json").json()
    assert body["question"] == "blistering" and "¿Tiene ampollas" in body["reply"]


def test_a_spanish_emergency_reply_carries_a_call_action_in_spanish(api_as, patient_alice, settings):
    settings.EMERGENCY_NUMBER = "112"
    client = api_as(patient_alice)
    conv = client.post(C, {}, format="json", HTTP_ACCEPT_LANGUAGE="es").json()
    for _ in range(2):
        client.post(f"{C}{conv['id']}/messages/", {"text": "no"}, format="json")
    body = client.post(f"{C}{conv['id']}/messages/", {"text": "yes"}, format="json").json()
    assert body["urgency"] == "emergency" and body["triage_level"] == 1
    assert "emergencia médica" in body["reply"] and "Se ha avisado a una enfermera" in body["reply"]
    assert body["actions"] == [{"kind": "call", "label": "Llamar al 112", "href": "tel:112"}]
    # no bleeding advice for a rash that does not fade under a glass
    assert "presione" not in body["reply"].lower()


def test_a_browser_asking_for_german_gets_the_safety_line_in_german(api_as, patient_alice):
    client = api_as(patient_alice)
    conv = client.post(C, {}, format="json", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5").json()
    assert conv["language"] == "de"
    first = conv["messages"][0]["text"]
    assert first.startswith("Bei einem Notfall rufen Sie sofort die")
    assert [c["value"] for c in conv["choices"]] == ["yes", "no", "not sure"]


@pytest.mark.parametrize(
    ("active", "accept", "chosen", "expected"),
    [
        ("es", "es-ES", False, "es"),
        ("en", "de-DE,de;q=0.9", False, "de"),
        ("en", "de-DE,de;q=0.9", True, "en"),  # the patient chose English in the interface
        ("en", "en-GB,en;q=0.9", False, "en"),
        ("en", "", False, "en"),
        ("en", "*", False, "en"),
    ],
)
def test_conversation_language(active, accept, chosen, expected):
    assert services.conversation_language(active=active, accept_language=accept, chosen=chosen) == expected


def test_the_seed_ships_spanish_for_every_model_condition_and_every_faq():
    for code in MODEL_CLASSES:
        disease = Disease.objects.get(code=code)
        for field in ("name", "summary", "causes", "typical_look", "action", "timeframe", "emergency_signs"):
            assert getattr(disease, f"{field}_es"), (code, field)
    assert not Faq.objects.filter(answer_es__isnull=True).exists()
    assert not Faq.objects.filter(answer_es="").exists()
    # modeltranslation: the plain attribute reads the active language
    melanoma = Disease.objects.get(code="melanoma")
    with translation.override("es"):
        assert melanoma.summary.startswith("El melanoma es un tipo de cáncer de piel")
    with translation.override("en"):
        assert melanoma.summary.startswith("Melanoma is a type of skin cancer")


def test_the_seed_never_overwrites_an_admins_spanish_edit():
    Disease.objects.filter(code="melanoma").update(summary_es="Texto revisado por la clínica.")
    seed_diseases()
    assert Disease.objects.get(code="melanoma").summary_es == "Texto revisado por la clínica."


def test_the_knowledge_base_is_spanish_where_translated_and_english_marked_where_not():
    Disease.objects.filter(code="dermatofibroma").update(summary_es="")
    docs = {d.id: d for d in services.knowledge_base("es")}
    assert docs["disease:melanoma"].language == "es"
    assert docs["disease:melanoma"].text.startswith("El melanoma")
    assert "Causas: " in docs["disease:melanoma"].text
    assert docs["faq:abcde"].title == "¿Qué es la regla ABCDE para revisar los lunares?"
    # an untranslated page falls back to English, whole, and says which language it is in
    assert docs["disease:dermatofibroma"].language == "en"
    assert docs["disease:dermatofibroma"].text.startswith("A dermatofibroma is")
    english = {d.id: d for d in services.knowledge_base("en")}
    assert english["disease:melanoma"].text.startswith("Melanoma is a type")


def test_a_spanish_question_in_the_chat_is_answered_from_the_admins_spanish_text(api_as, patient_alice):
    Disease.objects.filter(code="melanoma").update(summary_es="El melanoma, según la clínica: texto de prueba.")
    client = api_as(patient_alice)
    conv = client.post(C, {}, format="json", HTTP_ACCEPT_LANGUAGE="es").json()
    body = client.post(f"{C}{conv['id']}/messages/", {"text": "¿Qué es un melanoma?"}, format="json").json()
    assert "texto de prueba" in body["reply"]
    assert body["sources"][0]["id"] == "disease:melanoma"


def test_the_admin_edits_disease_content_in_both_languages(client, admin_ada):
    client.force_login(admin_ada)
    disease = Disease.objects.get(code="melanoma")
    page = client.get(f"/admin/diagnosis/disease/{disease.pk}/change/").content.decode()
    assert 'name="summary_es"' in page and 'name="summary_en"' in page
    faq = Faq.objects.get(slug="abcde")
    page = client.get(f"/admin/chatbot/faq/{faq.pk}/change/").content.decode()
    assert 'name="answer_es"' in page


def test_a_page_knows_whether_it_is_translated():
    melanoma = Disease.objects.get(code="melanoma")
    assert melanoma.is_translated("es") and melanoma.is_translated("en")
    Disease.objects.filter(code="melanoma").update(summary_es="")
    melanoma.refresh_from_db()
    assert not melanoma.is_translated("es")
    with translation.override("es"):
        assert not melanoma.is_translated()
        assert melanoma.summary.startswith("Melanoma is a type")  # the English fallback
