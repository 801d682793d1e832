from django.contrib import admin

from chatbot.models import Conversation, Faq, Message


@admin.register(Faq)
class FaqAdmin(admin.ModelAdmin):
    list_display = ("question", "slug", "is_published", "updated_at")
    list_filter = ("is_published",)
    search_fields = ("question", "answer", "slug")
    prepopulated_fields = {"slug": ("question",)}


class MessageInline(admin.TabularInline):
    model = Message
    readonly_fields = ("created_at", "sender", "text", "meta")
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "patient", "submission", "urgency", "seven_point_score", "created_at")
    list_filter = ("urgency",)
    readonly_fields = ("patient", "submission", "case", "urgency", "red_flags", "seven_point_score", "reasons", "state")
    inlines = [MessageInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
