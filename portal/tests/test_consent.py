"""Consent is explicit, versioned, recorded, audited and can be withdrawn; uploads need it."""

import pytest
from django.urls import reverse

from diagnosis.models import Submission
from portal.accounts.models import Consent
from portal.models import AuditEvent
from tests.factories import NurseFactory, PatientFactory
from tests.images import upload_file

pytestmark = pytest.mark.django_db


def test_a_patient_without_consent_is_sent_to_the_consent_page_before_uploading(client):
    # given an account from before consent existed
    patient = PatientFactory(consent=False)
    client.force_login(patient)
    # when
    response = client.get(reverse("diagnosis:upload"))
    # then
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("consent"))


def test_a_web_upload_without_consent_stores_nothing(client):
    patient = PatientFactory(consent=False)
    client.force_login(patient)
    response = client.post(reverse("diagnosis:upload"), {"image": upload_file(), "body_site": "back"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("consent"))
    assert not Submission.objects.exists()


def test_the_consent_page_records_consent_and_returns_to_the_upload(client, settings):
    # given
    patient = PatientFactory(consent=False)
    client.force_login(patient)
    upload = reverse("diagnosis:upload")
    # when
    response = client.post(reverse("consent"), {"consent_photos": "on", "next": upload})
    # then
    assert response.status_code == 302 and response["Location"] == upload
    row = Consent.objects.get(user=patient)
    assert (row.kind, row.version, row.source, row.ip) == (
        "photos",
        settings.PRIVACY_NOTICE_VERSION,
        "consent_page",
        "127.0.0.1",
    )
    assert client.get(upload).status_code == 200


def test_the_consent_page_refuses_without_the_photo_box_ticked_and_records_nothing(client):
    patient = PatientFactory(consent=False)
    client.force_login(patient)
    response = client.post(reverse("consent"), {"consent_contact": "on"})
    assert response.status_code == 400
    assert "cannot store them without your consent" in response.content.decode()
    assert not Consent.objects.exists()


def test_the_consent_page_does_not_redirect_off_site(client):
    client.force_login(PatientFactory(consent=False))
    response = client.post(reverse("consent"), {"consent_photos": "on", "next": "https://evil.example/"})
    assert response["Location"] == reverse("diagnosis:upload")


def test_a_new_privacy_notice_version_asks_for_consent_again(client, settings):
    # given a patient who consented to the notice in force
    patient = PatientFactory()
    client.force_login(patient)
    assert client.get(reverse("diagnosis:upload")).status_code == 200
    # when the clinic publishes a new notice
    settings.PRIVACY_NOTICE_VERSION = "2099-01"
    # then
    response = client.get(reverse("diagnosis:upload"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("consent"))
    assert "Our privacy notice has changed" in client.get(response["Location"]).content.decode()


def test_an_api_upload_without_photo_consent_is_refused_403_and_stores_nothing(api_as):
    patient = PatientFactory(consent=False)
    response = api_as(patient).post("/api/v1/submissions/", {"image": upload_file()}, format="multipart")
    assert response.status_code == 403
    assert "Consent to store photos" in response.json()["detail"]
    assert not Submission.objects.exists()


def test_withdrawing_photo_consent_on_the_profile_blocks_uploads_and_offers_export_or_deletion(client):
    # given
    patient = PatientFactory()
    client.force_login(patient)
    # when
    response = client.post(reverse("consent_change"), {"kind": "photos", "action": "withdraw"}, follow=True)
    # then
    page = response.content.decode()
    assert "you cannot upload new photos" in page
    assert reverse("my_data") in page
    assert Consent.objects.get(user=patient, kind="photos").withdrawn_at is not None
    assert client.get(reverse("diagnosis:upload"))["Location"].startswith(reverse("consent"))


def test_consent_changes_are_audited(client):
    patient = PatientFactory(consent=False)
    client.force_login(patient)
    client.post(reverse("consent_change"), {"kind": "contact", "action": "give"})
    client.post(reverse("consent_change"), {"kind": "contact", "action": "withdraw"})
    rows = list(AuditEvent.objects.filter(user_id_value=patient.pk).order_by("created_at", "id"))
    assert [(r.action, r.detail["kind"]) for r in rows] == [
        ("consent_given", "contact"),
        ("consent_withdrawn", "contact"),
    ]
    assert all(r.actor_id_value == patient.pk for r in rows)


def test_a_bad_consent_change_changes_nothing(client):
    patient = PatientFactory(consent=False)
    client.force_login(patient)
    client.post(reverse("consent_change"), {"kind": "everything", "action": "give"})
    assert not Consent.objects.exists()
    assert client.get(reverse("consent_change")).status_code == 405


def test_the_api_reads_gives_and_withdraws_consent(api_as, settings):
    patient = PatientFactory(consent=False)
    api = api_as(patient)
    assert api.get("/api/v1/auth/consents/").json()["photos"]["given"] is False
    given = api.post("/api/v1/auth/consents/", {"kind": "photos", "given": True}, format="json").json()
    assert given["photos"]["given"] is True and given["photos"]["version"] == settings.PRIVACY_NOTICE_VERSION
    assert api.post("/api/v1/submissions/", {"image": upload_file()}, format="multipart").status_code == 202
    api.post("/api/v1/auth/consents/", {"kind": "photos", "given": False}, format="json")
    assert api.post("/api/v1/submissions/", {"image": upload_file()}, format="multipart").status_code == 403


def test_staff_do_not_give_consent(client, api_as):
    nurse = NurseFactory()
    assert api_as(nurse).get("/api/v1/auth/consents/").status_code == 403
    client.force_login(nurse)
    assert client.get(reverse("consent")).status_code == 403


def test_the_privacy_notice_is_linked_from_signup_and_the_footer_in_english_and_spanish(client):
    # given / when
    signup = client.get(reverse("signup")).content.decode()
    notice = client.get(reverse("privacy")).content.decode()
    # then
    assert signup.count(f'href="{reverse("privacy")}"') >= 2  # the sign-up text and the footer
    for words in ("What we store", "Who sees it", "How long we keep it", "not a diagnosis"):
        assert words in notice
    client.post(reverse("set_language"), {"language": "es", "next": "/"})
    spanish = client.get(reverse("privacy")).content.decode()
    assert "Aviso de privacidad" in spanish and "Qué guardamos" in spanish
