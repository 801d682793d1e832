"""A task goes through the real broker to a real worker process and changes the database."""

import re

import pytest
from django.utils import timezone

from diagnosis.context import submission_context
from diagnosis.models import Prediction, Submission
from portal.models import WorkerHeartbeat
from portal.tasks import worker_heartbeat
from tests.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_real_worker_process_consumes_a_task_from_the_broker(worker_process, settings, capsys):
    # given
    worker = worker_process()
    # when
    worker_heartbeat.delay("integration-probe")
    # then
    try:
        row = wait_for(lambda: WorkerHeartbeat.objects.filter(hostname="integration-probe").first(), timeout=60)
    except AssertionError:
        pytest.fail("worker did not consume the task; its log:\n" + worker.output())
    assert row.seen_at is not None
    # Written past pytest's capture on purpose: CI's log must show that a real worker consumed it.
    with capsys.disabled():
        broker = settings.CELERY_BROKER_URL.split("://")[0]
        print(f"\n[integration] real worker process pid {worker.proc.pid} consumed a task via {broker}")


def _answered(submission_id: int) -> bool:
    return Submission.objects.filter(pk=submission_id).exclude(status__in=["queued", "processing"]).exists()


def test_answers_reach_the_model_in_a_real_worker_and_a_chat_answer_rescores_the_case(
    api_as, nurse_nina, patient_alice, worker_process, active_model, phone_photo
):
    # given: a patient with a profile, and a real worker process
    patient_alice.year_of_birth, patient_alice.sex = timezone.now().year - 63, "female"
    patient_alice.save()
    worker = worker_process()
    client = api_as(patient_alice)
    # when: a phone photo is uploaded with answers (the form says it never bled)
    with open(phone_photo, "rb") as fh:
        fields = {"body_site": "face", "dermoscope": "false", "grew": "yes", "itch": "no", "bleed": "no"}
        response = client.post("/api/v1/submissions/", {"image": fh, **fields}, format="multipart")
    assert response.status_code == 202, response.content
    sid = response.json()["id"]
    try:
        wait_for(lambda: _answered(sid), timeout=120)
    except AssertionError:
        pytest.fail("not classified in time; worker log:\n" + worker.output()[-3000:])
    # then: the prediction records the photo kind and the answers the model used; a case is open
    submission = Submission.objects.select_related("prediction", "case").get(pk=sid)
    assert submission.status == "done", (submission.error, worker.output()[-2000:])
    prediction = submission.prediction
    assert prediction.photo_kind in Prediction.PhotoKind.values
    given = submission_context(submission)
    assert given["bleed"] is False and given["grew"] is True and given["age"] == 63
    assert all(given.get(k) == v for k, v in prediction.context.items()), (prediction.context, given)
    case = submission.case
    assert case.level in (1, 2, 3, 4) and case.is_open
    detail = api_as(nurse_nina).get(f"/api/v1/triage/cases/{case.pk}/").json()
    assert detail["prediction"]["photo_kind"] == prediction.photo_kind
    assert detail["prediction"]["context"] == prediction.context
    assert client.get(f"/api/v1/submissions/{sid}/").json()["prediction"]["photo_kind"] == prediction.photo_kind

    before_context, level_before = dict(prediction.context), case.level

    # when: the patient tells the chatbot, about this photo, that it bleeds
    conversation = client.post("/api/v1/conversations/", {"submission": sid}, format="json").json()
    reply = client.post(f"/api/v1/conversations/{conversation['id']}/messages/", {"text": "it bleeds"}, format="json")
    assert reply.status_code == 200
    # then: the worker re-scores the photo with the new answer
    try:
        outcome = wait_for(lambda: _rescore_outcome(worker.output(), sid), timeout=60)
    except AssertionError:
        pytest.fail("the re-score did not run; worker log:\n" + worker.output()[-3000:])
    prediction.refresh_from_db()
    case.refresh_from_db()
    assert case.level <= level_before, "automatic changes only ever raise the level"
    assert submission_context(submission)["bleed"] is True
    # the shipped model routes this phone photo to the phone head, which fuses the answers
    assert prediction.photo_kind == "clinical", (active_model.version, prediction.kind_probability)
    assert outcome == "rescored"
    assert before_context["bleed"] is False and prediction.context["bleed"] is True


def _rescore_outcome(log: str, submission_id: int) -> str | None:
    """What the worker's re-score of this submission came to, from its log; None until done."""
    found = re.search(rf"submission {submission_id} re-score: (\w+)", log)
    return found.group(1) if found else None
