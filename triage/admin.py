from django.contrib import admin

from triage.models import Case, CaseEvent, TriageLevel


@admin.register(TriageLevel)
class TriageLevelAdmin(admin.ModelAdmin):
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
class CaseAdmin(admin.ModelAdmin):
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
