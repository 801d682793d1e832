from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Consent, User
from portal.accounts.services import account_delete


class ConsentReadOnly:
    """Consents are the patient's own acts: admins read them, only the patient gives or withdraws.

    Shown inline on the user, not as a model admin of their own: Django admin asks a registered
    model admin before cascading, and a locked one would stop the GDPR deletion of the account.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ConsentInline(ConsentReadOnly, admin.TabularInline):
    model = Consent
    extra = 0
    fields = readonly_fields = ("kind", "version", "given_at", "withdrawn_at", "source", "ip")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "role", "is_active", "is_staff", "date_joined", "last_login")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("username", "email", "full_name", "first_name", "last_name", "phone")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Identity and contact"), {"fields": ("full_name", "date_of_birth", "phone", "preferred_contact")}),
        (_("Role and profile"), {"fields": ("role", "year_of_birth", "sex", "skin_type")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Role"), {"fields": ("role", "email")}),
    )

    inlines = [ConsentInline]

    # Deleting an account here is the same deletion as the patient's own (GDPR): photos and heat
    # maps leave storage and the audit row names the admin who did it.
    def delete_model(self, request, obj):
        account_delete(user=obj, by=request.user)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for user in queryset:
            account_delete(user=user, by=request.user)
