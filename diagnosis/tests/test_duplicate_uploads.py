"""The same photo sent again by the same patient within DUPLICATE_UPLOAD_SECONDS makes no second
submission (issue 16, item 9): the web form shows the first one with a message, the API answers
with its id. Atomic under concurrency through a unique (patient, dedupe_sha256) constraint."""

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from diagnosis import services
from diagnosis.models import Submission
from tests.images import jpeg_bytes, upload_file

URL = "/api/v1/submissions/"


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _stored_photos() -> list[Path]:
    return [p for p in Path(django_settings.MEDIA_ROOT).rglob("*.jpg") if p.is_file()]


@pytest.mark.django_db
def test_the_same_photo_twice_through_the_api_answers_the_first_submission(patient_alice):
    client = _api(patient_alice)
    photo = jpeg_bytes()
    # when
    first = client.post(URL, {"image": upload_file(photo), "body_site": "back"}, format="multipart")
    second = client.post(URL, {"image": upload_file(photo), "body_site": "back"}, format="multipart")
    # then: the contract's 202 and fields, naming the existing submission, and nothing new stored
    assert first.status_code == 202 and second.status_code == 202
    assert second.json()["id"] == first.json()["id"]
    assert first.json()["duplicate"] is False
    assert second.json()["duplicate"] is True and "a moment ago" in second.json()["detail"]
    assert Submission.objects.count() == 1
    assert len(_stored_photos()) == 1


@pytest.mark.django_db
def test_the_same_photo_twice_on_the_web_form_shows_the_first_result_with_a_message(client, patient_alice):
    client.force_login(patient_alice)
    photo = jpeg_bytes()
    url = reverse("diagnosis:upload")
    # when
    first = client.post(url, {"image": upload_file(photo), "body_site": "back"})
    second = client.post(url, {"image": upload_file(photo), "body_site": "back"}, follow=True)
    # then
    [submission] = Submission.objects.all()
    assert first.status_code == 302 and first["Location"] == reverse("diagnosis:result", args=[submission.pk])
    assert second.redirect_chain[0][0] == reverse("diagnosis:result", args=[submission.pk])
    assert "You sent this photo a moment ago" in second.content.decode()


@pytest.mark.django_db
def test_a_different_photo_another_patient_or_a_later_resend_each_make_a_new_submission(
    patient_alice, patient_bob, settings
):
    alice, bob = _api(patient_alice), _api(patient_bob)
    photo = jpeg_bytes()
    first = alice.post(URL, {"image": upload_file(photo)}, format="multipart").json()
    # when: another photo, the same photo from bob, and the same photo after the window
    other = alice.post(URL, {"image": upload_file(jpeg_bytes(colour=(90, 60, 50)))}, format="multipart").json()
    bobs = bob.post(URL, {"image": upload_file(photo)}, format="multipart").json()
    Submission.objects.filter(pk=first["id"]).update(
        created_at=Submission.objects.get(pk=first["id"]).created_at
        - timedelta(seconds=settings.DUPLICATE_UPLOAD_SECONDS + 1)
    )
    later = alice.post(URL, {"image": upload_file(photo)}, format="multipart").json()
    # then
    assert len({first["id"], other["id"], bobs["id"], later["id"]}) == 4
    assert not any(r["duplicate"] for r in (other, bobs, later))
    # and: the resend after the window is now the one a quick repeat would find
    again = alice.post(URL, {"image": upload_file(photo)}, format="multipart").json()
    assert again["duplicate"] is True and again["id"] == later["id"]


def _twenty_at_once(patient) -> list[tuple[int, int | None]]:
    """Twenty clients, each with its own database connection, send the same photo together."""
    photo = jpeg_bytes()
    barrier = threading.Barrier(20)
    answers: list[tuple[int, int | None]] = []

    def upload():
        try:
            client = _api(patient)
            barrier.wait()
            response = client.post(URL, {"image": upload_file(photo)}, format="multipart")
            answers.append((response.status_code, response.json().get("id")))
        finally:
            connection.close()

    threads = [threading.Thread(target=upload) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return answers


@pytest.mark.django_db(transaction=True)
def test_twenty_identical_uploads_at_once_make_one_submission(patient_alice):
    # when
    answers = _twenty_at_once(patient_alice)
    # then: every request is answered 202 with the one submission's id, one photo is stored
    [submission] = Submission.objects.all()
    assert sorted(answers) == [(202, submission.pk)] * 20
    assert len(_stored_photos()) == 1


@pytest.mark.django_db(transaction=True)
def test_identical_uploads_that_all_pass_the_first_check_still_make_one_submission(patient_alice, monkeypatch):
    # given: the worst interleaving, made certain: every request's early look for a duplicate
    # runs before any of them has committed (so it finds none), and all twenty reach the insert
    real, looked = services._recent_duplicate, set()

    def nothing_committed_yet(submission):
        if id(submission) not in looked:
            looked.add(id(submission))
            return None
        return real(submission)

    monkeypatch.setattr(services, "_recent_duplicate", nothing_committed_yet)
    # when
    answers = _twenty_at_once(patient_alice)
    # then: the database constraint alone settles it
    [submission] = Submission.objects.all()
    assert sorted(answers) == [(202, submission.pk)] * 20
    assert len(_stored_photos()) == 1
