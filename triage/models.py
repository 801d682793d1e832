"""Triage levels (admin-editable), cases in the nurses' queue, and their audit trail."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TriageLevel(models.Model):
    """One of the four levels; admins edit names, colours, target times and advice."""

    level = models.PositiveSmallIntegerField(unique=True, choices=[(i, str(i)) for i in range(1, 5)])
    name = models.CharField(max_length=80)
    colour = models.CharField(max_length=7, help_text=_("Hex colour, e.g. #dc3545"))
    target_minutes = models.PositiveIntegerField(help_text=_("Nurse review target, minutes from arrival"))
    patient_advice = models.TextField()

    class Meta:
        ordering = ["level"]

    def __str__(self) -> str:
        return f"{self.level}: {self.name}"


class Case(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        IN_REVIEW = "in_review", _("In review")
        CLOSED = "closed", _("Closed")

    class Outcome(models.TextChoices):
        EMERGENCY_REFERRAL = "emergency_referral", _("Emergency referral")
        URGENT_REFERRAL = "urgent_referral", _("Urgent referral (within 2 weeks)")
        ROUTINE_REFERRAL = "routine_referral", _("Routine referral")
        SELF_CARE = "self_care", _("Self-care and monitoring")

    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cases")
    submission = models.OneToOneField(
        "diagnosis.Submission", on_delete=models.CASCADE, null=True, blank=True, related_name="case"
    )
    level = models.PositiveSmallIntegerField(db_index=True)
    reasons = models.JSONField(default=list, blank=True)
    # A nurse's level change, shown above the automatic reasons until an automatic raise replaces
    # it (the reason is the nurse's working note: staff only, never in the patient's export).
    level_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    level_set_reason = models.TextField(blank=True)
    level_set_at = models.DateTimeField(null=True, blank=True)
    # The level the automatic assessment gave with ``reasons`` (null on cases from before it was kept).
    assessed_level = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WAITING, db_index=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_cases"
    )
    outcome = models.CharField(max_length=32, choices=Outcome.choices, blank=True)
    note = models.TextField(blank=True, help_text=_("Shown to the patient when the case is closed."))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["level", "created_at", "id"]
        indexes = [
            # The queue: open cases by level, then arrival.
            models.Index(fields=["level", "created_at"], name="case_queue_idx", condition=~models.Q(status="closed")),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk} (level {self.level}, {self.status})"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.CLOSED


class CaseEvent(models.Model):
    """Audit row: who did what to a case, when, from what to what, and why."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        REASSESSED = "reassessed", _("Reassessed")
        LEVEL_CHANGED = "level_changed", _("Level changed")
        CLAIMED = "claimed", _("Claimed")
        RELEASED = "released", _("Released")
        CLOSED = "closed", _("Closed")
        VIEWED = "viewed", _("Viewed")
        OVERDUE = "overdue", _("Overdue alert")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    from_value = models.CharField(max_length=64, blank=True)
    to_value = models.CharField(max_length=64, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id}"
