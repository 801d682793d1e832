"""The worker's tasks, run in this process on the real shipped model: answers in, kind and context out."""

import pytest
from celery.exceptions import Retry
from django.utils import timezone
from PIL import Image

from chatbot import services as chat
from diagnosis import services as diagnosis
from diagnosis.context import submission_context
from diagnosis.models import Prediction, Submission
from ml.tasks import classify_submission, rescore_submission
from tests.images import upload_file
from triage.models import Case

pytestmark = pytest.mark.django_db(transaction=True)
FORM_ANSWERS = {"body_site": "face", "itch": "yes", "grew": "yes", "bleed": "no", "hurt": "unsure", "diameter_mm": 7.0}


@pytest.fixture
def profiled_patient(patient_alice):
    patient_alice.year_of_birth, patient_alice.sex, patient_alice.skin_type = timezone.now().year - 63, "male", 2
    patient_alice.save()
    return patient_alice


def _direct_prediction(submission: Submission):
    """What the active model itself says for the stored photo and the submission's context."""
    from ml.serving import active_classifier

    with submission.image.open("rb") as fh, Image.open(fh) as image:
        image.load()
        return active_classifier().predict(image, heatmap=False, context=submission_context(submission))


def _classified(patient, photo) -> Submission:
    submission = diagnosis.submission_create(patient=patient, image=upload_file(photo.read_bytes()), **FORM_ANSWERS)
    assert classify_submission(submission.pk) == "done"
    return Submission.objects.select_related("prediction", "case", "patient").get(pk=submission.pk)


def test_worker_gives_the_model_the_answers_and_stores_its_photo_kind_and_context(
    active_model, profiled_patient, phone_photo
):
    # when
    submission = _classified(profiled_patient, phone_photo)
    # then: the stored prediction is exactly what the model answers for this photo and context
    prediction, expected = submission.prediction, _direct_prediction(submission)
    assert prediction.photo_kind == expected.photo_kind
    assert prediction.photo_kind in Prediction.PhotoKind.values
    if expected.kind_probability is None:  # a model without a photo-kind detector
        assert prediction.kind_probability is None
    else:
        assert prediction.kind_probability == pytest.approx(expected.kind_probability, abs=1e-6)
    assert prediction.context == expected.context_used
    assert prediction.thresholds == pytest.approx(expected.thresholds)
    assert prediction.top == expected.top
    # The model only reports answers it was given, with the values the patient gave.
    given = submission_context(submission)
    assert all(given.get(key) == value for key, value in prediction.context.items()), (prediction.context, given)
    assert submission.case.level in (1, 2, 3, 4)


def test_rescore_after_a_chat_answer_updates_the_context_and_keeps_the_heat_map(
    active_model, profiled_patient, phone_photo
):
    # given: a classified phone photo with an open case; the form said it never bled
    submission = _classified(profiled_patient, phone_photo)
    before = submission.prediction
    level_before = submission.case.level
    conversation = chat.conversation_start(patient=profiled_patient, submission=submission)
    # when
    chat.conversation_reply(conversation=conversation, text="it bleeds")
    outcome = rescore_submission(submission.pk)
    # then
    after = Prediction.objects.get(pk=before.pk)
    expected = _direct_prediction(submission)
    assert after.context == expected.context_used and after.top == expected.top
    if "bleed" in before.context:
        # The model reads this answer for this photo: its new value is now in the scores.
        assert outcome == "rescored"
        assert before.context["bleed"] is False and after.context["bleed"] is True
    else:
        assert outcome == "unchanged" and after.ranked == before.ranked
    assert after.heatmap.name == before.heatmap.name and after.model_version == before.model_version
    # Automatic changes only ever raise the level (a lower number).
    assert Case.objects.get(pk=submission.case.pk).level <= level_before
    # Running it again (a redelivered task) changes nothing more.
    assert rescore_submission(submission.pk) == "unchanged"


def test_rescore_leaves_a_closed_case_alone(active_model, profiled_patient, nurse_nina, phone_photo):
    from triage import services as triage

    # given
    submission = _classified(profiled_patient, phone_photo)
    triage.case_close(case=submission.case, by=nurse_nina, outcome="self_care")
    before = Prediction.objects.get(submission=submission)
    conversation = chat.conversation_start(patient=profiled_patient, submission=submission)
    chat.conversation_reply(conversation=conversation, text="it bleeds")
    # when
    outcome = rescore_submission(submission.pk)
    # then
    assert outcome == "skipped"
    after = Prediction.objects.get(submission=submission)
    assert (after.ranked, after.context) == (before.ranked, before.context)


def test_rescore_waits_for_a_photo_being_classified_and_skips_a_queued_one(patient_alice):
    # given
    submission = diagnosis.submission_create(patient=patient_alice, image=upload_file())
    # when / then: queued: the worker will read the answers when it starts
    assert rescore_submission(submission.pk) == "skipped"
    # when / then: processing: the worker may have read the answers before this turn
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.PROCESSING)
    with pytest.raises(Retry):
        rescore_submission(submission.pk)
