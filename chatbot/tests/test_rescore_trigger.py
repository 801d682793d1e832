"""A chat answer the model uses as context asks for the linked photo to be scored again."""

import pytest
from kombu.exceptions import OperationalError

from chatbot import services as chat
from chatbot.models import Message
from diagnosis import services as diagnosis
from diagnosis.models import Prediction, Submission
from ml.tasks import rescore_submission
from tests.images import upload_file
from triage import services as triage
from triage.seed import seed as seed_levels

pytestmark = pytest.mark.django_db
C = "/api/v1/conversations/"


@pytest.fixture(autouse=True)
def _levels(db):
    seed_levels()


@pytest.fixture
def sent(monkeypatch):
    """What reaches the broker (its client is the one boundary replaced here)."""
    calls: list[list] = []
    monkeypatch.setattr(rescore_submission, "apply_async", lambda args, **kw: calls.append(list(args)))
    return calls


def _done_submission(patient) -> Submission:
    submission = diagnosis.submission_create(patient=patient, image=upload_file(), bleed="no")
    Prediction.objects.create(
        submission=submission,
        model_version="t",
        ranked=[["nevus", 0.9], ["melanoma", 0.1]],
        top="nevus",
        inference_ms=1.0,
        context={"bleed": False},
    )
    Submission.objects.filter(pk=submission.pk).update(status="done")
    submission.refresh_from_db()
    triage.case_assess_submission(submission=submission)
    return submission


def test_an_answer_that_changes_the_context_requests_a_rescore_after_commit(
    patient_alice, sent, django_capture_on_commit_callbacks
):
    # given
    submission = _done_submission(patient_alice)
    conversation = chat.conversation_start(patient=patient_alice, submission=submission)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        chat.conversation_reply(conversation=conversation, text="it bleeds")
    # then
    assert sent == [[submission.pk]]


def test_an_answer_the_model_does_not_use_requests_nothing(patient_alice, sent, django_capture_on_commit_callbacks):
    # given
    submission = _done_submission(patient_alice)
    conversation = chat.conversation_start(patient=patient_alice, submission=submission)
    # when: how long it has been there is not part of the model's context
    with django_capture_on_commit_callbacks(execute=True):
        chat.conversation_reply(conversation=conversation, text="about 3 weeks")
    # then
    assert sent == []


def test_repeating_an_answer_already_given_requests_nothing_more(
    patient_alice, sent, django_capture_on_commit_callbacks
):
    # given
    submission = _done_submission(patient_alice)
    conversation = chat.conversation_start(patient=patient_alice, submission=submission)
    with django_capture_on_commit_callbacks(execute=True):
        chat.conversation_reply(conversation=conversation, text="it bleeds")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        chat.conversation_reply(conversation=conversation, text="yes it bleeds")
    # then
    assert sent == [[submission.pk]]


def test_a_chat_without_a_photo_requests_nothing(patient_alice, sent, django_capture_on_commit_callbacks):
    conversation = chat.conversation_start(patient=patient_alice)
    with django_capture_on_commit_callbacks(execute=True):
        chat.conversation_reply(conversation=conversation, text="it bleeds")
    assert sent == []


def test_a_broker_outage_does_not_break_the_chat(
    api_as, patient_alice, monkeypatch, django_capture_on_commit_callbacks
):
    # given: the broker refuses every message
    def refuse(*args, **kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(rescore_submission, "apply_async", refuse)
    submission = _done_submission(patient_alice)
    client = api_as(patient_alice)
    conversation = client.post(C, {"submission": submission.pk}, format="json").json()
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"{C}{conversation['id']}/messages/", {"text": "it bleeds"}, format="json")
    # then
    assert callbacks, "the re-score was requested"
    assert response.status_code == 200 and response.json()["reply"]
    assert Message.objects.filter(conversation_id=conversation["id"], sender="patient", text="it bleeds").exists()
