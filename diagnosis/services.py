"""Writes on submissions: create from an upload, move through queued -> processing -> final."""

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from diagnosis.images import ImageRejected, sanitise_image
from diagnosis.models import SYMPTOM_QUESTIONS, Prediction, Submission, SubmissionPhoto

log = logging.getLogger(__name__)


class DuplicateUpload(Exception):
    """The patient sent this photo a moment ago; ``submission`` is the one it made then."""

    def __init__(self, submission: Submission):
        super().__init__(f"same photo as submission {submission.pk}")
        self.submission = submission


class ExtraPhotoRejected(ImageRejected):
    """One of the extra photos is not acceptable; the message names which one. Nothing is stored."""

    def __init__(self, rejected: ImageRejected, position: int):
        message = gettext("Extra photo %(n)s: %(why)s") % {"n": position, "why": rejected.message}
        super().__init__(message, rejected.code, rejected.status)
        self.position = position


_ANSWER_FIELDS = frozenset({"dermoscope", "diameter_mm", *SYMPTOM_QUESTIONS})

# Stored in English; shown in the reader's language (templates and the API translate it).
FAILED_MESSAGE = gettext_noop(
    "We could not assess this photo because of a problem on our side. A nurse has been told; "
    "you do not need to do anything. If the lesion worries you, contact your doctor."
)

DUPLICATE_MESSAGE = gettext_noop(
    "You sent this photo a moment ago, so we kept the first one rather than make a second request. This is its result."
)


def _enqueue(submission_id: int) -> None:
    """Send the classification task; if the broker is down the sweeper re-queues it later."""
    from ml.tasks import classify_submission

    try:
        classify_submission.apply_async(args=[submission_id], retry=False)
    except Exception as exc:  # the database row is the source of truth, not the broker
        log.warning("broker unavailable, submission %s waits for the sweeper: %s", submission_id, exc)


def _enqueue_rescore(submission_id: int) -> None:
    from ml.tasks import rescore_submission

    try:
        rescore_submission.apply_async(args=[submission_id], retry=False)
    except Exception as exc:  # a lost re-score only delays the model's view; the chat goes on
        log.warning("broker unavailable, submission %s not re-scored: %s", submission_id, exc)


def submission_request_rescore(*, submission_id: int) -> None:
    """Re-score the photo with the patient's new answers once the current transaction commits."""
    transaction.on_commit(lambda: _enqueue_rescore(submission_id))


def submission_create(
    *,
    patient,
    image,
    body_site: str = "",
    symptoms: str = "",
    dermoscope: bool = False,
    itch: str = "",
    grew: str = "",
    hurt: str = "",
    changed: str = "",
    bleed: str = "",
    elevation: str = "",
    diameter_mm: float | None = None,
    screen: Mapping[str, str] | None = None,
    extra_images: Sequence = (),
) -> Submission:
    """Validate and sanitise the photo, store it privately with the answers, queue classification.

    screen holds the red-flag screen's answers ({"fever": "yes", ...}, chatbot.engine.screen ids);
    a "yes" on an emergency sign opens a level-1 case at once, before any model result.
    Raises django.core.exceptions.ValidationError for an invalid answer and
    diagnosis.images.ImageRejected for an unusable file, both before anything is stored, and
    DuplicateUpload (holding the earlier submission) when the patient sent the same photo within
    DUPLICATE_UPLOAD_SECONDS: nothing new is stored then either.

    extra_images: up to SubmissionPhoto.MAX_PER_SUBMISSION more photos of the same spot (a
    context photo, another angle), sanitised like the close-up; the model classifies only the
    close-up. One bad extra photo refuses the whole upload (ExtraPhotoRejected), nothing stored.
    """
    from chatbot.engine.screen import validate as validate_screen

    try:
        screen_answers = validate_screen(screen or {})
    except ValueError as exc:
        raise ValidationError({"screen": [str(exc)]}) from None
    answers = {"itch": itch, "grew": grew, "hurt": hurt, "changed": changed, "bleed": bleed, "elevation": elevation}
    submission = Submission(
        patient=patient,
        body_site=body_site or "",
        symptoms=(symptoms or "").strip(),
        dermoscope=bool(dermoscope),
        diameter_mm=diameter_mm,
        screen=screen_answers,
        **{question: value or "" for question, value in answers.items()},
    )
    # The forms and the API check these already; this keeps any other caller honest.
    submission.clean_fields(exclude=[f.name for f in Submission._meta.fields if f.name not in _ANSWER_FIELDS])
    extra_images = [f for f in extra_images or () if f is not None]
    if len(extra_images) > SubmissionPhoto.MAX_PER_SUBMISSION:
        raise ValidationError(
            {"extra_images": [_too_many_extras_message()]},
            code="too_many_extra_images",
        )
    clean = sanitise_image(image)
    # Every photo is checked before any is stored: nothing half-stored when one is bad.
    clean_extras = []
    for position, extra in enumerate(extra_images, start=1):
        try:
            clean_extras.append(sanitise_image(extra))
        except ImageRejected as exc:
            raise ExtraPhotoRejected(exc, position) from None
    submission.image_sha256 = clean.sha256
    submission.width, submission.height = clean.width, clean.height
    window = settings.DUPLICATE_UPLOAD_SECONDS
    if window:
        submission.dedupe_sha256 = clean.sha256
        if (earlier := _recent_duplicate(submission)) is not None:
            raise DuplicateUpload(earlier)
    stored_names: list[str] = []
    try:
        with transaction.atomic():
            if window:
                # First statement of the transaction, and a write: it takes the row locks
                # (PostgreSQL) or the database's write lock (SQLite) before anything is read.
                # An earlier identical upload whose window has closed gives up its claim.
                Submission.objects.filter(
                    patient=patient,
                    dedupe_sha256=clean.sha256,
                    created_at__lt=timezone.now() - timedelta(seconds=window),
                ).update(dedupe_sha256="")
            submission.image.save("upload.jpg", ContentFile(clean.content), save=False)
            stored_names.append(submission.image.name)
            try:
                with transaction.atomic():
                    submission.save()
            except IntegrityError:
                # The unique (patient, dedupe_sha256) constraint: a concurrent identical upload
                # committed first. Its row is what this request answers with.
                earlier = _recent_duplicate(submission)
                if earlier is None:
                    raise
                raise DuplicateUpload(earlier) from None
            for position, extra in enumerate(clean_extras, start=1):
                photo = SubmissionPhoto(
                    submission=submission,
                    position=position,
                    width=extra.width,
                    height=extra.height,
                    image_sha256=extra.sha256,
                )
                photo.image.save("extra.jpg", ContentFile(extra.content), save=False)
                stored_names.append(photo.image.name)
                photo.save()
            from triage.services import case_open_for_red_flags

            case_open_for_red_flags(submission=submission)
            transaction.on_commit(lambda: _enqueue(submission.pk))
    except Exception:
        # Nothing half-stored: a file without its row is removed.
        for name in stored_names:
            submission.image.storage.delete(name)
        raise
    return submission


def _too_many_extras_message() -> str:
    return gettext("You can add at most %(n)s extra photos.") % {"n": SubmissionPhoto.MAX_PER_SUBMISSION}


def _recent_duplicate(submission: Submission) -> Submission | None:
    """The patient's earlier submission of the same photo whose duplicate window is still open."""
    since = timezone.now() - timedelta(seconds=settings.DUPLICATE_UPLOAD_SECONDS)
    return (
        Submission.objects.filter(
            patient=submission.patient, dedupe_sha256=submission.dedupe_sha256, created_at__gte=since
        )
        .order_by("-created_at")
        .first()
    )


def submission_stored_files(submissions) -> list[tuple]:
    """(storage, name) of every file stored for these submissions: photos (the close-up and the
    extra ones) and heat maps."""
    files = []
    for submission in submissions.select_related("prediction").prefetch_related("extra_photos"):
        prediction = getattr(submission, "prediction", None)
        fields = [submission.image, prediction.heatmap if prediction else None]
        fields += [photo.image for photo in submission.extra_photos.all()]
        for field in fields:
            if field:
                files.append((field.storage, field.name))
    return files


def submission_export_files(submission: Submission) -> list[tuple]:
    """(file field, name in the archive) of every photo and heat map of one submission, for the
    patient's data export: photos/<id>.jpg, photos/<id>-extra-<n>.jpg, heatmaps/<id>.png."""
    prediction = getattr(submission, "prediction", None)
    files = [(submission.image, f"photos/{submission.pk}.jpg")]
    files += [(p.image, f"photos/{submission.pk}-extra-{p.position}.jpg") for p in submission.extra_photos.all()]
    files.append((prediction.heatmap if prediction else None, f"heatmaps/{submission.pk}.png"))
    return [(field, name) for field, name in files if field]


def stored_files_delete_on_commit(files) -> None:
    """Remove stored files once the rows that point at them are gone for good.

    Through the storage API, so it works on any backend (file system, S3); after commit, so a
    rolled-back deletion never loses a photo its row still points at.
    """

    def remove() -> None:
        for storage, name in files:
            try:
                storage.delete(name)
            except Exception:  # one unreachable file must not keep the others on disk
                log.exception("could not delete stored file %s", name)

    transaction.on_commit(remove)


def submissions_delete(*, submissions, by) -> int:
    """Delete submissions with their predictions, cases and chats, their files too; audited.

    The one way rows and files of a submission go (Django admin, single and bulk); returns how
    many were deleted.
    """
    from portal.models import AuditEvent

    with transaction.atomic():
        rows = list(submissions.select_for_update().values_list("pk", "patient_id"))
        chosen = Submission.objects.filter(pk__in=[pk for pk, _ in rows])
        files = submission_stored_files(chosen)
        chosen.delete()
        AuditEvent.objects.bulk_create(
            AuditEvent(
                action=AuditEvent.Action.SUBMISSION_DELETED,
                user_id_value=patient_id,
                actor_id_value=getattr(by, "pk", None),
                detail={"submission": pk},
            )
            for pk, patient_id in rows
        )
        stored_files_delete_on_commit(files)
    return len(rows)


def submission_start(*, submission_id: int) -> Submission | None:
    """Claim a submission for processing; None when it is already final (the task ran before)."""
    with transaction.atomic():
        submission = Submission.objects.select_for_update().filter(pk=submission_id).select_related("patient").first()
        if submission is None or submission.is_final:
            return None
        submission.status = Submission.Status.PROCESSING
        submission.attempts += 1
        submission.save(update_fields=["status", "attempts", "updated_at"])
    return submission


def _result_fields(result) -> dict:
    """The Prediction columns that come from one InferenceResult (not the heat map)."""
    return {
        "model_version": result.model_version,
        "ranked": [[code, round(float(p), 6)] for code, p in result.ranked],
        "top": result.top,
        "uncertain": result.uncertain,
        "thresholds": {code: float(t) for code, t in result.thresholds.items()},
        "inference_ms": round(result.inference_ms, 3),
        "photo_kind": result.photo_kind,
        # None: the model has no photo-kind detector, and its one (dermoscopic) head applied.
        "kind_probability": None if result.kind_probability is None else round(float(result.kind_probability), 6),
        # Through JSON once, so a later comparison with the stored value compares like with like.
        "context": json.loads(json.dumps(dict(result.context_used))),
    }


@transaction.atomic
def submission_record_prediction(*, submission: Submission, result) -> Prediction:
    """Save the model's result (replacing one from an earlier, interrupted run) and finish."""
    earlier = Prediction.objects.filter(submission=submission)
    # The heat map of an interrupted run would stay on disk with no row pointing at it.
    stale = [(p.heatmap.storage, p.heatmap.name) for p in earlier if p.heatmap]
    earlier.delete()
    prediction = Prediction(submission=submission, **_result_fields(result))
    if result.heatmap_png:
        prediction.heatmap.save("heatmap.png", ContentFile(result.heatmap_png), save=False)
    prediction.save()
    stored_files_delete_on_commit([(storage, name) for storage, name in stale if name != prediction.heatmap.name])
    _finish(submission, Submission.Status.DONE, "")
    return prediction


@transaction.atomic
def submission_rescore_prediction(*, submission: Submission, result, context: dict) -> Prediction | None:
    """Replace the prediction's scores with a re-run on new answers; the heat map stays.

    ``context`` is what the re-run was given. None (nothing changed) when the answers have moved
    on since (a newer re-score will write), or the model used the same answers as before.
    """
    from diagnosis.context import submission_context

    prediction = Prediction.objects.select_for_update().filter(submission=submission).first()
    if prediction is None or submission_context(submission) != context:
        return None
    fields = _result_fields(result)
    if fields["context"] == prediction.context:
        return None
    # Only the model's scores change; the version, timing and heat map of the first run stay.
    fields.pop("model_version")
    fields.pop("inference_ms")
    for name, value in fields.items():
        setattr(prediction, name, value)
    prediction.save(update_fields=list(fields))
    return prediction


def submission_reject(*, submission: Submission, message: str) -> Submission:
    """The photo cannot be assessed (unusable or not a skin lesion); the message says what to do."""
    return _finish(submission, Submission.Status.REJECTED, message)


def submission_fail(*, submission_id: int, message: str = FAILED_MESSAGE) -> Submission | None:
    submission = Submission.objects.filter(pk=submission_id).first()
    if submission is None or submission.is_final:
        return submission
    return _finish(submission, Submission.Status.FAILED, message)


def _finish(submission: Submission, status: str, error: str) -> Submission:
    submission.status, submission.error, submission.finished_at = status, error, timezone.now()
    submission.save(update_fields=["status", "error", "finished_at", "updated_at"])
    return submission


def submissions_renew_lease(*, submission_ids) -> int:
    """A live worker vouches for the submissions it is processing (see portal.worker)."""
    return Submission.objects.filter(pk__in=list(submission_ids), status=Submission.Status.PROCESSING).update(
        updated_at=timezone.now()
    )


def submissions_recover_expired_leases(*, older_than_seconds: float, max_attempts: int = 3) -> list[int]:
    """Re-queue (or, after max_attempts, fail) submissions in processing that no live worker has
    vouched for lately: the worker that took them died."""
    return submissions_requeue_stuck(
        older_than_seconds=older_than_seconds, max_attempts=max_attempts, statuses=[Submission.Status.PROCESSING]
    )


def submissions_requeue_stuck(*, older_than_seconds: float, max_attempts: int = 3, statuses=None) -> list[int]:
    """Re-queue submissions stuck in queued/processing (lost task, dead worker, broker outage)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    statuses = statuses or [Submission.Status.QUEUED, Submission.Status.PROCESSING]
    stuck = list(Submission.objects.filter(status__in=statuses, updated_at__lt=cutoff).values_list("pk", "attempts"))
    requeued = []
    for pk, attempts in stuck:
        if attempts >= max_attempts:
            from triage.services import case_assess_submission

            with transaction.atomic():
                submission = submission_fail(submission_id=pk)
                if submission is not None:
                    case_assess_submission(submission=submission)
            continue
        # Back to queued and touched, so the next sweep waits a full period before trying again;
        # unless it finished or a worker renewed its lease since it was read.
        touched = Submission.objects.filter(pk=pk, status__in=statuses, updated_at__lt=cutoff).update(
            status=Submission.Status.QUEUED, updated_at=timezone.now()
        )
        if not touched:
            continue
        _enqueue(pk)
        requeued.append(pk)
    return requeued
