"""Periodic triage jobs (Celery beat)."""

from celery import shared_task
from django.conf import settings


@shared_task(name="triage.tasks.sweep_stuck_submissions", ignore_result=True)
def sweep_stuck_submissions() -> int:
    """Re-queue submissions whose task was lost (dead worker, broker outage)."""
    from diagnosis.services import submissions_requeue_stuck

    return len(submissions_requeue_stuck(older_than_seconds=settings.SUBMISSION_STUCK_SECONDS))


@shared_task(name="triage.tasks.flag_overdue_cases", ignore_result=True)
def flag_overdue_cases() -> int:
    """Flag cases past their target and alert the nurses on duty."""
    from triage.services import cases_flag_overdue

    return len(cases_flag_overdue())
