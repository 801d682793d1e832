"""Reads on submissions and disease content."""

from django.db.models import QuerySet

from diagnosis.models import Disease, Submission


def submissions_for_patient(*, patient) -> QuerySet[Submission]:
    return (
        Submission.objects.filter(patient=patient).select_related("prediction", "case").order_by("-created_at", "-id")
    )


def diseases_by_code(codes) -> dict[str, Disease]:
    return {d.code: d for d in Disease.objects.filter(code__in=list(codes))}
