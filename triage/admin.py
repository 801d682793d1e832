from django.contrib import admin
from django.contrib.admin.utils import unquote
from modeltranslation.admin import TranslationAdmin

from triage.models import Case, CaseEvent, TriageLevel
from triage.services import Viewed, case_record_view


class StaffReadAuditMixin:
    """A Django admin page of patient data is a staff read like the product's own pages: it writes
    the same de-duplicated VIEWED row on the case (see triage.services.case_record_view)."""

    def audited_case(self, obj) -> Case | None:
        raise NotImplementedError

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None:
                case_record_view(case=self.audited_case(obj), by=request.user, what=Viewed.ADMIN)
        return response


@admin.register(TriageLevel)
class TriageLevelAdmin(TranslationAdmin):
    """Names and advice in every language side by side (name_en, name_es, ...); an empty Spanish
    field is shown to Spanish readers in English, with a note saying it is not translated yet."""

    list_display = ("level", "name", "colour", "target_minutes")
    ordering = ("level",)

    def has_delete_permission(self, request, obj=None):
        # The four levels are referenced by every case; rename them, never delete them.
        return False


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    readonly_fields = ("created_at", "actor", "kind", "from_value", "to_value", "reason")
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(StaffReadAuditMixin, admin.ModelAdmin):
    """Read-only audit view; nurses act on cases through the dashboard, which logs every action."""

    list_display = ("id", "level", "status", "patient", "assigned_to", "outcome", "created_at")
    list_filter = ("level", "status", "outcome")
    search_fields = ("patient__username",)
    readonly_fields = [f.name for f in Case._meta.fields]
    inlines = [CaseEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def audited_case(self, obj):
        return obj
