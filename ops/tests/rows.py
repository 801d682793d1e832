"""Rows as the worker leaves them (submission, prediction, case), for the ops tests."""

from datetime import timedelta

from django.utils import timezone

from diagnosis.models import MODEL_CLASSES, Prediction, Submission
from ml.gate import MESSAGES
from triage.models import Case


def finished(
    patient,
    *,
    status: str = Submission.Status.DONE,
    level: int | None = 4,
    top: str = "nevus",
    confidence: float = 0.8,
    kind: str = Prediction.PhotoKind.CLINICAL,
    inference_ms: float = 7.0,
    seconds: float = 1.5,
    gate_code: str = "too_dark",
    age: timedelta = timedelta(minutes=1),
    case_status: str = Case.Status.WAITING,
) -> Submission:
    """A submission that finished `age` ago, `seconds` after its upload, with what the worker writes."""
    finished_at = timezone.now() - age
    submission = Submission.objects.create(
        patient=patient,
        image="submissions/00/none.jpg",
        status=status,
        error=MESSAGES[gate_code] if status == Submission.Status.REJECTED else "",
    )
    # auto_now_add ignores a given value; an update sets the real times.
    Submission.objects.filter(pk=submission.pk).update(
        created_at=finished_at - timedelta(seconds=seconds), finished_at=finished_at
    )
    if status == Submission.Status.DONE:
        rest = (1 - confidence) / (len(MODEL_CLASSES) - 1)
        ranked = [[top, confidence]] + [[c, rest] for c in MODEL_CLASSES if c != top]
        prediction = Prediction.objects.create(
            submission=submission,
            model_version="test-v1",
            ranked=ranked,
            top=top,
            inference_ms=inference_ms,
            photo_kind=kind,
        )
        Prediction.objects.filter(pk=prediction.pk).update(created_at=finished_at)
    if level is not None:
        case = Case.objects.create(patient=patient, submission=submission, level=level, status=case_status)
        Case.objects.filter(pk=case.pk).update(created_at=finished_at)
    submission.refresh_from_db()
    return submission
