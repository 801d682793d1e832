"""The red-flag screen through the real services, the API and the chat page."""

import pytest

from chatbot import services
from chatbot.engine import screen
from chatbot.models import Conversation
from diagnosis import services as diagnosis
from diagnosis.seed import seed as seed_diseases
from tests.images import upload_file
from triage import services as triage
from triage.models import Case, CaseEvent
from triage.seed import seed as seed_levels

pytestmark = pytest.mark.django_db
C = "/api/v1/conversations/"


@pytest.fixture(autouse=True)
def _content(db):
    from chatbot.seed import seed as seed_faq

    seed_levels()
    seed_diseases()
    seed_faq()


def _submission_with_open_case(patient) -> tuple:
    submission = diagnosis.submission_create(patient=patient, image=upload_file(), body_site="back")
    diagnosis.submission_reject(submission=submission, message="too dark")
    case = triage.case_assess_submission(submission=submission)
    return submission, case


def test_a_tapped_yes_moves_the_linked_case_to_level_1_at_once(patient_alice):
    # given a photo with an open level-3 case and its chat at the screen
    submission, case = _submission_with_open_case(patient_alice)
    assert case.level == 3
    conversation = services.conversation_start(patient=patient_alice, submission=submission)
    # when the patient taps no, no, then yes to the glass test
    services.conversation_reply(conversation=conversation, text="no")
    services.conversation_reply(conversation=conversation, text="no")
    reply = services.conversation_reply(conversation=conversation, text="yes")
    # then
    case.refresh_from_db()
    assert case.level == 1
    assert reply["triage_level"] == 1 and reply["urgency"] == "emergency"
    assert reply["red_flags"] == ["non_blanching_rash_fever"]
    event = case.events.get(kind=CaseEvent.Kind.REASSESSED)
    assert (event.from_value, event.to_value) == ("3", "1")
    assert "does not fade" in event.reason


def test_no_to_every_question_leaves_the_case_where_it_was(patient_alice):
    submission, case = _submission_with_open_case(patient_alice)
    conversation = services.conversation_start(patient=patient_alice, submission=submission)
    for _ in screen.QUESTIONS:
        reply = services.conversation_reply(conversation=conversation, text="no")
    case.refresh_from_db()
    assert case.level == 3 and reply["red_flags"] == []
    assert reply["choices"] == [] and reply["question"] is None


def test_a_chat_without_a_photo_gets_a_level_1_case_from_a_tap(patient_alice):
    conversation = services.conversation_start(patient=patient_alice)
    for tap in ["yes", "no", "no", "no", "yes"]:  # fever, ..., a new medicine
        reply = services.conversation_reply(conversation=conversation, text=tap)
    conversation.refresh_from_db()
    assert reply["red_flags"] == ["drug_reaction_fever"]
    assert conversation.case is not None and conversation.case.level == 1


def test_the_message_response_carries_the_tap_answers_while_the_screen_runs(api_as, patient_alice):
    client = api_as(patient_alice)
    # when
    conv = client.post(C, {}, format="json").json()
    # then the opening's question and choices come with the conversation
    assert conv["question"] == "fever"
    assert [c["value"] for c in conv["choices"]] == ["yes", "no", "not sure"]
    body = client.post(f"{C}{conv['id']}/messages/", {"text": "no"}, format="json").json()
    assert body["question"] == "blistering"
    assert [c["value"] for c in body["choices"]] == ["yes", "no", "not sure"]
    assert all(c["label"] for c in body["choices"])
    # and a "not sure" keeps the same question, with the check
    body = client.post(f"{C}{conv['id']}/messages/", {"text": "not sure"}, format="json").json()
    assert body["question"] == "blistering"
    for _ in range(len(screen.QUESTIONS) - 1):
        body = client.post(f"{C}{conv['id']}/messages/", {"text": "no"}, format="json").json()
    # then once the screen is done the lesion interview is typed
    assert body["question"] is None and body["choices"] == []
    assert "How long" in body["reply"]
    assert client.get(f"{C}{conv['id']}/").json()["choices"] == []


def test_spanish_taps_work_through_the_api(api_as, patient_alice):
    client = api_as(patient_alice)
    conv = client.post(C, {}, format="json").json()
    body = client.post(f"{C}{conv['id']}/messages/", {"text": "no sé"}, format="json").json()
    assert body["question"] == "fever"  # the check, not the next question
    body = client.post(f"{C}{conv['id']}/messages/", {"text": "sí"}, format="json").json()
    assert body["question"] == "blistering"
    assert Conversation.objects.get(pk=conv["id"]).state["screen"]["answers"] == {"fever": "yes"}


def test_the_chat_page_shows_tap_buttons_that_work_without_javascript(client, patient_alice):
    # given
    client.force_login(patient_alice)
    chat_url = client.post("/chat/start/")["Location"]
    page = client.get(chat_url).content.decode()
    assert 'id="chat-choices"' in page
    assert 'name="text" value="yes"' in page and 'value="not sure"' in page
    # when a button is pressed (a plain form post)
    client.post(chat_url + "send/", {"text": "no"})
    client.post(chat_url + "send/", {"text": "no"})
    client.post(chat_url + "send/", {"text": "yes"})
    # then the page shows the emergency alert with a tap-to-call link, and no more buttons
    page = client.get(chat_url).content.decode()
    assert 'href="tel:112"' in page
    assert 'id="chat-choices" class="chat-choices mb-2 d-none"' in page
    assert Case.objects.get(patient=patient_alice).level == 1


def test_the_call_button_dials_the_configured_number(client, patient_alice, settings):
    settings.EMERGENCY_NUMBER = "999"
    client.force_login(patient_alice)
    chat_url = client.post("/chat/start/")["Location"]
    client.post(chat_url + "send/", {"text": "it is bleeding heavily and won't stop"})
    assert 'href="tel:999"' in client.get(chat_url).content.decode()
