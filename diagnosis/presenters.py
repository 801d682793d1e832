"""Shape a submission for people and the API: names from admin content, triage advice."""

from django.utils.translation import gettext as _

from diagnosis.models import Submission


def class_names() -> dict[str, str]:
    """Code -> the admin-edited name of every condition (one query)."""
    from diagnosis.models import Disease

    return dict(Disease.objects.values_list("code", "name"))


def class_name(code: str | None, names: dict[str, str]) -> str | None:
    return None if code is None else names.get(code, code.replace("_", " ").capitalize())


def ranked_with_names(prediction, names: dict[str, str]) -> list[dict]:
    return [{"code": code, "name": class_name(code, names), "probability": float(p)} for code, p in prediction.ranked]


def triage_summary(submission: Submission, levels: dict | None = None) -> dict | None:
    """The case's level and what the patient should do, or None before a case exists."""
    from triage.selectors import level_settings

    case = getattr(submission, "case", None)
    if case is None:
        return None
    # A list passes the level rows in once; a single page reads them here.
    level = (levels if levels is not None else level_settings()).get(case.level)
    return {
        "level": case.level,
        "label": level.name if level else f"Level {case.level}",
        "target_minutes": level.target_minutes if level else None,
        "status": case.status,
        "advice": level.patient_advice if level else "",
        "colour": level.colour if level else "#6c757d",
        "outcome": case.outcome or None,
        "note": case.note or None,
        "reasons": case.reasons,
    }


def _yes_no(value) -> str:
    return str(_("yes") if value else _("no"))


def context_summary(context: dict) -> list[tuple[str, str]]:
    """The answers a model used, as (label, value) pairs a nurse reads at a glance."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    labels = {
        "age": (_("Age"), str),
        "sex": (_("Sex"), lambda v: str(dict(User.Sex.choices).get(v, v))),
        "fitzpatrick": (_("Skin type"), lambda v: _ROMAN.get(v, str(v))),
        "body_site": (_("Site"), lambda v: str(dict(Submission.BodySite.choices).get(v, v))),
        "diameter_mm": (_("Size"), lambda v: f"{v:g} mm"),
        "itch": (_("Itches"), _yes_no),
        "grew": (_("Grew"), _yes_no),
        "hurt": (_("Hurts"), _yes_no),
        "changed": (_("Changed"), _yes_no),
        "bleed": (_("Bleeds"), _yes_no),
        "elevation": (_("Raised"), _yes_no),
        "dermoscope": (_("Dermatoscope (patient)"), _yes_no),
    }
    known = [(str(labels[k][0]), labels[k][1](context[k])) for k in labels if k in context]
    # A key a newer model uses that this list does not name yet is still shown, plainly.
    other = [(k.replace("_", " ").capitalize(), str(v)) for k, v in context.items() if k not in labels]
    return known + other


_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI"}


def answers_summary(submission: Submission) -> list[tuple[str, str]]:
    """The upload form's answers as (label, value) pairs; unanswered questions are left out."""
    labels = {
        "itch": _("Itches"),
        "grew": _("Grew"),
        "hurt": _("Hurts"),
        "changed": _("Changed"),
        "bleed": _("Bleeds"),
        "elevation": _("Raised"),
    }
    answers = dict(Submission.Answer.choices)
    out = [(str(label), str(answers[v]).lower()) for q, label in labels.items() if (v := getattr(submission, q))]
    if submission.diameter_mm is not None:
        out.append((str(_("Size")), f"{submission.diameter_mm:g} mm"))
    out.append((str(_("Dermatoscope (patient)")), _yes_no(submission.dermoscope)))
    # The red-flag screen ("right now, do you have ...?"), in its table's order.
    from chatbot.engine.screen import QUESTIONS

    for q in QUESTIONS:
        if value := (submission.screen or {}).get(q.id):
            out.append((str(_("Now: %(sign)s") % {"sign": q.short}), str(answers[value]).lower()))
    return out
