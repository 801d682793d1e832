"""Operational records of the ops app: the drift alerts that were sent."""

from django.db import models


class DriftAlert(models.Model):
    """One drift e-mail sent to the staff; the newest one enforces "at most once a day"."""

    sent_at = models.DateTimeField(db_index=True)
    # What was measured against what the model card expects, e.g. {"level2_share": {...}}.
    findings = models.JSONField(default=dict)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"drift alert {self.sent_at:%Y-%m-%d %H:%M}"
