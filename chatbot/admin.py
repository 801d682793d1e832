from django.contrib import admin
from django.db.models import Q
from modeltranslation.admin import TranslationAdmin

from chatbot.models import Conversation, Faq, Message
from chatbot.selectors import conversation_case
from triage.admin import StaffReadAuditMixin


@admin.register(Faq)
class FaqAdmin(TranslationAdmin):
    list_display = ("question", "slug", "is_published", "updated_at")
    list_filter = ("is_published",)
    search_fields = ("question", "answer", "slug")
    prepopulated_fields = {"slug": ("question_en",)}


class MessageInline(admin.TabularInline):
    model = Message
    readonly_fields = ("created_at", "sender", "text", "meta")
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Conversation)
class ConversationAdmin(StaffReadAuditMixin, admin.ModelAdmin):
    """Chats linked to a triage case (staff read a conversation only through its case), audited."""

    list_display = ("id", "patient", "submission", "urgency", "seven_point_score", "created_at")
    list_filter = ("urgency",)
    readonly_fields = ("patient", "submission", "case", "urgency", "red_flags", "seven_point_score", "reasons", "state")
    inlines = [MessageInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(Q(case__isnull=False) | Q(submission__case__isnull=False))

    def audited_case(self, obj):
        return conversation_case(conversation=obj)
