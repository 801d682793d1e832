"""Writes on accounts: sign-up and staff creation."""

from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

User = get_user_model()


@transaction.atomic
def patient_register(
    *,
    username: str,
    password: str,
    email: str = "",
    full_name: str = "",
    date_of_birth: date | None = None,
    phone: str = "",
    preferred_contact: str = "",
    consent_photos: bool = False,
    consent_contact: bool = False,
    source: str = "api",
    ip: str | None = None,
) -> User:
    """Create a patient account with the consents given on the form; the username and password
    must pass the sign-up form's rules. The year of birth follows the date of birth."""
    from django.core.exceptions import ValidationError

    from portal.accounts.models import Consent
    from portal.accounts.usernames import username_clean

    try:
        username = username_clean(username)
    except ValidationError as exc:
        raise ValidationError({"username": exc.messages}) from None
    user = User(
        username=username,
        email=email,
        role=User.Role.PATIENT,
        full_name=full_name,
        date_of_birth=date_of_birth,
        year_of_birth=date_of_birth.year if date_of_birth else None,
        phone=phone or "",
        preferred_contact=preferred_contact,
    )
    validate_password(password, user=user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    for kind, given in ((Consent.Kind.PHOTOS, consent_photos), (Consent.Kind.CONTACT, consent_contact)):
        if given:
            consent_give(user=user, kind=kind, source=source, ip=ip)
    return user


@transaction.atomic
def patient_profile_update(*, user: User, **fields) -> User:
    """Save the patient's own profile; the year of birth (the model's context) follows the date."""
    for name, value in fields.items():
        setattr(user, name, value)
    if fields.get("date_of_birth"):
        user.year_of_birth = fields["date_of_birth"].year
    user.save(update_fields=[*fields, *(["year_of_birth"] if fields.get("date_of_birth") else [])])
    return user


@transaction.atomic
def consent_give(*, user: User, kind: str, source: str, ip: str | None = None):
    """Record that the patient consents, to the notice in force; giving it twice keeps one row."""
    from django.conf import settings

    from portal.accounts.models import Consent

    version = settings.PRIVACY_NOTICE_VERSION
    active = Consent.objects.filter(user=user, kind=kind, version=version, withdrawn_at__isnull=True).first()
    if active:
        return active
    consent = Consent.objects.create(user=user, kind=kind, version=version, source=source, ip=ip)
    _audit("consent_given", user_id=user.pk, actor_id=user.pk, kind=kind, version=version, source=source)
    return consent


@transaction.atomic
def consent_withdraw(*, user: User, kind: str, source: str) -> int:
    """Stamp every consent of this kind the patient holds as withdrawn; returns how many."""
    from django.utils import timezone

    from portal.accounts.models import Consent

    withdrawn = Consent.objects.filter(user=user, kind=kind, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )
    if withdrawn:
        _audit("consent_withdrawn", user_id=user.pk, actor_id=user.pk, kind=kind, source=source)
    return withdrawn


def api_token_create(*, user: User) -> tuple[str, datetime]:
    """A new API token for one log-in (one device); returns the token and when it expires."""
    from knox.models import AuthToken

    instance, token = AuthToken.objects.create(user=user)
    return token, instance.expiry


def api_tokens_revoke(*, user: User) -> int:
    """Revoke every API token of the user (all devices); returns how many there were."""
    from knox.models import AuthToken

    deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted


@transaction.atomic
def staff_create(*, username: str, password: str, role: str, email: str = "") -> User:
    """Create a nurse or an admin (admins also get Django admin access)."""
    if role not in (User.Role.NURSE, User.Role.ADMIN):
        raise ValueError(f"staff role must be nurse or admin, not {role!r}")
    user = User.objects.create_user(username=username, password=password, email=email, role=role)
    _audit("staff_created", user_id=user.pk, role=role)
    return user


def _audit(action: str, *, user_id: int, actor_id: int | None = None, **detail) -> None:
    from portal.models import AuditEvent

    AuditEvent.objects.create(action=action, user_id_value=user_id, actor_id_value=actor_id, detail=detail)


def _export_submission(s) -> dict:
    from diagnosis.models import SYMPTOM_QUESTIONS

    prediction = getattr(s, "prediction", None)
    return {
        "id": s.pk,
        "created_at": s.created_at.isoformat(),
        "finished_at": s.finished_at.isoformat() if s.finished_at else None,
        "status": s.status,
        "body_site": s.body_site,
        "symptoms": s.symptoms,
        "answers": {
            "dermoscope": s.dermoscope,
            **{q: getattr(s, q) for q in SYMPTOM_QUESTIONS},
            "diameter_mm": s.diameter_mm,
        },
        "screen": s.screen,
        "error": s.error,
        "photo": f"photos/{s.pk}.jpg" if s.image else None,
        "heatmap": f"heatmaps/{s.pk}.png" if prediction and prediction.heatmap else None,
        "prediction": None
        if prediction is None
        else {
            "model_version": prediction.model_version,
            "ranked": prediction.ranked,
            "top": prediction.top,
            "uncertain": prediction.uncertain,
            "photo_kind": prediction.photo_kind,
            "created_at": prediction.created_at.isoformat(),
        },
    }


def _export_case_event(event) -> dict:
    """One step of a case's history. Staff are named by role only (their identity is not the
    patient's data), and a nurse's working reason for a level change stays internal: the note
    meant for the patient is the case's closing note. The system's own reasons are given."""
    if event.actor_id is None:
        by = "system"
    elif event.actor_id == event.case.patient_id:
        by = "you"
    else:
        by = event.actor.role
    # A claim or a release holds a nurse's username as its value: left out too.
    names_staff = event.kind in ("claimed", "released")
    return {
        "kind": event.kind,
        "at": event.created_at.isoformat(),
        "by": by,
        "from": "" if names_staff else event.from_value,
        "to": "" if names_staff else event.to_value,
        "reason": event.reason if event.actor_id is None else "",
    }


def _export_case(case) -> dict:
    return {
        "id": case.pk,
        "submission": case.submission_id,
        "level": case.level,
        "reasons": case.reasons,
        "status": case.status,
        "outcome": case.outcome,
        "note": case.note,
        "created_at": case.created_at.isoformat(),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "history": [_export_case_event(e) for e in case.events.all()],
    }


def patient_data_export(*, user: User) -> bytes:
    """A ZIP of everything stored about the patient: account, submissions with their answers,
    photos and heat maps, chats, and each case with its history (levels, claims, closure, staff
    reads)."""
    import io
    import json
    import zipfile

    from django.db.models import Prefetch

    from chatbot.models import Conversation
    from diagnosis.models import Submission
    from diagnosis.services import submission_export_files
    from portal.accounts.selectors import consent_history
    from triage.models import Case, CaseEvent

    data = {
        "account": {
            "username": user.username,
            "email": user.email,
            "date_joined": user.date_joined.isoformat(),
            "year_of_birth": user.year_of_birth,
            "sex": user.sex,
            "skin_type": user.skin_type,
            "full_name": user.full_name,
            "date_of_birth": user.date_of_birth.isoformat() if user.date_of_birth else None,
            "phone": user.phone.as_e164 if user.phone else "",
            "preferred_contact": user.preferred_contact,
        },
        "consents": [
            {
                "kind": c.kind,
                "version": c.version,
                "given_at": c.given_at.isoformat(),
                "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
                "source": c.source,
                "ip": c.ip,
            }
            for c in consent_history(user=user)
        ],
        "submissions": [],
        "conversations": [],
        "cases": [],
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        submissions = Submission.objects.filter(patient=user).select_related("prediction")
        for s in submissions.prefetch_related("extra_photos"):
            data["submissions"].append(_export_submission(s))
            # The photo, any extra photos of the same spot and the heat map.
            for field, name in submission_export_files(s):
                with field.open("rb") as fh:
                    zf.writestr(name, fh.read())
        for c in Conversation.objects.filter(patient=user).prefetch_related("messages"):
            data["conversations"].append(
                {
                    "id": c.pk,
                    "submission": c.submission_id,
                    "urgency": c.urgency,
                    "red_flags": c.red_flags,
                    "seven_point_score": c.seven_point_score,
                    "created_at": c.created_at.isoformat(),
                    "messages": [
                        {"sender": m.sender, "text": m.text, "at": m.created_at.isoformat()} for m in c.messages.all()
                    ],
                }
            )
        events = CaseEvent.objects.select_related("actor", "case").order_by("created_at", "id")
        for case in Case.objects.filter(patient=user).prefetch_related(Prefetch("events", queryset=events)):
            data["cases"].append(_export_case(case))
        zf.writestr("data.json", json.dumps(data, indent=2))
    _audit("data_exported", user_id=user.pk, actor_id=user.pk)
    return out.getvalue()


def account_delete(*, user: User, by: User | None = None) -> None:
    """Delete an account with all its photos, predictions, chats and cases; the files go too."""
    from diagnosis.models import Submission
    from diagnosis.services import stored_files_delete_on_commit, submission_stored_files

    # The same path for the patient's own deletion and an admin's (Django admin, one or many).
    files = submission_stored_files(Submission.objects.filter(patient=user))
    user_id = user.pk
    with transaction.atomic():
        user.delete()
        _audit(
            "account_deleted", user_id=user_id, actor_id=by.pk if by and by.pk != user_id else None, files=len(files)
        )
        stored_files_delete_on_commit(files)
