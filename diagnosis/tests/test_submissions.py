import io

import pytest
from django.urls import reverse
from PIL import Image

from diagnosis import services
from diagnosis.models import Prediction, Submission
from tests.images import jpeg_with_gps, upload_file

pytestmark = pytest.mark.django_db
URL = "/api/v1/submissions/"


@pytest.fixture
def alice_submission(patient_alice):
    return services.submission_create(patient=patient_alice, image=upload_file(), body_site="back")


def test_upload_answers_202_queued_and_stores_a_private_sanitised_jpeg(api_as, patient_alice, settings):
    # when
    response = api_as(patient_alice).post(
        URL,
        {"image": upload_file(jpeg_with_gps()), "body_site": "face", "symptoms": "grew in 3 weeks"},
        format="multipart",
    )
    # then
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["body_site"] == "face" and body["prediction"] is None
    submission = Submission.objects.get(pk=body["id"])
    stored = Image.open(submission.image.path)
    assert stored.format == "JPEG"
    assert not stored.getexif(), "EXIF (GPS, camera) must be stripped"
    assert "exif" not in stored.info and "icc_profile" not in stored.info
    # The orientation was applied before stripping: a 400x300 photo tagged "rotate 90" is now 300x400.
    assert stored.size == (300, 400)
    assert str(settings.MEDIA_ROOT) in submission.image.path
    assert "alice" not in submission.image.name


def test_submission_detail_follows_the_contract_once_predicted(api_as, patient_alice, alice_submission):
    # given: a finished prediction
    Prediction.objects.create(
        submission=alice_submission,
        model_version="test-v1",
        ranked=[["nevus", 0.6], ["melanoma", 0.3], ["dermatofibroma", 0.1]]
        + [
            [c, 0.0]
            for c in (
                "actinic_keratosis",
                "basal_cell_carcinoma",
                "pigmented_benign_keratosis",
                "squamous_cell_carcinoma",
                "vascular_lesion",
            )
        ],
        top="nevus",
        uncertain=False,
        inference_ms=5.0,
    )
    Submission.objects.filter(pk=alice_submission.pk).update(status="done")
    # when
    body = api_as(patient_alice).get(f"{URL}{alice_submission.pk}/").json()
    # then
    assert set(body) >= {"id", "status", "created_at", "body_site", "symptoms", "error", "prediction", "triage"}
    pred = body["prediction"]
    assert set(pred) >= {"model_version", "ranked", "top", "uncertain", "inference_ms", "heatmap_url"}
    assert len(pred["ranked"]) == 8
    assert [r["probability"] for r in pred["ranked"]] == sorted(
        (r["probability"] for r in pred["ranked"]), reverse=True
    )
    assert abs(sum(r["probability"] for r in pred["ranked"]) - 1) < 0.01
    assert set(pred["ranked"][0]) >= {"code", "name", "probability"}


def test_list_is_own_newest_first_and_paginated(api_as, patient_alice, patient_bob):
    for _ in range(3):
        services.submission_create(patient=patient_alice, image=upload_file())
    services.submission_create(patient=patient_bob, image=upload_file())
    body = api_as(patient_alice).get(URL).json()
    assert set(body) >= {"count", "next", "previous", "results"}
    assert body["count"] == 3
    ids = [r["id"] for r in body["results"]]
    assert ids == sorted(ids, reverse=True)


@pytest.mark.parametrize("suffix", ["", "image/", "heatmap/"])
def test_another_patient_gets_404_on_submission_image_and_heatmap(api_as, patient_bob, alice_submission, suffix):
    response = api_as(patient_bob).get(f"{URL}{alice_submission.pk}/{suffix}")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "name",
    [
        "diagnosis:result",
        "diagnosis:report",
        "diagnosis:image",
        "diagnosis:heatmap",
        "diagnosis:thumbnail",
        "diagnosis:result_panel",
    ],
)
def test_another_patient_gets_404_on_every_page(client, patient_bob, alice_submission, name):
    client.force_login(patient_bob)
    assert client.get(reverse(name, args=[alice_submission.pk])).status_code == 404


def test_anonymous_requests_are_refused(api, client, alice_submission):
    assert api.get(f"{URL}{alice_submission.pk}/").status_code == 401
    assert api.get(f"{URL}{alice_submission.pk}/image/").status_code == 401
    assert api.post(URL, {"image": upload_file()}, format="multipart").status_code == 401
    page = client.get(reverse("diagnosis:image", args=[alice_submission.pk]))
    assert page.status_code == 302 and "/accounts/login/" in page["Location"]


def test_owner_and_nurse_can_fetch_the_image_privately(api_as, patient_alice, nurse_nina, alice_submission):
    # A nurse reads a photo through its triage case (issue 16, item 6): give it one.
    from triage.services import case_assess_submission

    case_assess_submission(submission=alice_submission)
    for user in (patient_alice, nurse_nina):
        response = api_as(user).get(f"{URL}{alice_submission.pk}/image/")
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert "no-store" in response["Cache-Control"]


def test_nurse_cannot_upload_403(api_as, nurse_nina):
    response = api_as(nurse_nina).post(URL, {"image": upload_file()}, format="multipart")
    assert response.status_code == 403
    assert Submission.objects.count() == 0


def test_media_is_not_served_on_any_public_url(client, alice_submission):
    name = alice_submission.image.name
    for url in (f"/media/{name}", f"/static/{name}", f"/private-media-is-not-served/{name}"):
        assert client.get(url).status_code == 404


def test_upload_rate_limit_answers_429_with_retry_after(api_as, patient_alice, settings):
    # The rate normally comes from UPLOAD_RATE.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "upload": "2/h"}
    client = api_as(patient_alice)
    codes = [client.post(URL, {"image": upload_file()}, format="multipart").status_code for _ in range(3)]
    assert codes == [202, 202, 429]
    last = client.post(URL, {"image": upload_file()}, format="multipart")
    assert last.has_header("Retry-After")
    assert client.get(URL).status_code == 200, "reading is never throttled"


def test_web_upload_redirects_to_a_result_page_that_polls(client, patient_alice):
    client.force_login(patient_alice)
    response = client.post(reverse("diagnosis:upload"), {"image": upload_file(), "body_site": "back"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Decision support, not a diagnosis" in page
    assert 'id="result-panel"' in page and "result.js" in page
    assert "queue" in page


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "HEIF"])
def test_png_webp_and_iphone_heic_are_accepted_and_stored_as_jpeg(api_as, patient_alice, fmt):
    out = io.BytesIO()
    Image.new(
        "RGBA" if fmt == "PNG" else "RGB", (320, 240), (200, 120, 100, 255) if fmt == "PNG" else (200, 120, 100)
    ).save(out, format=fmt)
    response = api_as(patient_alice).post(
        URL, {"image": upload_file(out.getvalue(), f"p.{fmt.lower()}")}, format="multipart"
    )
    assert response.status_code == 202, response.content
    stored = Image.open(Submission.objects.get().image.path)
    assert stored.format == "JPEG" and stored.mode == "RGB" and stored.size == (320, 240)


def test_rejection_reason_is_stored_once_and_read_in_the_patients_language(api_as, patient_alice, alice_submission):
    from ml.gate import MESSAGES

    services.submission_reject(submission=alice_submission, message=MESSAGES["too_dark"])
    client = api_as(patient_alice)
    english = client.get(f"{URL}{alice_submission.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()["error"]
    spanish = client.get(f"{URL}{alice_submission.pk}/", HTTP_ACCEPT_LANGUAGE="es").json()["error"]
    assert english.startswith("The photo is too dark")
    assert spanish.startswith("La foto está demasiado oscura")


def test_submission_list_uses_a_constant_number_of_queries(api_as, patient_alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from triage import services as triage
    from triage.seed import seed

    seed()
    client = api_as(patient_alice)

    def add(n):
        for _ in range(n):
            s = services.submission_create(patient=patient_alice, image=upload_file())
            services.submission_reject(submission=s, message="too dark")
            triage.case_assess_submission(submission=s)

    add(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).json()["results"][0]["triage"]["level"] == 3
    add(8)
    with CaptureQueriesContext(connection) as many:
        client.get(URL)
    assert 0 < len(few) == len(many)
