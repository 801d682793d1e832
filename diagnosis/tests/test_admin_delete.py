"""Deleting a patient or a submission in Django admin removes its photos and heat maps from storage
and is audited (issue 16, item 5)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.urls import reverse

from chatbot.models import Conversation
from diagnosis import services
from diagnosis.models import Prediction, Submission
from portal.models import AuditEvent
from tests.images import jpeg_bytes, png_bytes, upload_file
from triage.models import Case

pytestmark = pytest.mark.django_db


def _stored_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _with_heatmap(patient, colour=(180, 120, 100)) -> Submission:
    """A classified submission: its photo, a heat map and a case, all stored."""
    from triage.seed import seed as seed_levels
    from triage.services import case_assess_submission

    seed_levels()
    submission = services.submission_create(patient=patient, image=upload_file(jpeg_bytes(colour=colour)))
    prediction = Prediction(
        submission=submission, model_version="t", ranked=[["nevus", 1.0]], top="nevus", inference_ms=1.0
    )
    prediction.heatmap.save("h.png", ContentFile(png_bytes()), save=False)
    prediction.save()
    Submission.objects.filter(pk=submission.pk).update(status="done")
    submission.refresh_from_db()
    case_assess_submission(submission=submission)
    Conversation.objects.create(patient=patient, submission=submission)
    return submission


def test_admin_deleting_one_submission_removes_its_photo_and_heat_map_and_audits_it(
    client, admin_ada, patient_alice, patient_bob, django_capture_on_commit_callbacks
):
    # given: alice's submission and bob's, each with a photo and a heat map on disk
    doomed = _with_heatmap(patient_alice)
    kept = _with_heatmap(patient_bob, colour=(90, 60, 50))
    kept_files = [kept.image.name, kept.prediction.heatmap.name]
    assert len(_stored_files()) == 4
    client.force_login(admin_ada)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:diagnosis_submission_delete", args=[doomed.pk]), {"post": "yes"})
    # then: the rows and files of alice's submission are gone, bob's are untouched
    assert response.status_code == 302
    assert not Submission.objects.filter(pk=doomed.pk).exists()
    assert not Case.objects.filter(submission_id=doomed.pk).exists()
    assert _stored_files() == sorted(kept_files)
    # and: who deleted what is on record
    event = AuditEvent.objects.get(action="submission_deleted")
    assert (event.user_id_value, event.actor_id_value, event.detail["submission"]) == (
        patient_alice.pk,
        admin_ada.pk,
        doomed.pk,
    )


def test_admin_bulk_deleting_submissions_leaves_nothing_on_disk(
    client, admin_ada, patient_alice, django_capture_on_commit_callbacks
):
    # given
    submissions = [_with_heatmap(patient_alice, colour=(180, 120 - i * 20, 100)) for i in range(3)]
    assert len(_stored_files()) == 6
    client.force_login(admin_ada)
    # when: the changelist's "delete selected" action, confirmed
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:diagnosis_submission_changelist"),
            {"action": "delete_selected", "_selected_action": [s.pk for s in submissions], "post": "yes"},
        )
    # then
    assert response.status_code == 302
    assert Submission.objects.count() == 0
    assert _stored_files() == []
    audited = AuditEvent.objects.filter(action="submission_deleted", actor_id_value=admin_ada.pk)
    assert sorted(e.detail["submission"] for e in audited) == sorted(s.pk for s in submissions)


def test_admin_deleting_a_patient_removes_every_photo_and_heat_map_and_audits_it(
    client, admin_ada, patient_alice, django_capture_on_commit_callbacks
):
    # given
    _with_heatmap(patient_alice)
    _with_heatmap(patient_alice, colour=(90, 60, 50))
    assert len(_stored_files()) == 4
    client.force_login(admin_ada)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:accounts_user_delete", args=[patient_alice.pk]), {"post": "yes"})
    # then
    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=patient_alice.pk).exists()
    assert _stored_files() == []
    event = AuditEvent.objects.get(action="account_deleted")
    assert (event.user_id_value, event.actor_id_value) == (patient_alice.pk, admin_ada.pk)


def test_admin_bulk_deleting_patients_leaves_nothing_on_disk(
    client, admin_ada, patient_alice, patient_bob, django_capture_on_commit_callbacks
):
    # given
    _with_heatmap(patient_alice)
    _with_heatmap(patient_bob, colour=(90, 60, 50))
    client.force_login(admin_ada)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accounts_user_changelist"),
            {"action": "delete_selected", "_selected_action": [patient_alice.pk, patient_bob.pk], "post": "yes"},
        )
    # then
    assert response.status_code == 302
    assert _stored_files() == []
    audited = AuditEvent.objects.filter(action="account_deleted", actor_id_value=admin_ada.pk)
    assert sorted(e.user_id_value for e in audited) == sorted([patient_alice.pk, patient_bob.pk])


def test_a_rerun_that_replaces_a_prediction_removes_the_earlier_heat_map(
    patient_alice, django_capture_on_commit_callbacks
):
    # given: a submission whose first (interrupted) run left a prediction and a heat map
    from types import SimpleNamespace

    submission = _with_heatmap(patient_alice)
    first_heatmap = submission.prediction.heatmap.name
    result = SimpleNamespace(
        model_version="t2",
        ranked=[("nevus", 1.0)],
        top="nevus",
        uncertain=False,
        thresholds={},
        inference_ms=1.0,
        photo_kind="",
        kind_probability=None,
        context_used={},
        heatmap_png=png_bytes(),
    )
    # when: the task runs again and records its result
    with django_capture_on_commit_callbacks(execute=True):
        prediction = services.submission_record_prediction(submission=submission, result=result)
    # then: only the new heat map is stored
    assert prediction.heatmap.name != first_heatmap
    assert _stored_files() == sorted([submission.image.name, prediction.heatmap.name])
