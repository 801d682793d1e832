"""Operational rows of the portal itself."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker proved it can reach the database; shown in /healthz."""

    hostname = models.CharField(max_length=255, unique=True)
    model_version = models.CharField(max_length=64, blank=True)
    # Why the worker could not load the active model, if it could not; empty when it is serving.
    model_error = models.CharField(max_length=500, blank=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.hostname} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"


class AuditEvent(models.Model):
    """Account-level actions kept after the account itself is gone (data export, deletions)."""

    class Action(models.TextChoices):
        DATA_EXPORTED = "data_exported", "Data exported"
        ACCOUNT_DELETED = "account_deleted", "Account deleted"
        STAFF_CREATED = "staff_created", "Staff account created"
        SUBMISSION_DELETED = "submission_deleted", "Submission deleted"
        CONSENT_GIVEN = "consent_given", "Consent given"
        CONSENT_WITHDRAWN = "consent_withdrawn", "Consent withdrawn"

    action = models.CharField(max_length=32, choices=Action.choices)
    # Not a foreign key: the row must outlive a deleted account. No personal data beyond the id.
    user_id_value = models.BigIntegerField()
    actor_id_value = models.BigIntegerField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action} user {self.user_id_value}"
