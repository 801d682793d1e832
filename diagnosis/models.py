"""Disease content (edited by admins), lesion submissions and their predictions."""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ml.labels import LABELS

# The eight classes the model predicts; fixed codes used everywhere (DESIGN.md).
MODEL_CLASSES = tuple(LABELS)

# The yes/no questions asked with the upload; the same names as the model's context keys.
SYMPTOM_QUESTIONS = ("itch", "grew", "hurt", "changed", "bleed", "elevation")
DIAMETER_MM_MIN, DIAMETER_MM_MAX = 0.5, 200.0


class Disease(models.Model):
    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MODERATE = "moderate", _("Moderate")
        HIGH = "high", _("High")
        CRITICAL = "critical", _("Critical")

    code = models.SlugField(
        max_length=64, unique=True, help_text=_("Model class code, or a new code for content only.")
    )
    name = models.CharField(max_length=120)
    is_model_class = models.BooleanField(default=False, help_text=_("The classifier can predict this condition."))
    summary = models.TextField(_("what it is"))
    causes = models.TextField(_("causes and risk factors"), blank=True)
    typical_look = models.TextField(_("typical look"), blank=True)
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.LOW)
    action = models.TextField(_("what to do"))
    timeframe = models.CharField(_("how soon to see a professional"), max_length=200)
    emergency_signs = models.TextField(_("when to seek emergency care"), blank=True)
    references = models.JSONField(default=list, blank=True, help_text=_('A list of {"title": ..., "url": ...}.'))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def is_translated(self, language: str | None = None) -> bool:
        """True when an admin has written this page in language (the active one by default).

        With django-modeltranslation (diagnosis/translation.py) self.summary etc. read the
        active language and fall back to English; pages can say so when this is False.
        """
        from django.utils.translation import get_language

        code = (language or get_language() or "en").split("-")[0]
        return bool(getattr(self, f"summary_{code}", None))


def submission_upload_to(instance: "Submission", filename: str) -> str:
    # Random names: a file name must never reveal who uploaded it or when.
    return f"submissions/{instance.uid.hex[:2]}/{instance.uid.hex}.jpg"


def heatmap_upload_to(instance: "Prediction", filename: str) -> str:
    return f"heatmaps/{instance.submission.uid.hex[:2]}/{instance.submission.uid.hex}.png"


class Submission(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        PROCESSING = "processing", _("Processing")
        DONE = "done", _("Done")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")

    class BodySite(models.TextChoices):
        SCALP = "scalp", _("Scalp")
        FACE = "face", _("Face")
        EAR = "ear", _("Ear")
        NECK = "neck", _("Neck")
        CHEST = "chest", _("Chest")
        BACK = "back", _("Back")
        ABDOMEN = "abdomen", _("Abdomen")
        UPPER_LIMB = "upper_limb", _("Arm")
        HAND = "hand", _("Hand")
        LOWER_LIMB = "lower_limb", _("Leg")
        FOOT = "foot", _("Foot")
        GENITAL = "genital", _("Genital area")
        OTHER = "other", _("Other")

    class Answer(models.TextChoices):
        YES = "yes", _("Yes")
        NO = "no", _("No")
        UNSURE = "unsure", _("Not sure")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions")
    # No width_field/height_field: Django would then open the file on every row it loads (the
    # queue lists thousands); the sanitiser records the size once instead.
    image = models.ImageField(upload_to=submission_upload_to)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    image_sha256 = models.CharField(max_length=64, blank=True)
    # The photo's hash while a repeat of it counts as a duplicate (DUPLICATE_UPLOAD_SECONDS), then
    # cleared: unique per patient, so twenty identical uploads racing each other make one row.
    dedupe_sha256 = models.CharField(max_length=64, blank=True, default="", editable=False)
    body_site = models.CharField(max_length=16, choices=BodySite.choices, blank=True)
    symptoms = models.TextField(max_length=2000, blank=True)
    # The patient's answers, part of the model's context. A blank answer was not given.
    dermoscope = models.BooleanField(_("taken through a dermatoscope?"), default=False)
    itch = models.CharField(_("does it itch?"), max_length=8, choices=Answer.choices, blank=True)
    grew = models.CharField(_("has it grown?"), max_length=8, choices=Answer.choices, blank=True)
    hurt = models.CharField(_("does it hurt?"), max_length=8, choices=Answer.choices, blank=True)
    changed = models.CharField(_("has it changed?"), max_length=8, choices=Answer.choices, blank=True)
    bleed = models.CharField(_("has it bled?"), max_length=8, choices=Answer.choices, blank=True)
    elevation = models.CharField(_("is it raised?"), max_length=8, choices=Answer.choices, blank=True)
    diameter_mm = models.FloatField(
        _("size across (mm)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(DIAMETER_MM_MIN), MaxValueValidator(DIAMETER_MM_MAX)],
    )
    # The red-flag screen answered with the upload (chatbot/engine/screen.py question ids):
    # {"fever": "yes", "glass_test": "no", ...}; an unanswered question is absent.
    screen = models.JSONField(_("red-flag screen answers"), default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "-created_at"]), models.Index(fields=["status", "updated_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "dedupe_sha256"],
                condition=~models.Q(dedupe_sha256=""),
                name="submission_one_photo_per_window",
            )
        ]

    def __str__(self) -> str:
        return f"Submission {self.pk} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.REJECTED, self.Status.FAILED)


def extra_photo_upload_to(instance: "SubmissionPhoto", filename: str) -> str:
    # Its own random name, like the close-up's: nothing in it links it to the patient or the time.
    return f"submissions/{instance.uid.hex[:2]}/{instance.uid.hex}.jpg"


class SubmissionPhoto(models.Model):
    """An extra photo of the submission's spot (a context photo showing where on the body, or
    another angle). Sanitised and stored like the close-up, shown to the patient and the nurse;
    the model classifies the close-up (Submission.image) only."""

    # Beside the close-up: enough for "where is it" and another angle, little to store.
    MAX_PER_SUBMISSION = 2

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="extra_photos")
    position = models.PositiveSmallIntegerField(help_text=_("1 for the first extra photo, 2 for the second."))
    image = models.ImageField(upload_to=extra_photo_upload_to)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    image_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submission", "position"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "position"], name="submission_photo_one_per_position")
        ]

    def __str__(self) -> str:
        return f"Extra photo {self.position} of submission {self.submission_id}"


class Prediction(models.Model):
    class PhotoKind(models.TextChoices):
        DERMOSCOPIC = "dermoscopic", _("Dermoscopic")
        CLINICAL = "clinical", _("Phone photo (clinical)")

    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="prediction")
    model_version = models.CharField(max_length=64)
    ranked = models.JSONField(help_text="[[code, probability], ...] descending, all classes")
    top = models.CharField(max_length=64)
    uncertain = models.BooleanField(default=False)
    # The per-class thresholds of the model that made this prediction, kept for the audit trail.
    thresholds = models.JSONField(default=dict, blank=True)
    inference_ms = models.FloatField()
    # What the model's photo-kind detector saw, and P(dermoscopic) behind it.
    photo_kind = models.CharField(max_length=16, choices=PhotoKind.choices, blank=True)
    kind_probability = models.FloatField(null=True, blank=True)
    # The patient's answers the model actually used (normalised), kept for the audit trail.
    context = models.JSONField(default=dict, blank=True)
    heatmap = models.ImageField(upload_to=heatmap_upload_to, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.top} ({self.model_version})"

    @property
    def probabilities(self) -> dict[str, float]:
        return {code: p for code, p in self.ranked}
