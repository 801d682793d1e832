"""Reads on accounts: which consents a patient holds, and who the patient is for the clinic."""

from datetime import date

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from portal.accounts.models import Consent, User

# The API's answer to an upload without consent (the web pages send the patient to /accounts/consent/).
PHOTO_CONSENT_REQUIRED = (
    "Consent to store photos is missing or was given to an older privacy notice: read /about/privacy/ and"
    ' give it (POST /api/v1/auth/consents/ {"kind": "photos", "given": true}) before uploading.'
)


def consent_active(*, user: User, kind: str) -> Consent | None:
    """The consent of this kind the patient holds now, or None.

    Consent to store photos must be to the notice in force (a new version asks again); consent
    to be contacted stands until withdrawn.
    """
    rows = Consent.objects.filter(user=user, kind=kind, withdrawn_at__isnull=True)
    if kind == Consent.Kind.PHOTOS:
        rows = rows.filter(version=settings.PRIVACY_NOTICE_VERSION)
    return rows.order_by("-given_at", "-id").first()


def photo_consent_given(*, user: User) -> bool:
    return consent_active(user=user, kind=Consent.Kind.PHOTOS) is not None


def contact_allowed_user_ids(*, user_ids) -> set[int]:
    """Of these patients, the ones who consent to be contacted (one query for a queue page)."""
    return set(
        Consent.objects.filter(user_id__in=set(user_ids), kind=Consent.Kind.CONTACT, withdrawn_at__isnull=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


def consent_history(*, user: User) -> QuerySet[Consent]:
    return Consent.objects.filter(user=user).order_by("given_at", "id")


def consent_state(*, user: User) -> dict:
    """Per kind: whether it is held now, and what the patient last did (for the profile page)."""
    state = {}
    for kind in Consent.Kind:
        active = consent_active(user=user, kind=kind)
        last = Consent.objects.filter(user=user, kind=kind).order_by("-given_at", "-id").first()
        state[kind.value] = {
            "kind": kind.value,
            "label": kind.label,
            "given": active is not None,
            "given_at": active.given_at if active else None,
            "version": active.version if active else None,
            "withdrawn_at": last.withdrawn_at if last and not active else None,
            # A photo consent to an older notice: the patient must read the new one.
            "outdated": bool(kind == Consent.Kind.PHOTOS and not active and last and not last.withdrawn_at),
        }
    return state


def age_on(born: date | None, today: date | None = None) -> int | None:
    if born is None:
        return None
    today = today or timezone.localdate()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def patient_identity(*, user: User, contact_allowed: bool | None = None) -> dict:
    """Who the patient is and how the clinic may reach them, as nurses and the report show it.

    Without consent to be contacted (never given or withdrawn) the phone and e-mail are left out
    and the patient is marked "do not contact".
    """
    if contact_allowed is None:
        contact_allowed = consent_active(user=user, kind=Consent.Kind.CONTACT) is not None
    age = age_on(user.date_of_birth)
    if age is None and user.year_of_birth:
        age = timezone.localdate().year - user.year_of_birth
    phone = user.phone if contact_allowed and user.phone else None
    return {
        "name": user.get_full_name(),
        "username": user.username,
        "date_of_birth": user.date_of_birth,
        "age": age,
        "phone": phone.as_international if phone else "",
        "phone_e164": phone.as_e164 if phone else "",
        "email": user.email if contact_allowed else "",
        "preferred_contact": user.get_preferred_contact_display() if contact_allowed else "",
        "do_not_contact": not contact_allowed,
    }
