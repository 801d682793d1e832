from django.contrib import admin, messages
from django.utils.html import format_html_join

from ml import registry
from ml.models import ModelVersion


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("version", "active", "balanced_accuracy", "melanoma_recall", "registered_at")
    list_filter = ("active",)
    readonly_fields = ("version", "path", "sha256", "registered_at", "per_class_recall", "metrics", "thresholds")
    fields = ("version", "active", "path", "sha256", "registered_at", "per_class_recall", "thresholds", "metrics")
    actions = ["activate"]

    @staticmethod
    def _test(obj) -> dict:
        return (obj.metrics or {}).get("test", obj.metrics or {})

    @admin.display(description="balanced acc. (test)")
    def balanced_accuracy(self, obj):
        return self._test(obj).get("balanced_accuracy")

    @admin.display(description="melanoma recall (test)")
    def melanoma_recall(self, obj):
        per_class = self._test(obj).get("per_class", {})
        return (per_class.get("melanoma") or {}).get("recall")

    @admin.display(description="per-class recall (test)")
    def per_class_recall(self, obj):
        per_class = self._test(obj).get("per_class", {})
        rows = [(code, f"{(vals or {}).get('recall', float('nan')):.2f}") for code, vals in per_class.items()]
        return format_html_join("", "<div>{}: {}</div>", rows) or "-"

    @admin.action(description="Activate the selected model")
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one model.", messages.ERROR)
            return
        registry.model_activate(model_version=queryset.get())
        self.message_user(request, "Activated.")

    def has_add_permission(self, request):
        # Versions come from shipped artifacts via register_model, never typed in by hand.
        return False
