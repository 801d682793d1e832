"""Checks on the identity a patient gives, shared by the web forms and the API."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The identity fields a clinic may insist on (settings.PATIENT_REQUIRED_FIELDS).
IDENTITY_FIELDS = ("full_name", "date_of_birth", "phone", "email", "preferred_contact")
OLDEST_AGE = 120


def patient_required_fields() -> tuple[str, ...]:
    required = tuple(settings.PATIENT_REQUIRED_FIELDS)
    unknown = set(required) - set(IDENTITY_FIELDS)
    if unknown:
        raise ImproperlyConfigured(
            f"PATIENT_REQUIRED_FIELDS: unknown {sorted(unknown)}; choose from {', '.join(IDENTITY_FIELDS)}"
        )
    return required


def date_of_birth_validate(value) -> None:
    """Not in the future and not more than OLDEST_AGE years ago."""
    if value is None:
        return
    today = timezone.localdate()
    if value > today:
        raise ValidationError(_("The date of birth cannot be in the future."), code="future")
    if today.year - value.year > OLDEST_AGE:
        raise ValidationError(_("Enter a date of birth less than %(n)s years ago.") % {"n": OLDEST_AGE}, code="too_old")
