"""Periodic operations tasks (scheduled by settings.OPS_BEAT_SCHEDULE)."""

from celery import shared_task


@shared_task(name="ops.tasks.check_drift", ignore_result=True)
def check_drift() -> str:
    """Compare live level-2 and refusal shares with the model card; e-mail staff on drift."""
    from ops.drift import drift_check_and_alert

    return drift_check_and_alert()
