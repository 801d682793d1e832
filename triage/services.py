"""Every write on a case: open, reassess, claim, release, change level, close. Each is audited."""

from dataclasses import replace

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from triage import policy
from triage.models import Case, CaseEvent


class CaseConflict(Exception):
    """Another nurse holds the case."""


class CaseClosed(Exception):
    """The case is closed; it can no longer change."""


def symptom_red_flags(text: str) -> list[str]:
    """Emergency red flags in free text (the chatbot's own detector, negation-aware)."""
    from chatbot.engine.redflags import evaluate, extract_features

    return evaluate(extract_features(text)).codes if text and text.strip() else []


def screen_red_flags(answers) -> list[str]:
    """Emergency red flags from the red-flag screen's tapped answers ({"fever": "yes", ...})."""
    from chatbot.engine.screen import red_flags

    return red_flags(answers or {})


def submission_red_flags(submission) -> list[str]:
    """Red flags given with an upload: the screen's answers, then the symptoms text."""
    flags = screen_red_flags(submission.screen)
    return flags + [f for f in symptom_red_flags(submission.symptoms) if f not in flags]


def _submission_evidence(submission) -> policy.Evidence:
    from diagnosis.context import submission_context

    if submission is None:
        return policy.Evidence()
    flags = tuple(submission_red_flags(submission))
    # Everything the patient told us, as given to the classifier (not only the part its answer
    # fusion read, which is empty for a dermoscopic photo and never holds the size): the
    # policy's rules on site, size, growth and bleeding are about the lesion, not the model.
    context = submission_context(submission)
    status_map = {"rejected": "rejected", "failed": "failed"}
    prediction = getattr(submission, "prediction", None) if submission.status == "done" else None
    if prediction is None:
        return policy.Evidence(image_status=status_map.get(submission.status), red_flags=flags, context=context)
    return policy.Evidence(
        probabilities=prediction.probabilities,
        thresholds=prediction.thresholds,
        image_status="uncertain" if prediction.uncertain else "ok",
        red_flags=flags,
        context=context,
    )


def case_open_for_red_flags(*, submission) -> Case | None:
    """A red flag given with the upload (a screen "yes" or the text) opens a level-1 case at once."""
    flags = submission_red_flags(submission)
    if not flags:
        return None
    return case_open(
        patient=submission.patient, submission=submission, assessment=policy.assess(policy.Evidence(red_flags=flags))
    )


def _chat_evidence(evidence: policy.Evidence, conversations) -> policy.Evidence:
    red_flags: list[str] = list(evidence.red_flags)
    score = evidence.seven_point_score
    urgency, reasons = evidence.chat_urgency, list(evidence.chat_reasons)
    for conv in conversations:
        red_flags += [f for f in conv.red_flags if f not in red_flags]
        if conv.seven_point_score is not None:
            score = max(score or 0, conv.seven_point_score)
        if conv.urgency and (urgency is None or policy.URGENCY_LEVELS[conv.urgency] < policy.URGENCY_LEVELS[urgency]):
            urgency, reasons = conv.urgency, list(conv.reasons)
    return replace(evidence, red_flags=red_flags, seven_point_score=score, chat_urgency=urgency, chat_reasons=reasons)


def case_evidence(*, case: Case) -> policy.Evidence:
    """All evidence about a case: its photo's prediction and every linked conversation."""
    from chatbot.selectors import conversations_for_case

    return _chat_evidence(_submission_evidence(case.submission), conversations_for_case(case=case))


def _log(case: Case, kind: str, *, actor=None, from_value="", to_value="", reason="") -> CaseEvent:
    return CaseEvent.objects.create(
        case=case, actor=actor, kind=kind, from_value=str(from_value), to_value=str(to_value), reason=reason
    )


@transaction.atomic
def case_open(*, patient, submission=None, assessment: policy.Assessment) -> Case:
    case = Case.objects.create(
        patient=patient,
        submission=submission,
        level=assessment.level,
        reasons=list(assessment.reasons),
        assessed_level=assessment.level,
    )
    _log(case, CaseEvent.Kind.CREATED, to_value=case.level, reason="; ".join(assessment.reasons))
    return case


@transaction.atomic
def case_reassess(*, case: Case) -> Case:
    """Re-run the policy with everything known now. Automatic changes only ever raise the level."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    assessment = policy.assess(case_evidence(case=case))
    if not case.is_open or assessment.level >= case.level:
        return case
    old = case.level
    case.level, case.reasons, case.assessed_level = assessment.level, list(assessment.reasons), assessment.level
    # The new evidence outranks an earlier nurse's change: its note no longer explains the level.
    case.level_set_by, case.level_set_reason, case.level_set_at = None, "", None
    fields = ["level", "reasons", "assessed_level", "level_set_by", "level_set_reason", "level_set_at", "updated_at"]
    case.save(update_fields=fields)
    _log(case, CaseEvent.Kind.REASSESSED, from_value=old, to_value=case.level, reason="; ".join(assessment.reasons))
    return case


def case_assess_submission(*, submission) -> Case:
    """Open the case for a submission that finished (done, rejected or failed), or raise it."""
    existing = Case.objects.filter(submission=submission).first()
    if existing is not None:
        return case_reassess(case=existing)
    evidence = _chat_evidence(_submission_evidence(submission), _conversations_for_submission(submission))
    try:
        with transaction.atomic():
            return case_open(patient=submission.patient, submission=submission, assessment=policy.assess(evidence))
    except IntegrityError:
        # A concurrent run (a redelivered task) opened it first: reassess that one instead.
        existing = Case.objects.filter(submission=submission).first()
        if existing is None:
            raise
        return case_reassess(case=existing)


def _conversations_for_submission(submission):
    from chatbot.selectors import conversations_for_submission

    return conversations_for_submission(submission=submission)


def case_apply_conversation(*, conversation) -> Case | None:
    """New chat answers re-triage the linked case at once; a red flag opens one if none exists."""
    submission = conversation.submission
    case = conversation.case or (Case.objects.filter(submission=submission).first() if submission else None)
    if case is not None:
        return case_reassess(case=case)
    evidence = _chat_evidence(_submission_evidence(submission), [conversation])
    worrying = evidence.red_flags or evidence.chat_urgency in ("urgent", "emergency")
    if not worrying:
        # A photo still being classified gets its case when the worker finishes; a chat without
        # worrying answers needs no nurse.
        return None
    # A red flag cannot wait for the photo's result: open the case now; the worker's hand-over
    # then finds it and can only raise it further.
    case = case_open(patient=conversation.patient, submission=submission, assessment=policy.assess(evidence))
    if submission is None:
        conversation.case = case
        conversation.save(update_fields=["case"])
    return case


def case_claim(*, case: Case, by) -> Case:
    """Exactly one nurse wins a race: the update only matches if nobody else holds the case."""
    updated = (
        Case.objects.filter(pk=case.pk)
        .exclude(status=Case.Status.CLOSED)
        .filter(Q(assigned_to__isnull=True) | Q(assigned_to=by))
        .update(assigned_to=by, status=Case.Status.IN_REVIEW, updated_at=timezone.now())
    )
    case.refresh_from_db()
    if not updated:
        if case.status == Case.Status.CLOSED:
            raise CaseClosed
        raise CaseConflict
    _log(case, CaseEvent.Kind.CLAIMED, actor=by, to_value=by.username)
    return case


@transaction.atomic
def case_release(*, case: Case, by) -> Case:
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status == Case.Status.CLOSED:
        raise CaseClosed
    if case.assigned_to_id not in (None, by.pk) and not by.is_clinic_admin:
        raise CaseConflict
    previous = case.assigned_to.username if case.assigned_to else ""
    case.assigned_to, case.status = None, Case.Status.WAITING
    case.save(update_fields=["assigned_to", "status", "updated_at"])
    _log(case, CaseEvent.Kind.RELEASED, actor=by, from_value=previous)
    return case


@transaction.atomic
def case_change_level(*, case: Case, by, level: int, reason: str) -> Case:
    """A nurse may move a case up or down, always with a reason."""
    if not reason.strip():
        raise ValueError("a reason is required")
    if level not in (1, 2, 3, 4):
        raise ValueError("level must be 1 to 4")
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status == Case.Status.CLOSED:
        raise CaseClosed
    if case.assigned_to_id not in (None, by.pk):
        raise CaseConflict
    old = case.level
    case.level = level
    case.level_set_by, case.level_set_reason, case.level_set_at = by, reason.strip(), timezone.now()
    case.save(update_fields=["level", "level_set_by", "level_set_reason", "level_set_at", "updated_at"])
    _log(case, CaseEvent.Kind.LEVEL_CHANGED, actor=by, from_value=old, to_value=level, reason=reason.strip())
    return case


@transaction.atomic
def case_close(*, case: Case, by, outcome: str, note: str = "") -> Case:
    if outcome not in Case.Outcome.values:
        raise ValueError(f"outcome must be one of {', '.join(Case.Outcome.values)}")
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status == Case.Status.CLOSED:
        raise CaseClosed
    if case.assigned_to_id not in (None, by.pk):
        raise CaseConflict
    old_status = case.status
    case.status, case.outcome, case.note = Case.Status.CLOSED, outcome, note.strip()
    case.assigned_to = case.assigned_to or by
    case.closed_at = timezone.now()
    case.save(update_fields=["status", "outcome", "note", "assigned_to", "closed_at", "updated_at"])
    _log(case, CaseEvent.Kind.CLOSED, actor=by, from_value=old_status, to_value=outcome, reason=note.strip())
    return case


# Staff reads (VIEWED events): one row per staff member, case and kind of thing read per
# window, so a nurse reading a case is on record without a row for every poll or thumbnail.
VIEW_AUDIT_WINDOW = timezone.timedelta(minutes=10)


class Viewed:
    """What a staff member read (the to_value of a VIEWED event)."""

    CASE = "case"
    RESULT = "result"
    REPORT = "report"
    PHOTO = "photo"
    HEATMAP = "heatmap"
    CHAT = "chat"
    ADMIN = "admin"


def case_record_view(*, case: Case | None, by, what: str) -> CaseEvent | None:
    """Audit a staff read of a case's data; None for a patient's own read or a recent repeat."""
    if case is None or not getattr(by, "can_triage", False):
        return None
    since = timezone.now() - VIEW_AUDIT_WINDOW
    recent = CaseEvent.objects.filter(case=case, actor=by, kind=CaseEvent.Kind.VIEWED, to_value=what)
    # Check-then-insert: two reads racing inside one window may both write; an extra audit row
    # is harmless, a missing one is not, so no lock is taken on this hot read path.
    if recent.filter(created_at__gte=since).exists():
        return None
    return _log(case, CaseEvent.Kind.VIEWED, actor=by, to_value=what)


def submission_record_view(*, submission, by, what: str) -> CaseEvent | None:
    """Audit a staff read of a submission (its page, photo or heat map) on its case."""
    return case_record_view(case=getattr(submission, "case", None), by=by, what=what)


def conversation_record_view(*, conversation, by) -> CaseEvent | None:
    """Audit a staff read of a conversation on the case it belongs to."""
    from chatbot.selectors import conversation_case

    return case_record_view(case=conversation_case(conversation=conversation), by=by, what=Viewed.CHAT)


def cases_flag_overdue(*, now=None) -> list[Case]:
    """Mark open cases past their level's target once, audit it, and e-mail the nurses on duty."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.mail import send_mail

    from triage.selectors import level_settings

    now = now or timezone.now()
    levels = level_settings()
    flagged: list[Case] = []
    for level, setting in levels.items():
        cutoff = now - timezone.timedelta(minutes=setting.target_minutes)
        due = Case.objects.exclude(status=Case.Status.CLOSED).filter(
            level=level, created_at__lt=cutoff, overdue_notified_at__isnull=True
        )
        for case in due.select_related("assigned_to"):
            # Conditional update: two beat runs never alert twice for the same case.
            if Case.objects.filter(pk=case.pk, overdue_notified_at__isnull=True).update(overdue_notified_at=now):
                _log(
                    case, CaseEvent.Kind.OVERDUE, to_value=level, reason=f"over the {setting.target_minutes} min target"
                )
                flagged.append(case)
    if flagged:
        User = get_user_model()
        nurses = User.objects.filter(role=User.Role.NURSE, is_active=True).exclude(email="")
        recipients = sorted({*nurses.values_list("email", flat=True), *filter(None, [settings.TRIAGE_ALERT_EMAIL])})
        if recipients:
            lines = [f"Case {c.pk}: level {c.level}, waiting since {c.created_at:%H:%M} UTC" for c in flagged]
            send_mail(
                subject=f"[SkinTriage] {len(flagged)} overdue case(s)",
                message="These cases are past their review target:\n\n" + "\n".join(lines),
                from_email=None,
                recipient_list=recipients,
                fail_silently=True,
            )
    return flagged
