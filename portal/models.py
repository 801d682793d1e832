"""Operational rows of the portal itself."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker proved it can reach the database; shown in /healthz."""

    hostname = models.CharField(max_length=255, unique=True)
    model_version = models.CharField(max_length=64, blank=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.hostname} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
