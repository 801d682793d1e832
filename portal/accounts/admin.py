from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import User
from portal.accounts.services import account_delete


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "role", "is_active", "is_staff", "date_joined", "last_login")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("username", "email", "first_name", "last_name")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Role and profile"), {"fields": ("role", "year_of_birth", "sex", "skin_type")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Role"), {"fields": ("role", "email")}),
    )

    # Deleting an account here is the same deletion as the patient's own (GDPR): photos and heat
    # maps leave storage and the audit row names the admin who did it.
    def delete_model(self, request, obj):
        account_delete(user=obj, by=request.user)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for user in queryset:
            account_delete(user=user, by=request.user)
