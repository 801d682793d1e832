"""Queue rows and case details as nurses see them (shared by the dashboard and the API)."""

from django.utils import timezone

from diagnosis.presenters import class_name, class_names
from portal.accounts.selectors import contact_allowed_user_ids, patient_identity
from triage.models import Case
from triage.selectors import level_settings


def queue_row(case: Case, levels: dict, now=None, names: dict | None = None, contact_ids: set | None = None) -> dict:
    now = now or timezone.now()
    level = levels.get(case.level)
    waiting = (now - case.created_at).total_seconds() / 60
    target = level.target_minutes if level else None
    prediction = getattr(case.submission, "prediction", None) if case.submission_id else None
    return {
        "id": case.pk,
        "submission": case.submission_id,
        "level": case.level,
        "label": level.name if level else str(case.level),
        "colour": level.colour if level else "#6c757d",
        "status": case.status,
        "created_at": case.created_at,
        "waiting_minutes": round(waiting, 1),
        "target_minutes": target,
        "overdue": bool(target is not None and waiting > target and case.status != Case.Status.CLOSED),
        "top_class": prediction.top if prediction else None,
        "top_name": class_name(prediction.top, names or {}) if prediction else None,
        "assigned_to": case.assigned_to.username if case.assigned_to_id else None,
        "reasons": case.reasons,
        # A nurse's change of level, which the automatic reasons no longer explain.
        "level_set": (
            {
                "by": case.level_set_by.username if case.level_set_by_id else None,
                "reason": case.level_set_reason,
                "at": case.level_set_at,
                "assessed_level": case.assessed_level,
            }
            if case.level_set_at
            else None
        ),
        # Who the patient is and how to reach them (phone and e-mail only with consent to be contacted).
        "patient": patient_identity(
            user=case.patient, contact_allowed=None if contact_ids is None else case.patient_id in contact_ids
        ),
    }


def queue_rows(cases) -> list[dict]:
    levels, now, names = level_settings(), timezone.now(), class_names()
    cases = list(cases)
    contact_ids = contact_allowed_user_ids(user_ids=[c.patient_id for c in cases])
    return [queue_row(c, levels, now, names, contact_ids) for c in cases]
