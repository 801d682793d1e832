"""Patients' answers with the upload (API and web form), and the photo kind shown to people."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from diagnosis import services
from diagnosis.models import SYMPTOM_QUESTIONS, Prediction, Submission
from tests.images import upload_file
from triage import services as triage
from triage.seed import seed as seed_levels

pytestmark = pytest.mark.django_db
URL = "/api/v1/submissions/"
ANSWERS = {
    "dermoscope": "true",
    "itch": "yes",
    "grew": "no",
    "hurt": "unsure",
    "changed": "yes",
    "bleed": "no",
    "elevation": "yes",
    "diameter_mm": "6.5",
}


def _stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _predicted(submission, **fields) -> Prediction:
    ranked = [["nevus", 0.7], ["melanoma", 0.2], ["dermatofibroma", 0.1]] + [
        [c, 0.0]
        for c in (
            "actinic_keratosis",
            "basal_cell_carcinoma",
            "pigmented_benign_keratosis",
            "squamous_cell_carcinoma",
            "vascular_lesion",
        )
    ]
    prediction = Prediction.objects.create(
        submission=submission,
        model_version="test-v1",
        ranked=ranked,
        top="nevus",
        uncertain=False,
        inference_ms=5.0,
        thresholds={"melanoma": 0.3},
        **fields,
    )
    Submission.objects.filter(pk=submission.pk).update(status="done")
    submission.refresh_from_db()
    return prediction


def test_upload_stores_the_answers_and_echoes_them(api_as, patient_alice):
    # when
    response = api_as(patient_alice).post(URL, {"image": upload_file(), **ANSWERS}, format="multipart")
    # then
    assert response.status_code == 202, response.content
    body = response.json()
    submission = Submission.objects.get(pk=body["id"])
    assert submission.dermoscope is True and body["dermoscope"] is True
    for question in SYMPTOM_QUESTIONS:
        assert getattr(submission, question) == ANSWERS[question] == body[question]
    assert submission.diameter_mm == 6.5 == body["diameter_mm"]


def test_upload_without_answers_stores_them_as_unknown(api_as, patient_alice):
    # when
    response = api_as(patient_alice).post(URL, {"image": upload_file(), "diameter_mm": ""}, format="multipart")
    # then
    assert response.status_code == 202, response.content
    submission = Submission.objects.get()
    assert submission.dermoscope is False and submission.diameter_mm is None
    assert all(getattr(submission, q) == "" for q in SYMPTOM_QUESTIONS)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("itch", "maybe"),
        ("bleed", "True"),
        ("dermoscope", "perhaps"),
        ("diameter_mm", "0.1"),
        ("diameter_mm", "500"),
        ("diameter_mm", "wide"),
        ("diameter_mm", "nan"),
        ("diameter_mm", "inf"),
    ],
)
def test_an_invalid_answer_is_400_naming_the_field_and_nothing_is_stored(api_as, patient_alice, settings, field, value):
    # when
    response = api_as(patient_alice).post(URL, {"image": upload_file(), field: value}, format="multipart")
    # then
    assert response.status_code == 400
    messages = response.json()[field]
    assert messages and all(len(m) > 10 for m in messages)
    assert Submission.objects.count() == 0
    assert _stored_files(settings) == []


def test_the_service_refuses_an_invalid_answer_before_storing_anything(patient_alice, settings):
    with pytest.raises(ValidationError) as raised:
        services.submission_create(patient=patient_alice, image=upload_file(), grew="sometimes", diameter_mm=0.0)
    assert set(raised.value.message_dict) == {"grew", "diameter_mm"}
    assert Submission.objects.count() == 0 and _stored_files(settings) == []


def test_submission_detail_shows_the_photo_kind(api_as, patient_alice):
    # given
    submission = services.submission_create(patient=patient_alice, image=upload_file())
    _predicted(submission, photo_kind="clinical", kind_probability=0.04, context={"bleed": True})
    # when
    body = api_as(patient_alice).get(f"{URL}{submission.pk}/").json()
    # then
    assert body["prediction"]["photo_kind"] == "clinical"


def test_nurse_case_api_shows_photo_kind_and_the_answers_the_model_used(api_as, patient_alice, nurse_nina):
    # given
    seed_levels()
    submission = services.submission_create(patient=patient_alice, image=upload_file(), bleed="yes", itch="unsure")
    _predicted(
        submission, photo_kind="dermoscopic", kind_probability=0.93, context={"bleed": True, "age": 63, "sex": "male"}
    )
    case = triage.case_assess_submission(submission=submission)
    # when
    body = api_as(nurse_nina).get(f"/api/v1/triage/cases/{case.pk}/").json()
    # then
    prediction = body["prediction"]
    assert prediction["photo_kind"] == "dermoscopic" and prediction["kind_probability"] == 0.93
    assert prediction["context"] == {"bleed": True, "age": 63, "sex": "male"}
    assert body["answers"]["bleed"] == "yes" and body["answers"]["itch"] == "unsure"
    assert body["answers"]["grew"] == "" and body["answers"]["dermoscope"] is False


def test_nurse_case_page_shows_the_photo_kind_and_the_answers(client, patient_alice, nurse_nina):
    # given
    seed_levels()
    submission = services.submission_create(patient=patient_alice, image=upload_file(), body_site="face")
    _predicted(
        submission,
        photo_kind="clinical",
        kind_probability=0.12,
        context={"bleed": True, "grew": False, "age": 63, "body_site": "face"},
    )
    case = triage.case_assess_submission(submission=submission)
    client.force_login(nurse_nina)
    # when
    page = client.get(reverse("triage:case", args=[case.pk])).content.decode()
    # then
    assert "Phone photo (clinical)" in page and "0.12" in page
    assert "Bleeds: yes" in page and "Grew: no" in page and "Age: 63" in page and "Site: Face" in page


def test_patient_result_page_names_the_photo_kind(client, patient_alice):
    # given
    submission = services.submission_create(patient=patient_alice, image=upload_file())
    _predicted(submission, photo_kind="clinical", kind_probability=0.1)
    client.force_login(patient_alice)
    # when
    page = client.get(reverse("diagnosis:result", args=[submission.pk])).content.decode()
    # then
    assert "Photo: phone photo" in page


def test_upload_page_asks_the_dermatoscope_and_six_questions(client, patient_alice):
    client.force_login(patient_alice)
    page = client.get(reverse("diagnosis:upload")).content.decode()
    assert 'name="dermoscope"' in page and "dermatoscope" in page
    assert 'name="dermoscope" checked' not in page
    for question in SYMPTOM_QUESTIONS:
        assert page.count(f'name="{question}"') == 3
    assert 'name="diameter_mm"' in page


def test_web_upload_stores_the_answers(client, patient_alice):
    # given
    client.force_login(patient_alice)
    # when
    response = client.post(
        reverse("diagnosis:upload"),
        {"image": upload_file(), "dermoscope": "on", "bleed": "yes", "grew": "unsure", "diameter_mm": "4"},
    )
    # then
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.dermoscope is True and submission.bleed == "yes" and submission.grew == "unsure"
    assert submission.itch == "" and submission.diameter_mm == 4.0


@pytest.mark.parametrize(("field", "value"), [("hurt", "often"), ("diameter_mm", "0"), ("diameter_mm", "huge")])
def test_web_upload_with_an_invalid_answer_is_400_and_stores_nothing(client, patient_alice, settings, field, value):
    client.force_login(patient_alice)
    response = client.post(reverse("diagnosis:upload"), {"image": upload_file(), field: value})
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert Submission.objects.count() == 0 and _stored_files(settings) == []


def test_without_a_photo_kind_detector_the_kind_is_marked_assumed_and_the_patient_is_not_told(
    client, patient_alice, nurse_nina
):
    # given: a model with no detector applies its one (dermoscopic) head to every photo
    seed_levels()
    submission = services.submission_create(patient=patient_alice, image=upload_file(), bleed="yes", diameter_mm=3)
    _predicted(submission, photo_kind="dermoscopic", kind_probability=None, context={})
    case = triage.case_assess_submission(submission=submission)
    # when
    client.force_login(nurse_nina)
    nurse_page = client.get(reverse("triage:case", args=[case.pk])).content.decode()
    client.force_login(patient_alice)
    patient_page = client.get(reverse("diagnosis:result", args=[submission.pk])).content.decode()
    # then: the nurse still sees what the patient answered with the upload
    assert "Dermoscopic" in nurse_page and "no photo-kind detector" in nurse_page
    assert "Bleeds: yes" in nurse_page and "Size: 3 mm" in nurse_page
    assert "Photo: dermoscopic" not in patient_page and "Photo: phone photo" not in patient_page
