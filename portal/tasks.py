"""Periodic portal tasks."""

from celery import shared_task
from django.utils import timezone

from portal.models import WorkerHeartbeat


def worker_alive(*, hostname: str) -> None:
    """Record that this worker is alive, leaving what it said about the model as it was."""
    updated = WorkerHeartbeat.objects.filter(hostname=hostname).update(seen_at=timezone.now())
    if not updated:
        WorkerHeartbeat.objects.get_or_create(hostname=hostname, defaults={"seen_at": timezone.now()})


def worker_report(*, hostname: str | None = None, model_version: str = "", model_error: str = "") -> str:
    """Record that this worker is alive and whether it can serve the active model."""
    from portal.worker import node_name

    host = hostname or node_name()
    WorkerHeartbeat.objects.update_or_create(
        hostname=host,
        defaults={"seen_at": timezone.now(), "model_version": model_version, "model_error": model_error[:500]},
    )
    return host


@shared_task(name="portal.tasks.worker_heartbeat", ignore_result=True)
def worker_heartbeat(hostname: str | None = None) -> str:
    """Prove the worker reaches the database and can load the active model; idempotent."""
    from ml import registry
    from ml.serving import active_classifier

    try:
        version, error = active_classifier().version, ""
    except registry.ModelUnavailable as exc:
        version, error = "", str(exc)
    return worker_report(hostname=hostname, model_version=version, model_error=error)
