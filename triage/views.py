"""Nurse pages: the dashboard (queue) and the case page with one URL per action."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from diagnosis.models import Prediction
from diagnosis.presenters import answers_summary, context_summary
from triage import presenters, selectors, services
from triage.access import case_for_staff
from triage.api import case_detail
from triage.forms import CloseForm, LevelForm
from triage.models import Case

PAGE_SIZE = 50


def _staff_only(request: HttpRequest) -> None:
    if not request.user.can_triage:
        raise PermissionDenied


def _dashboard_context(request: HttpRequest) -> dict:
    cases = selectors.queue_open_cases()
    level = request.GET.get("level")
    status = request.GET.get("status")
    if level in {"1", "2", "3", "4"}:
        cases = cases.filter(level=int(level))
    if status in {Case.Status.WAITING, Case.Status.IN_REVIEW}:
        cases = cases.filter(status=status)
    if request.GET.get("mine"):
        cases = cases.filter(assigned_to=request.user)
    counts = dict(
        selectors.queue_open_cases().order_by().values_list("level").annotate(n=Count("id")).values_list("level", "n")
    )
    levels = selectors.level_settings()
    return {
        "rows": presenters.queue_rows(cases[:PAGE_SIZE]),
        "total": cases.count(),
        "counts": [(lvl, levels.get(lvl), counts.get(lvl, 0)) for lvl in (1, 2, 3, 4)],
        "filters": {"level": level or "", "status": status or "", "mine": bool(request.GET.get("mine"))},
    }


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    return render(request, "triage/dashboard.html", _dashboard_context(request))


@login_required
@require_GET
def dashboard_rows(request: HttpRequest) -> HttpResponse:
    """The queue table alone; the dashboard refreshes it without a full reload."""
    _staff_only(request)
    return render(request, "triage/_queue.html", _dashboard_context(request))


@login_required
@require_GET
def case_page(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_for_staff(request.user, case_id)
    detail = case_detail(case)
    prediction = detail["prediction"] or {}
    earlier = (
        case.patient.submissions.exclude(pk=case.submission_id)
        .select_related("prediction")
        .order_by("-created_at")[:10]
    )
    return render(
        request,
        "triage/case.html",
        {
            "case": case,
            "detail": detail,
            "events": case.events.select_related("actor"),
            "earlier": earlier,
            "level_form": LevelForm(initial={"level": case.level}),
            "close_form": CloseForm(),
            "levels": selectors.level_settings(),
            "photo_kind": Prediction.PhotoKind(prediction["photo_kind"]).label if prediction.get("photo_kind") else "",
            "model_answers": context_summary(prediction.get("context") or {}),
            "upload_answers": answers_summary(case.submission) if case.submission_id else [],
        },
    )


def _act(request: HttpRequest, case_id: int, action) -> HttpResponse:
    case = case_for_staff(request.user, case_id)
    try:
        action(case)
    except services.CaseConflict:
        messages.error(request, _("Another nurse holds this case."))
    except services.CaseClosed:
        messages.error(request, _("This case is closed."))
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect("triage:case", case_id=case.pk)


@login_required
@require_POST
def case_claim(request: HttpRequest, case_id: int) -> HttpResponse:
    return _act(request, case_id, lambda case: services.case_claim(case=case, by=request.user))


@login_required
@require_POST
def case_release(request: HttpRequest, case_id: int) -> HttpResponse:
    return _act(request, case_id, lambda case: services.case_release(case=case, by=request.user))


@login_required
@require_POST
def case_level(request: HttpRequest, case_id: int) -> HttpResponse:
    return _act_with_form(
        request, case_id, LevelForm, services.case_change_level, _("Choose a level and give a reason.")
    )


@login_required
@require_POST
def case_close(request: HttpRequest, case_id: int) -> HttpResponse:
    return _act_with_form(request, case_id, CloseForm, services.case_close, _("Choose an outcome."))


def _act_with_form(request: HttpRequest, case_id: int, form_class, service, invalid_message: str) -> HttpResponse:
    """Validate the action's form, then run the service on the case (access checked either way)."""
    form = form_class(request.POST)
    if not form.is_valid():
        case_for_staff(request.user, case_id)
        messages.error(request, invalid_message)
        return redirect("triage:case", case_id=case_id)
    return _act(request, case_id, lambda case: service(case=case, by=request.user, **form.cleaned_data))
