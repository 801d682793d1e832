"""The custom user: one account type with a role, plus the optional facts triage uses."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


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

    class Contact(models.TextChoices):
        PHONE = "phone", _("Phone call")
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("Text message (SMS)")

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PATIENT, db_index=True)
    # One field for the whole name: names around the world do not split into first and last.
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    phone = PhoneNumberField(_("phone"), blank=True)
    preferred_contact = models.CharField(_("preferred contact"), max_length=8, choices=Contact.choices, blank=True)
    year_of_birth = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=16, choices=Sex.choices, blank=True)
    skin_type = models.PositiveSmallIntegerField(
        _("skin type (Fitzpatrick)"), choices=SkinType.choices, null=True, blank=True
    )

    objects = SkinTriageUserManager()

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name()

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


class Consent(models.Model):
    """One consent a patient gave to one version of the privacy notice; withdrawing stamps it."""

    class Kind(models.TextChoices):
        PHOTOS = "photos", _("Store my photos and answers")
        CONTACT = "contact", _("Be contacted by the clinic")

    class Source(models.TextChoices):
        SIGNUP = "signup", _("Sign-up page")
        CONSENT_PAGE = "consent_page", _("Consent page")
        PROFILE = "profile", _("Profile page")
        API = "api", _("API")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    version = models.CharField(_("privacy notice version"), max_length=32)
    given_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-given_at", "-id"]
        indexes = [models.Index(fields=["user", "kind", "withdrawn_at"], name="consent_current")]

    def __str__(self) -> str:
        state = "withdrawn" if self.withdrawn_at else "given"
        return f"{self.kind} v{self.version} {state} by user {self.user_id}"
