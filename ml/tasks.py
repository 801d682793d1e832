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


@shared_task(
    name="ml.tasks.classify_submission",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError, InterfaceError, OSError),
    retry_backoff=2,
    retry_backoff_max=30,
    max_retries=3,
    soft_time_limit=30,
    time_limit=45,
)
def classify_submission(self, submission_id: int) -> str:
    """Gate, classify and triage one submission. Safe to run twice: a final one is skipped."""
    from diagnosis import services as diagnosis
    from ml.gate import MESSAGES, GateResult, check_image
    from ml.serving import active_classifier
    from triage.services import case_assess_submission

    submission = diagnosis.submission_start(submission_id=submission_id)
    if submission is None:
        return "skipped"
    try:
        classifier = active_classifier()
        with submission.image.open("rb") as fh, Image.open(fh) as image:
            image.load()
            # Cheap pixel checks first; the model's own out-of-distribution score comes with the
            # one prediction below, so the image is never run through the model twice.
            gate = check_image(image, model_check=False)
            result = classifier.predict(image, heatmap=True) if gate.ok else None
        if gate.ok and result.out_of_distribution:
            gate = GateResult(ok=False, code="not_skin", message=MESSAGES["not_skin"])
        # The result and its triage case land together: no one ever sees a finished submission
        # that has no level yet.
        with transaction.atomic():
            if not gate.ok:
                diagnosis.submission_reject(submission=submission, message=gate.message)
            else:
                diagnosis.submission_record_prediction(
                    submission=submission, result=result, thresholds=classifier.thresholds
                )
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


def _fail(submission_id: int) -> None:
    from diagnosis import services as diagnosis
    from triage.services import case_assess_submission

    with transaction.atomic():
        submission = diagnosis.submission_fail(submission_id=submission_id)
        if submission is not None:
            case_assess_submission(submission=submission)
