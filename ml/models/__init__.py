"""The model registry. The shipped artifacts live in sub-folders beside this file
(`ml/models/<version>/model.tflite`, `labels.json`, `model_card.json`)."""

from django.db import models


class ModelVersion(models.Model):
    """One trained artifact on disk; exactly one is active and serves predictions."""

    version = models.CharField(max_length=64, unique=True)
    path = models.CharField(max_length=500, help_text="Folder, relative to MODEL_ROOT, or absolute.")
    sha256 = models.CharField(max_length=64)
    metrics = models.JSONField(default=dict, blank=True)
    thresholds = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=False)
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-registered_at"]
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=models.Q(active=True), name="one_active_model"),
        ]

    def __str__(self) -> str:
        return f"{self.version}{' (active)' if self.active else ''}"
