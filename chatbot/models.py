"""Conversations with the triage chatbot, their messages, and admin-managed FAQ entries."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Faq(models.Model):
    """A question-and-answer entry the chatbot may answer from (admins edit these)."""

    slug = models.SlugField(max_length=80, unique=True)
    question = models.CharField(max_length=300)
    answer = models.TextField()
    keywords = models.JSONField(default=list, blank=True, help_text=_("Extra words patients may use."))
    references = models.JSONField(default=list, blank=True)
    is_published = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["question"]
        verbose_name = "FAQ entry"
        verbose_name_plural = "FAQ entries"

    def __str__(self) -> str:
        return self.question


class Conversation(models.Model):
    class Urgency(models.TextChoices):
        EMERGENCY = "emergency", _("Emergency")
        URGENT = "urgent", _("Urgent")
        SOON = "soon", _("Soon")
        ROUTINE = "routine", _("Routine")

    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations")
    submission = models.ForeignKey(
        "diagnosis.Submission", on_delete=models.CASCADE, null=True, blank=True, related_name="conversations"
    )
    # A chat without a photo that raised a red flag gets a case of its own.
    case = models.ForeignKey("triage.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    state = models.JSONField(default=dict, blank=True)
    urgency = models.CharField(max_length=16, choices=Urgency.choices, blank=True)
    red_flags = models.JSONField(default=list, blank=True)
    seven_point_score = models.PositiveSmallIntegerField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    # The patient's language when the chat started ("es", or "de" for a browser asking for a
    # language the site does not speak): the bot keeps answering in it.
    language = models.CharField(max_length=16, default="en", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Conversation {self.pk}"


class Message(models.Model):
    class Sender(models.TextChoices):
        BOT = "bot", _("Assistant")
        PATIENT = "patient", _("Patient")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField(max_length=8, choices=Sender.choices)
    text = models.TextField(max_length=2000)
    meta = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.sender}: {self.text[:40]}"
