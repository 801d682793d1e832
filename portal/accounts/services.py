"""Writes on accounts: sign-up and staff creation."""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

User = get_user_model()


@transaction.atomic
def patient_register(*, username: str, password: str, email: str = "") -> User:
    """Create a patient account; the password must pass the configured validators."""
    user = User(username=username, email=email, role=User.Role.PATIENT)
    validate_password(password, user=user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


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


def patient_data_export(*, user: User) -> bytes:
    """A ZIP of everything stored about the patient: account, submissions, photos, chats, cases."""
    import io
    import json
    import zipfile

    from chatbot.models import Conversation
    from diagnosis.models import Submission
    from triage.models import Case

    data = {
        "account": {
            "username": user.username,
            "email": user.email,
            "date_joined": user.date_joined.isoformat(),
            "year_of_birth": user.year_of_birth,
            "sex": user.sex,
            "skin_type": user.skin_type,
        },
        "submissions": [],
        "conversations": [],
        "cases": [],
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for s in Submission.objects.filter(patient=user).select_related("prediction"):
            prediction = getattr(s, "prediction", None)
            data["submissions"].append(
                {
                    "id": s.pk,
                    "created_at": s.created_at.isoformat(),
                    "status": s.status,
                    "body_site": s.body_site,
                    "symptoms": s.symptoms,
                    "error": s.error,
                    "photo": f"photos/{s.pk}.jpg",
                    "prediction": None
                    if prediction is None
                    else {
                        "model_version": prediction.model_version,
                        "ranked": prediction.ranked,
                        "top": prediction.top,
                        "uncertain": prediction.uncertain,
                    },
                }
            )
            if s.image:
                with s.image.open("rb") as fh:
                    zf.writestr(f"photos/{s.pk}.jpg", fh.read())
        for c in Conversation.objects.filter(patient=user).prefetch_related("messages"):
            data["conversations"].append(
                {
                    "id": c.pk,
                    "submission": c.submission_id,
                    "urgency": c.urgency,
                    "red_flags": c.red_flags,
                    "messages": [
                        {"sender": m.sender, "text": m.text, "at": m.created_at.isoformat()} for m in c.messages.all()
                    ],
                }
            )
        for case in Case.objects.filter(patient=user):
            data["cases"].append(
                {
                    "id": case.pk,
                    "submission": case.submission_id,
                    "level": case.level,
                    "status": case.status,
                    "outcome": case.outcome,
                    "note": case.note,
                    "created_at": case.created_at.isoformat(),
                }
            )
        zf.writestr("data.json", json.dumps(data, indent=2))
    _audit("data_exported", user_id=user.pk, actor_id=user.pk)
    return out.getvalue()


def account_delete(*, user: User, by: User | None = None) -> None:
    """Delete an account with all its photos, predictions, chats and cases; the files go too."""
    from diagnosis.models import Prediction, Submission

    files = [(f.storage, f.name) for s in Submission.objects.filter(patient=user) for f in (s.image,) if f] + [
        (p.heatmap.storage, p.heatmap.name)
        for p in Prediction.objects.filter(submission__patient=user).exclude(heatmap="")
    ]
    user_id = user.pk
    with transaction.atomic():
        user.delete()
        _audit(
            "account_deleted", user_id=user_id, actor_id=by.pk if by and by.pk != user_id else None, files=len(files)
        )

        def remove_files():
            for storage, name in files:
                storage.delete(name)

        transaction.on_commit(remove_files)
