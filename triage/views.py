"""Nurse pages: the dashboard (queue) and the case page with one URL per action."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
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
    # Every open case is reachable: pages of PAGE_SIZE, or all of them on one page.
    show_all = request.GET.get("show") == "all"
    paginator = Paginator(cases, max(cases.count(), 1) if show_all else PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("show", None)
    return {
        "rows": [_with_time_left(row) for row in presenters.queue_rows(page.object_list)],
        "page": page,
        "show_all": show_all,
        "query": query.urlencode(),
        "total": paginator.count,
        "counts": [(lvl, levels.get(lvl), counts.get(lvl, 0)) for lvl in (1, 2, 3, 4)],
        "filters": {"level": level or "", "status": status or "", "mine": bool(request.GET.get("mine"))},
    }


def _with_time_left(row: dict) -> dict:
    """The page's words for a row: minutes left before the target (negative when overdue)."""
    target = row["target_minutes"]
    return {**row, "left_minutes": None if target is None else target - row["waiting_minutes"]}


def _next_case(request: HttpRequest, after: Case) -> Case | None:
    """The most urgent open case this nurse may take: unclaimed or already theirs."""
    return (
        selectors.queue_open_cases()
        .exclude(pk=after.pk)
        .filter(Q(assigned_to__isnull=True) | Q(assigned_to=request.user))
        .first()
    )


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
    services.case_record_view(case=case, by=request.user, what=services.Viewed.CASE)
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
            "events": selectors.case_timeline(case=case),
            "earlier": earlier,
            "level_form": LevelForm(initial={"level": case.level}),
            "close_form": CloseForm(),
            "levels": selectors.level_settings(),
            "photo_kind": Prediction.PhotoKind(prediction["photo_kind"]).label if prediction.get("photo_kind") else "",
            "model_answers": context_summary(prediction.get("context") or {}),
            "upload_answers": answers_summary(case.submission) if case.submission_id else [],
            # Forms only for the nurse who may act; a "next case" once this one is closed.
            "can_act": case.is_open and case.assigned_to_id == request.user.pk,
            "next_case": _next_case(request, case) if not case.is_open else None,
        },
    )


def _act(request: HttpRequest, case_id: int, action, done: str = "") -> HttpResponse:
    case = case_for_staff(request.user, case_id)
    try:
        action(case)
    except services.CaseConflict:
        messages.error(request, _("Another nurse holds this case."))
    except services.CaseClosed:
        messages.error(request, _("This case is closed."))
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        # Say what happened: the nurse sees the action took.
        if done:
            messages.success(request, done % {"id": case.pk})
    return redirect("triage:case", case_id=case.pk)


@login_required
@require_POST
def case_claim(request: HttpRequest, case_id: int) -> HttpResponse:
    return _act(
        request, case_id, lambda case: services.case_claim(case=case, by=request.user), _("You claimed case #%(id)s.")
    )


@login_required
@require_POST
def case_release(request: HttpRequest, case_id: int) -> HttpResponse:
    return _act(
        request,
        case_id,
        lambda case: services.case_release(case=case, by=request.user),
        _("You released case #%(id)s; it is back in the queue."),
    )


@login_required
@require_POST
def case_level(request: HttpRequest, case_id: int) -> HttpResponse:
    return _act_with_form(
        request,
        case_id,
        LevelForm,
        services.case_change_level,
        _("Choose a level and give a reason."),
        _("Case #%(id)s: level changed."),
    )


@login_required
@require_POST
def case_close(request: HttpRequest, case_id: int) -> HttpResponse:
    return _act_with_form(
        request, case_id, CloseForm, services.case_close, _("Choose an outcome."), _("Case #%(id)s closed.")
    )


def _act_with_form(
    request: HttpRequest, case_id: int, form_class, service, invalid_message: str, done: str = ""
) -> HttpResponse:
    """Validate the action's form, then run the service on the case (access checked either way)."""
    form = form_class(request.POST)
    if not form.is_valid():
        case_for_staff(request.user, case_id)
        messages.error(request, invalid_message)
        return redirect("triage:case", case_id=case_id)
    return _act(request, case_id, lambda case: service(case=case, by=request.user, **form.cleaned_data), done)
