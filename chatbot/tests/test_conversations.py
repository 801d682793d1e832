import pytest

from chatbot.models import Conversation, Faq, Message
from diagnosis import services as diagnosis
from diagnosis.seed import seed as seed_diseases
from tests.images import upload_file
from triage.models import Case
from triage.seed import seed as seed_levels

pytestmark = pytest.mark.django_db
C = "/api/v1/conversations/"


@pytest.fixture(autouse=True)
def _content(db):
    seed_levels()
    seed_diseases()
    from chatbot.seed import seed as seed_faq

    seed_faq()


def _submission(patient):
    return diagnosis.submission_create(patient=patient, image=upload_file(), body_site="back")


def test_start_returns_201_with_the_bots_opening_question(api_as, patient_alice):
    response = api_as(patient_alice).post(C, {"submission": None}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["id"] and body["messages"][0]["sender"] == "bot"
    assert "?" in body["messages"][0]["text"]


def test_message_reply_follows_the_contract(api_as, patient_alice):
    client = api_as(patient_alice)
    conv = client.post(C, {"submission": _submission(patient_alice).pk}, format="json").json()
    response = client.post(f"{C}{conv['id']}/messages/", {"text": "about 3 weeks"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"reply", "urgency", "red_flags", "seven_point_score", "triage_level"}
    assert body["reply"]
    detail = client.get(f"{C}{conv['id']}/").json()
    assert [m["sender"] for m in detail["messages"]] == ["bot", "patient", "bot"]


def test_red_flag_gives_emergency_and_a_level_1_case_at_once(api_as, patient_alice, nurse_nina):
    client = api_as(patient_alice)
    conv = client.post(C, {}, format="json").json()
    body = client.post(
        f"{C}{conv['id']}/messages/",
        {"text": "I have a high fever and a purple rash that doesn't fade when I press a glass on it"},
        format="json",
    ).json()
    assert body["urgency"] == "emergency"
    assert body["triage_level"] == 1
    assert "non_blanching_rash_fever" in body["red_flags"]
    case = Case.objects.get(patient=patient_alice)
    assert case.level == 1
    queue = api_as(nurse_nina).get("/api/v1/triage/queue/").json()["results"]
    assert queue[0]["id"] == case.pk


def test_red_flag_raises_the_open_case_of_the_photo(api_as, patient_alice):
    from triage import services as triage

    submission = _submission(patient_alice)
    diagnosis.submission_reject(submission=submission, message="too dark")
    case = triage.case_assess_submission(submission=submission)
    assert case.level == 3
    client = api_as(patient_alice)
    conv = client.post(C, {"submission": submission.pk}, format="json").json()
    body = client.post(
        f"{C}{conv['id']}/messages/", {"text": "it is bleeding heavily and won't stop"}, format="json"
    ).json()
    case.refresh_from_db()
    assert case.level == 1 and body["triage_level"] == 1
    assert "moved up from level 3 to level 1" in body["reply"]
    assert case.events.filter(kind="reassessed").exists()


def test_negated_mentions_raise_no_flag_and_no_case(api_as, patient_alice):
    client = api_as(patient_alice)
    conv = client.post(C, {}, format="json").json()
    body = client.post(
        f"{C}{conv['id']}/messages/", {"text": "no fever, no blisters and it's not bleeding"}, format="json"
    ).json()
    assert body["red_flags"] == []
    assert body["urgency"] != "emergency"
    assert not Case.objects.exists()


def test_answers_come_from_admin_content_and_name_their_source(api_as, patient_alice):
    # given: an admin edits an FAQ answer
    faq = Faq.objects.get(slug__icontains="photo")
    faq.answer = "Use daylight near a window, hold the phone 10 cm away and tap to focus. Zebra-check."
    faq.save()
    client = api_as(patient_alice)
    conv = client.post(C, {}, format="json").json()
    body = client.post(
        f"{C}{conv['id']}/messages/", {"text": "how do I take a good photo of my mole?"}, format="json"
    ).json()
    assert "Zebra-check" in body["reply"]
    assert faq.question in body["reply"]


def test_strangers_get_404_and_nurses_cannot_write(api_as, patient_alice, patient_bob, nurse_nina):
    conv = api_as(patient_alice).post(C, {}, format="json").json()
    assert api_as(patient_bob).get(f"{C}{conv['id']}/").status_code == 404
    assert api_as(patient_bob).post(f"{C}{conv['id']}/messages/", {"text": "hi"}, format="json").status_code == 404
    assert api_as(nurse_nina).post(f"{C}{conv['id']}/messages/", {"text": "hi"}, format="json").status_code == 403
    # A chat that belongs to no triage case is not a nurse's to read (issue 16, item 6).
    assert api_as(nurse_nina).get(f"{C}{conv['id']}/").status_code == 404
    assert Message.objects.filter(conversation_id=conv["id"]).count() == 1


def test_cannot_start_a_chat_about_someone_elses_submission(api_as, patient_alice, patient_bob):
    response = api_as(patient_bob).post(C, {"submission": _submission(patient_alice).pk}, format="json")
    assert response.status_code == 404
    assert not Conversation.objects.exists()


def test_script_in_a_chat_message_is_shown_escaped(client, patient_alice):
    client.force_login(patient_alice)
    response = client.post("/chat/start/")
    chat_url = response["Location"]
    client.post(chat_url + "send/", {"text": "<script>alert('x')</script> it itches"})
    page = client.get(chat_url).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page


def test_chat_messages_are_rate_limited_per_user_with_retry_after(api_as, patient_alice, patient_bob, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "chat": "2/m"}
    client = api_as(patient_alice)
    conv = client.post(C, {}, format="json").json()
    codes = [client.post(f"{C}{conv['id']}/messages/", {"text": "3 weeks"}, format="json") for _ in range(3)]
    assert [r.status_code for r in codes] == [200, 200, 429]
    assert codes[-1].has_header("Retry-After")
    # another patient is not affected
    other = api_as(patient_bob)
    conv_b = other.post(C, {}, format="json").json()
    assert other.post(f"{C}{conv_b['id']}/messages/", {"text": "3 weeks"}, format="json").status_code == 200
