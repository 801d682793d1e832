from django.contrib import admin
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from diagnosis import services
from diagnosis.models import SYMPTOM_QUESTIONS, Disease, Prediction, Submission
from triage.admin import StaffReadAuditMixin


@admin.register(Disease)
class DiseaseAdmin(TranslationAdmin):
    """The content in every language side by side (name_en, name_es, ...); an empty Spanish
    field is shown to Spanish readers in English."""

    list_display = ("name", "code", "severity", "is_model_class", "timeframe", "updated_at")
    list_filter = ("severity", "is_model_class")
    search_fields = ("name", "code", "summary", "causes", "action")
    readonly_fields = ("patient_preview", "updated_at")
    fieldsets = (
        (None, {"fields": ("code", "name", "is_model_class", "severity")}),
        (
            _("Content for patients"),
            {"fields": ("summary", "causes", "typical_look", "action", "timeframe", "emergency_signs", "references")},
        ),
        (_("Preview: how the patient sees it"), {"fields": ("patient_preview", "updated_at")}),
    )

    @admin.display(description=_("patient view"))
    def patient_preview(self, obj):
        if not obj.pk:
            return _("Save to see the preview.")
        # The same partial the result page uses, so the preview cannot drift from the real page.
        return render_to_string("diagnosis/_disease_card.html", {"disease": obj})


class PredictionInline(admin.StackedInline):
    model = Prediction
    can_delete = False
    readonly_fields = (
        "model_version",
        "top",
        "uncertain",
        "ranked",
        "thresholds",
        "photo_kind",
        "kind_probability",
        "context",
        "inference_ms",
        "created_at",
    )
    exclude = ("heatmap",)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Submission)
class SubmissionAdmin(StaffReadAuditMixin, admin.ModelAdmin):
    """Read-only: submissions are patient data, changed only by the product's own flows."""

    list_display = ("id", "patient", "status", "body_site", "created_at")
    list_filter = ("status", "body_site")
    search_fields = ("patient__username",)
    readonly_fields = (
        "uid",
        "patient",
        "status",
        "error",
        "body_site",
        "symptoms",
        "dermoscope",
        *SYMPTOM_QUESTIONS,
        "diameter_mm",
        "width",
        "height",
        "image_sha256",
        "attempts",
        "created_at",
        "finished_at",
    )
    exclude = ("image",)
    inlines = [PredictionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    # Deleting here goes through the product's service: the photo and heat map leave storage
    # and an audit row says who deleted what (Django's own delete would leave both on disk).
    def delete_model(self, request, obj):
        services.submissions_delete(submissions=Submission.objects.filter(pk=obj.pk), by=request.user)

    def delete_queryset(self, request, queryset):
        services.submissions_delete(submissions=queryset, by=request.user)

    def audited_case(self, obj):
        return getattr(obj, "case", None)
