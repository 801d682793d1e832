import io
import json
import os
import zipfile

import pytest
from django.urls import reverse

from chatbot import services as chat
from diagnosis import services as diagnosis
from diagnosis.models import Disease, Submission
from portal.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD
from tests.images import upload_file

pytestmark = pytest.mark.django_db


def _submission(patient):
    return diagnosis.submission_create(patient=patient, image=upload_file(), body_site="back", symptoms="itchy")


def test_patient_downloads_all_their_data_and_it_is_audited(client, patient_alice, patient_bob):
    mine = _submission(patient_alice)
    _submission(patient_bob)
    chat.conversation_start(patient=patient_alice, submission=mine)
    client.force_login(patient_alice)
    response = client.get(reverse("data_export"))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("data.json"))
    assert data["account"]["username"] == "alice"
    assert [s["id"] for s in data["submissions"]] == [mine.pk]
    assert f"photos/{mine.pk}.jpg" in archive.namelist()
    assert len(data["conversations"]) == 1
    assert AuditEvent.objects.filter(action="data_exported", user_id_value=patient_alice.pk).exists()


def test_patient_deletes_account_photos_and_files_and_it_is_audited(
    client, patient_alice, django_capture_on_commit_callbacks
):
    submission = _submission(patient_alice)
    path = submission.image.path
    client.force_login(patient_alice)
    refused = client.post(reverse("account_delete"), {"password": "wrong", "confirm": "on"})
    assert refused.status_code == 400 and Submission.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_delete"), {"password": DEFAULT_PASSWORD, "confirm": "on"})
    assert response.status_code == 302
    assert not Submission.objects.exists()
    assert not os.path.exists(path)
    assert AuditEvent.objects.filter(action="account_deleted", user_id_value=patient_alice.pk).exists()
    assert client.get(reverse("profile")).status_code == 302


def test_security_headers_and_csp_on_pages(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_scripts_so_the_csp_can_forbid_them(client, patient_alice):
    client.force_login(patient_alice)
    for url in ("/", reverse("diagnosis:upload"), reverse("diagnosis:history"), reverse("profile")):
        html = client.get(url).content.decode()
        assert "<script>" not in html and " style=" not in html, url


def test_every_form_carries_a_csrf_token(client, patient_alice):
    client.force_login(patient_alice)
    for url in (reverse("diagnosis:upload"), reverse("profile"), reverse("my_data"), reverse("chatbot:list")):
        html = client.get(url).content.decode()
        assert html.count('name="csrfmiddlewaretoken"') >= html.count('method="post"') > 0, url


def test_csrf_is_enforced_on_session_posts(patient_alice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(patient_alice)
    assert client.post(reverse("diagnosis:upload"), {"image": upload_file()}).status_code == 403
    assert client.post("/api/v1/conversations/", {}, content_type="application/json").status_code == 403


PAYLOAD = "<script>alert('xss')</script><img src=x onerror=alert(1)>"


def test_script_payloads_are_escaped_in_symptoms_and_disease_content(client, patient_alice, nurse_nina):
    from diagnosis.models import Prediction
    from triage import services as triage
    from triage.seed import seed

    seed()
    Disease.objects.create(code="nevus", name="Mole" + PAYLOAD, summary=PAYLOAD, action=PAYLOAD, timeframe=PAYLOAD)
    submission = diagnosis.submission_create(patient=patient_alice, image=upload_file(), symptoms=PAYLOAD)
    Prediction.objects.create(
        submission=submission, model_version="t", ranked=[["nevus", 1.0]], top="nevus", inference_ms=1
    )
    Submission.objects.filter(pk=submission.pk).update(status="done")
    case = triage.case_assess_submission(submission=Submission.objects.get(pk=submission.pk))
    pages = []
    client.force_login(patient_alice)
    pages += [client.get(reverse(n, args=[submission.pk])) for n in ("diagnosis:result", "diagnosis:report")]
    client.force_login(nurse_nina)
    pages.append(client.get(reverse("triage:case", args=[case.pk])))
    for page in pages:
        html = page.content.decode()
        assert "<script>alert('xss')" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html
