"""Celery tasks of the ml app. Thin: take an id, load the row, call services."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init
from django.db import DatabaseError, InterfaceError, transaction
from PIL import Image

from ml import registry

log = logging.getLogger(__name__)


@worker_process_init.connect
def _load_model_after_fork(**kwargs) -> None:
    """Load the model in each worker child after the fork, so the first task is fast."""
    from ml.serving import active_classifier

    try:
        active_classifier()
    except Exception as exc:  # health and tasks report it; the worker must still start
        log.error("model not loaded at start: %s", exc)


# Both photo tasks: redelivered if a worker dies mid-task, retried on database/file errors.
_PHOTO_TASK = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (DatabaseError, InterfaceError, OSError),
    "retry_backoff": 2,
    "retry_backoff_max": 30,
    "soft_time_limit": 30,
    "time_limit": 45,
}


@shared_task(name="ml.tasks.classify_submission", max_retries=3, **_PHOTO_TASK)
def classify_submission(self, submission_id: int) -> str:
    """Gate, classify and triage one submission. Safe to run twice: a final one is skipped."""
    from diagnosis import services as diagnosis
    from diagnosis.context import submission_context
    from ml.gate import MESSAGES, GateResult, check_image
    from ml.serving import active_classifier
    from triage.services import case_assess_submission

    submission = diagnosis.submission_start(submission_id=submission_id)
    if submission is None:
        return "skipped"
    try:
        classifier = active_classifier()
        context = submission_context(submission)
        with submission.image.open("rb") as fh, Image.open(fh) as image:
            image.load()
            # Cheap pixel checks first; the model's own out-of-distribution score comes with the
            # one prediction below, so the image is never run through the model twice.
            gate = check_image(image, model_check=False)
            result = classifier.predict(image, heatmap=True, context=context) if gate.ok else None
        if gate.ok and result.out_of_distribution:
            gate = GateResult(ok=False, code="not_skin", message=MESSAGES["not_skin"])
        # The result and its triage case land together: no one ever sees a finished submission
        # that has no level yet.
        with transaction.atomic():
            if not gate.ok:
                diagnosis.submission_reject(submission=submission, message=gate.message)
            else:
                diagnosis.submission_record_prediction(submission=submission, result=result)
            case_assess_submission(submission=submission)
        return "done" if gate.ok else "rejected"
    except registry.ModelUnavailable as exc:
        log.error("submission %s failed: %s", submission_id, exc)
        _fail(submission_id)
        return "failed"
    except SoftTimeLimitExceeded:
        _fail(submission_id)
        return "failed"
    except (DatabaseError, InterfaceError, OSError):
        if self.request.retries >= self.max_retries:
            _fail(submission_id)
            return "failed"
        raise
    except Exception:
        log.exception("submission %s failed", submission_id)
        _fail(submission_id)
        return "failed"


@shared_task(name="ml.tasks.rescore_submission", max_retries=5, **_PHOTO_TASK)
def rescore_submission(self, submission_id: int) -> str:
    """Re-run the model on an open case's photo with the patient's current answers.

    Safe to run twice: the prediction only changes when the answers the model uses changed.
    """
    outcome = _rescore(self, submission_id)
    log.info("submission %s re-score: %s", submission_id, outcome)
    return outcome


def _rescore(task, submission_id: int) -> str:
    from diagnosis import services as diagnosis
    from diagnosis.context import submission_context
    from diagnosis.models import Submission
    from ml.serving import active_classifier
    from triage.services import case_reassess

    submission = Submission.objects.select_related("patient", "prediction", "case").filter(pk=submission_id).first()
    if submission is not None and submission.status == Submission.Status.PROCESSING:
        # The worker may have read the answers before this chat turn committed: wait for it.
        if task.request.retries >= task.max_retries:
            return "skipped"
        raise task.retry(countdown=5)
    if submission is None or submission.status != Submission.Status.DONE:
        return "skipped"
    prediction, case = getattr(submission, "prediction", None), getattr(submission, "case", None)
    if prediction is None or case is None or not case.is_open:
        return "skipped"
    try:
        classifier = active_classifier()
    except registry.ModelUnavailable as exc:
        log.error("submission %s not re-scored: %s", submission_id, exc)
        return "failed"
    if classifier.version != prediction.model_version:
        # Scores from another model beside the first one's heat map would misstate the record.
        log.info(
            "submission %s not re-scored: made by %s, %s is active",
            submission_id,
            prediction.model_version,
            classifier.version,
        )
        return "skipped"
    context = submission_context(submission)
    with submission.image.open("rb") as fh, Image.open(fh) as image:
        image.load()
        result = classifier.predict(image, heatmap=False, context=context)
    with transaction.atomic():
        updated = diagnosis.submission_rescore_prediction(submission=submission, result=result, context=context)
        if updated is not None:
            case_reassess(case=case)
    return "rescored" if updated is not None else "unchanged"


def _fail(submission_id: int) -> None:
    from diagnosis import services as diagnosis
    from triage.services import case_assess_submission

    with transaction.atomic():
        submission = diagnosis.submission_fail(submission_id=submission_id)
        if submission is not None:
            case_assess_submission(submission=submission)
