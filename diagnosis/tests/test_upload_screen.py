"""The red-flag screen on the upload (API and web form): validated, stored, and a "yes" on an
emergency sign opens a level-1 case at once, before any model result."""

import pytest
from django.core.exceptions import ValidationError

from chatbot.engine import screen
from diagnosis import services
from diagnosis.models import Submission
from tests.images import upload_file
from triage.models import Case
from triage.seed import seed as seed_levels

pytestmark = pytest.mark.django_db
URL = "/api/v1/submissions/"
ALL_NO = {name: "no" for name in screen.UPLOAD_FIELDS}


@pytest.fixture(autouse=True)
def _levels(db):
    seed_levels()


def _stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_upload_api_stores_the_screen_answers_and_echoes_them(api_as, patient_alice):
    # when
    answers = ALL_NO | {"screen_new_medicine": "yes", "screen_spreading": "unsure"}
    response = api_as(patient_alice).post(URL, {"image": upload_file(), **answers}, format="multipart")
    # then
    assert response.status_code == 202, response.content
    submission = Submission.objects.get()
    expected = {qid: answers[name] for name, qid in screen.UPLOAD_FIELDS.items()}
    assert submission.screen == expected == response.json()["screen"]
    # a new medicine alone is no emergency: the case waits for the model
    assert not Case.objects.exists()


def test_upload_api_without_screen_answers_stores_none(api_as, patient_alice):
    response = api_as(patient_alice).post(URL, {"image": upload_file(), "screen_fever": ""}, format="multipart")
    assert response.status_code == 202, response.content
    assert Submission.objects.get().screen == {}


@pytest.mark.parametrize("value", ["maybe", "true", "1", "si"])
def test_upload_api_refuses_a_bad_screen_answer_and_stores_nothing(api_as, patient_alice, settings, value):
    # when
    response = api_as(patient_alice).post(URL, {"image": upload_file(), "screen_glass_test": value}, format="multipart")
    # then
    assert response.status_code == 400
    assert "screen_glass_test" in response.json()
    assert not Submission.objects.exists() and not Case.objects.exists()
    assert _stored_files(settings) == []


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        ({"screen_glass_test": "yes"}, "non_blanching_rash_fever"),
        ({"screen_blistering": "yes"}, "widespread_blistering"),
        ({"screen_bleeding": "yes"}, "uncontrolled_bleeding"),
        ({"screen_fever": "yes", "screen_spreading": "yes"}, "spreading_infection"),
        ({"screen_fever": "yes", "screen_new_medicine": "yes"}, "drug_reaction_fever"),
    ],
)
def test_a_yes_on_an_emergency_sign_opens_a_level_1_case_at_upload(api_as, patient_alice, nurse_nina, answers, code):
    # when
    response = api_as(patient_alice).post(URL, {"image": upload_file(), **answers}, format="multipart")
    # then
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued"  # before any model result
    assert body["triage"]["level"] == 1
    case = Case.objects.get(submission_id=body["id"])
    assert case.level == 1 and any("Red flag" in r for r in case.reasons)
    queue = api_as(nurse_nina).get("/api/v1/triage/queue/").json()["results"]
    assert queue[0]["id"] == case.pk and queue[0]["level"] == 1
    from triage.services import case_evidence

    assert code in case_evidence(case=case).red_flags


def test_the_service_refuses_a_bad_screen_answer_before_storing(patient_alice, settings):
    with pytest.raises(ValidationError):
        services.submission_create(patient=patient_alice, image=upload_file(), screen={"fever": "perhaps"})
    with pytest.raises(ValidationError):
        services.submission_create(patient=patient_alice, image=upload_file(), screen={"headache": "yes"})
    assert not Submission.objects.exists() and _stored_files(settings) == []


def test_upload_form_shows_the_screen_with_tap_buttons(client, patient_alice):
    client.force_login(patient_alice)
    page = client.get("/submissions/new/").content.decode()
    assert "Right now, do you have any of these?" in page
    for name in screen.UPLOAD_FIELDS:
        assert f'name="{name}"' in page
    assert page.index('id="screen"') < page.index('id="answers"')


def test_upload_form_yes_opens_a_level_1_case_and_the_result_page_shows_the_emergency(client, patient_alice):
    # given
    client.force_login(patient_alice)
    # when
    response = client.post(
        "/submissions/new/", {"image": upload_file(), "body_site": "back", **ALL_NO, "screen_glass_test": "yes"}
    )
    # then
    assert response.status_code == 302, response.content.decode()[:2000]
    submission = Submission.objects.get()
    assert submission.screen["glass_test"] == "yes"
    assert submission.case.level == 1
    page = client.get(response["Location"]).content.decode()
    assert 'id="emergency-alert"' in page
    assert 'href="tel:112"' in page


def test_upload_form_all_no_opens_no_case(client, patient_alice):
    client.force_login(patient_alice)
    response = client.post("/submissions/new/", {"image": upload_file(), **ALL_NO})
    assert response.status_code == 302
    assert Submission.objects.get().screen == dict.fromkeys(screen.BY_ID, "no")
    assert not Case.objects.exists()


def test_the_chat_does_not_ask_again_what_the_upload_answered(client, patient_alice):
    # given an upload with every screen question answered no
    client.force_login(patient_alice)
    client.post("/submissions/new/", {"image": upload_file(), **ALL_NO})
    submission = Submission.objects.get()
    from chatbot import services as chat

    # when
    conversation = chat.conversation_start(patient=patient_alice, submission=submission)
    # then the chat goes straight to the lesion interview
    assert conversation.state["screen"]["done"] is True
    assert conversation.state["pending"] == "duration_days"


def test_the_nurse_sees_the_screen_answers_on_the_case(client, api_as, patient_alice, nurse_nina):
    # given an upload with a yes to the glass test
    api_as(patient_alice).post(URL, {"image": upload_file(), **ALL_NO, "screen_glass_test": "yes"}, format="multipart")
    case = Case.objects.get()
    # when
    client.force_login(nurse_nina)
    page = client.get(f"/triage/cases/{case.pk}/").content.decode()
    # then
    assert "Now: a rash that does not fade under a pressed glass: yes" in page
    assert "Now: fever or feeling very unwell: no" in page
