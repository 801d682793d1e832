"""Patient pages: upload, result (updates itself), history, comparison, printable report."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from chatbot.selectors import conversation_prompt, conversations_for_submission
from diagnosis import presenters, selectors, services
from diagnosis.access import submission_for_user
from diagnosis.forms import UploadForm
from diagnosis.images import ImageRejected, thumbnail_jpeg
from diagnosis.models import Submission
from portal.ratelimits import limit_retry_after, too_many_requests
from triage.services import Viewed, submission_record_view


def _patient_only(request: HttpRequest) -> None:
    if not request.user.is_patient:
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    _patient_only(request)
    # Photos are stored only with the patient's consent to the privacy notice in force.
    from portal.accounts.views import upload_consent_redirect

    if consent_needed := upload_consent_redirect(request):
        return consent_needed
    form = UploadForm(request.POST or None, request.FILES or None)
    # The same per-user counter as the API's: counted before anything is read or stored.
    if request.method == "POST" and (retry_after := limit_retry_after(request, scope="upload")):
        return too_many_requests(request, retry_after)
    if request.method == "POST" and form.is_valid():
        try:
            submission = services.submission_create(patient=request.user, **form.cleaned_data)
        except services.ExtraPhotoRejected as exc:
            # The whole upload is refused (nothing stored); the message names the extra photo.
            form.add_error("extra_images", exc.message)
        except ImageRejected as exc:
            form.add_error("image", exc.message)
        except services.DuplicateUpload as exc:
            # A double tap or a resend: the photo is already with us; show what it made.
            messages.info(request, gettext(services.DUPLICATE_MESSAGE))
            return redirect("diagnosis:result", submission_id=exc.submission.pk)
        else:
            return redirect("diagnosis:result", submission_id=submission.pk)
    status = 400 if form.errors else 200
    return render(request, "diagnosis/upload.html", {"form": form}, status=status)


def _result_context(submission: Submission) -> dict:
    prediction = getattr(submission, "prediction", None) if submission.status == Submission.Status.DONE else None
    ranked, top_diseases, names = [], [], {}
    if prediction is not None:
        diseases = selectors.diseases_by_code(code for code, _ in prediction.ranked)
        names = {code: d.name for code, d in diseases.items()}
        ranked = presenters.ranked_with_names(prediction, names)
        for row in ranked:
            row["percent"] = round(row["probability"] * 100, 1)
        # The content of the top result and of every other class above 10%: what a patient
        # should read about, not only the single most likely one.
        shown = [r["code"] for r in ranked if r["probability"] >= 0.10] or [ranked[0]["code"]]
        top_diseases = [diseases[c] for c in shown[:3] if c in diseases]
        for disease in top_diseases:
            # A red "seek emergency care" box only where the content names real emergency signs;
            # "these growths are not an emergency" is shown plainly.
            disease.emergency_alarm = presenters.emergency_signs_alarm(disease)
    triage = presenters.patient_triage(submission, prediction, names)
    final = submission.status in (Submission.Status.DONE, Submission.Status.REJECTED, Submission.Status.FAILED)
    return {
        "submission": submission,
        "prediction": prediction,
        "ranked": ranked,
        # The three most likely first and prominent; the rest folded away.
        "ranked_top": ranked[:3],
        "ranked_more": ranked[3:],
        "top_diseases": top_diseases,
        "triage": triage,
        "emergency": bool(triage and triage["level"] == 1),
        # The page stops polling once the submission is final and its case (if any) exists.
        "settled": final and triage is not None,
    }


@login_required
@require_GET
def result(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = submission_for_user(request.user, submission_id)
    submission_record_view(submission=submission, by=request.user, what=Viewed.RESULT)
    context = _result_context(submission)
    conversation = conversations_for_submission(submission=submission).filter(patient=request.user).last()
    context["conversation"] = conversation
    context["chat_prompt"] = conversation_prompt(conversation=conversation) if conversation else {}
    return render(request, "diagnosis/result.html", context)


@login_required
@require_GET
def result_fragment(request: HttpRequest, submission_id: int) -> HttpResponse:
    """The result panel alone; the result page polls it until the submission is final."""
    submission = submission_for_user(request.user, submission_id)
    submission_record_view(submission=submission, by=request.user, what=Viewed.RESULT)
    response = render(request, "diagnosis/_result_panel.html", _result_context(submission))
    response["X-Submission-Status"] = submission.status
    return response


@login_required
@require_GET
def report(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = submission_for_user(request.user, submission_id)
    submission_record_view(submission=submission, by=request.user, what=Viewed.REPORT)
    return render(request, "diagnosis/report.html", _result_context(submission))


@login_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    _patient_only(request)
    submissions = list(selectors.submissions_for_patient(patient=request.user))
    names = presenters.class_names()
    for s in submissions:
        prediction = getattr(s, "prediction", None) if s.status == Submission.Status.DONE else None
        s.top_name = presenters.class_name(prediction.top, names) if prediction else None
    by_site: dict[str, list[Submission]] = {}
    for s in submissions:
        if s.body_site:
            by_site.setdefault(s.body_site, []).append(s)
    comparable = {site: items for site, items in by_site.items() if len(items) >= 2}
    return render(request, "diagnosis/history.html", {"submissions": submissions, "comparable": comparable})


@login_required
@require_GET
def compare(request: HttpRequest) -> HttpResponse:
    """Two photos of the same body site side by side, older on the left (follow-up)."""
    _patient_only(request)
    first = submission_for_user(request.user, request.GET.get("a"))
    second = submission_for_user(request.user, request.GET.get("b"))
    older, newer = sorted([first, second], key=lambda s: s.created_at)
    return render(request, "diagnosis/compare.html", {"sides": [_result_context(older), _result_context(newer)]})


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def image(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = submission_for_user(request.user, submission_id)
    submission_record_view(submission=submission, by=request.user, what=Viewed.PHOTO)
    return _private(FileResponse(submission.image.open("rb"), content_type="image/jpeg"))


@login_required
@require_GET
def extra_image(request: HttpRequest, submission_id: int, position: int) -> HttpResponse:
    """An extra photo of the spot: the same access and audit as the close-up."""
    submission = submission_for_user(request.user, submission_id)
    photo = submission.extra_photos.filter(position=position).first()
    if photo is None or not photo.image:
        raise Http404
    submission_record_view(submission=submission, by=request.user, what=Viewed.PHOTO)
    return _private(FileResponse(photo.image.open("rb"), content_type="image/jpeg"))


@login_required
@require_GET
def thumbnail(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = submission_for_user(request.user, submission_id)
    # The thumbnail is the photo, smaller: one "photo" row covers both within the window.
    submission_record_view(submission=submission, by=request.user, what=Viewed.PHOTO)
    with submission.image.open("rb") as fh:
        return _private(HttpResponse(thumbnail_jpeg(fh), content_type="image/jpeg"))


@login_required
@require_GET
def heatmap(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = submission_for_user(request.user, submission_id)
    prediction = getattr(submission, "prediction", None)
    if prediction is None or not prediction.heatmap:
        raise Http404
    submission_record_view(submission=submission, by=request.user, what=Viewed.HEATMAP)
    return _private(FileResponse(prediction.heatmap.open("rb"), content_type="image/png"))
