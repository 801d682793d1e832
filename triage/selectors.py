"""Reads on triage: the queue, level settings."""

from django.db.models import QuerySet

from triage.models import Case, CaseEvent, TriageLevel


def level_settings() -> dict[int, TriageLevel]:
    """The four level rows keyed by number (a handful of rows; read per request)."""
    return {row.level: row for row in TriageLevel.objects.all()}


def queue_open_cases() -> QuerySet[Case]:
    """Open cases, most urgent first: level ascending, then arrival (first come, first served)."""
    return (
        Case.objects.exclude(status=Case.Status.CLOSED)
        .select_related("submission__prediction", "assigned_to", "patient", "level_set_by")
        .order_by("level", "created_at", "id")
    )


def case_timeline(*, case: Case) -> QuerySet[CaseEvent]:
    """The case's clinical history (opened, levels, claims, closure); staff reads are audit only."""
    return case.events.exclude(kind=CaseEvent.Kind.VIEWED).select_related("actor")
