"""The custom user: one account type with a role, plus the optional facts triage uses."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class SkinTriageUserManager(UserManager):
    """Creates users with a role; admins get Django admin access, nobody else does."""

    def create_user(self, username, email=None, password=None, **extra_fields):
        role = extra_fields.setdefault("role", User.Role.PATIENT)
        if role == User.Role.ADMIN:
            extra_fields.setdefault("is_staff", True)
            extra_fields.setdefault("is_superuser", True)
        return super().create_user(username, email, password, **extra_fields)

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", User.Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    class Role(models.TextChoices):
        PATIENT = "patient", _("Patient")
        NURSE = "nurse", _("Nurse")
        ADMIN = "admin", _("Admin")

    class Sex(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other / prefer not to say")

    class SkinType(models.IntegerChoices):
        # Fitzpatrick scale: how the skin reacts to sun, a risk factor for skin cancer.
        I = 1, _("I: always burns, never tans")  # noqa: E741
        II = 2, _("II: usually burns, tans minimally")
        III = 3, _("III: sometimes burns, tans gradually")
        IV = 4, _("IV: burns minimally, tans well")
        V = 5, _("V: rarely burns, tans profusely")
        VI = 6, _("VI: never burns, deeply pigmented")

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PATIENT, db_index=True)
    year_of_birth = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=16, choices=Sex.choices, blank=True)
    skin_type = models.PositiveSmallIntegerField(
        _("skin type (Fitzpatrick)"), choices=SkinType.choices, null=True, blank=True
    )

    objects = SkinTriageUserManager()

    @property
    def is_patient(self) -> bool:
        return self.role == self.Role.PATIENT

    @property
    def is_nurse(self) -> bool:
        return self.role == self.Role.NURSE

    @property
    def is_clinic_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def can_triage(self) -> bool:
        """Nurses and admins work the triage queue."""
        return self.is_active and self.role in (self.Role.NURSE, self.Role.ADMIN)

    @property
    def can_edit_content(self) -> bool:
        """Only admins edit medical content (in Django admin)."""
        return self.is_active and self.role == self.Role.ADMIN and self.is_staff
