"""Periodic portal tasks."""

import socket

from celery import shared_task
from django.utils import timezone

from portal.models import WorkerHeartbeat


@shared_task(name="portal.tasks.worker_heartbeat", ignore_result=True)
def worker_heartbeat(hostname: str | None = None) -> str:
    """Record that a worker is alive; idempotent (one row per host, updated in place)."""
    host = hostname or socket.gethostname()
    WorkerHeartbeat.objects.update_or_create(hostname=host, defaults={"seen_at": timezone.now()})
    return host
