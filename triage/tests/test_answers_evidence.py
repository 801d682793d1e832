"""The patient's answers reach the triage policy: from the upload form and from the chat."""

import pytest

from chatbot import services as chat
from diagnosis import services as diagnosis
from diagnosis.models import Prediction, Submission
from tests.images import upload_file
from triage import services
from triage.seed import seed as seed_levels

pytestmark = pytest.mark.django_db
BENIGN = [["nevus", 0.95], ["dermatofibroma", 0.05]]


@pytest.fixture(autouse=True)
def _levels(db):
    seed_levels()


def _done(patient, **answers) -> Submission:
    submission = diagnosis.submission_create(patient=patient, image=upload_file(), **answers)
    Prediction.objects.create(
        submission=submission, model_version="t", ranked=BENIGN, top="nevus", inference_ms=1.0, context={}
    )
    Submission.objects.filter(pk=submission.pk).update(status="done")
    submission.refresh_from_db()
    return submission


def test_form_answers_that_it_bled_and_grew_make_a_benign_looking_photo_urgent(patient_alice):
    # given: the model fused no answers (a dermoscopic photo), but the patient gave them
    calm = services.case_assess_submission(submission=_done(patient_alice, bleed="no", grew="yes"))
    # when
    worrying = services.case_assess_submission(submission=_done(patient_alice, bleed="yes", grew="yes"))
    # then
    assert worrying.level < calm.level
    assert any("bleeding lesion that has grown" in r for r in worrying.reasons)


def test_a_chat_answer_that_it_bleeds_raises_the_open_case_at_once(patient_alice):
    # given
    submission = _done(patient_alice, grew="yes", bleed="no")
    case = services.case_assess_submission(submission=submission)
    level_before = case.level
    conversation = chat.conversation_start(patient=patient_alice, submission=submission)
    # when
    chat.conversation_reply(conversation=conversation, text="it bleeds")
    # then
    case.refresh_from_db()
    assert case.level < level_before
    assert any("bleeding lesion that has grown" in r for r in case.reasons), case.reasons
    assert case.events.filter(kind="reassessed").exists()
