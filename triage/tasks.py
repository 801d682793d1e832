"""Periodic triage jobs (Celery beat)."""

from celery import shared_task
from django.conf import settings


@shared_task(name="triage.tasks.sweep_stuck_submissions", ignore_result=True)
def sweep_stuck_submissions() -> int:
    """Re-queue submissions whose task was lost (dead worker, broker outage)."""
    from diagnosis.services import submissions_requeue_stuck

    return len(submissions_requeue_stuck(older_than_seconds=settings.SUBMISSION_STUCK_SECONDS))
