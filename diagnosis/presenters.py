"""Shape a submission for people and the API: names from admin content, triage advice."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

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
    """The case's level and what the patient should do, or None before a case exists. The name
    and advice are the admin's, in the active language (django-modeltranslation, English when
    the level has no text in it)."""
    from portal.content_language import fallback_languages
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
        # The language the advice is shown in when it is not the reader's (no translation yet).
        "advice_lang": fallback_languages(level, ["patient_advice"]).get("patient_advice") if level else None,
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


# --- What the patient reads on the result page (issue 17 item 1) -----------------------------

# Patient-facing level names: plain, translated, and never "cancer" (the admin's level names, as
# nurses read them, may say "suspected cancer"; a patient whose top result is benign must not).
PATIENT_LEVEL_NAMES = {1: _lazy("Emergency"), 2: _lazy("Urgent"), 3: _lazy("Soon"), 4: _lazy("Routine")}


def level_name(level: int | None) -> str:
    return str(PATIENT_LEVEL_NAMES.get(level, level))


def level_badge(level: int | None) -> str:
    """ "Level 2 · Urgent": the number and the words, so a badge is never a bare colour or digit."""
    return _("Level %(number)s · %(name)s") % {"number": level, "name": level_name(level)}


def duration_words(minutes: float | None) -> str:
    """45 minutes, 2 hours, 1 day 3 hours: waits and targets as people say them."""
    if minutes is None:
        return ""
    minutes = round(abs(minutes))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        parts = [ngettext("%(n)d day", "%(n)d days", days) % {"n": days}]
        if hours:
            parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
        return " ".join(parts)
    if hours:
        parts = [ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}]
        if mins and hours < 6:
            parts.append(ngettext("%(n)d minute", "%(n)d minutes", mins) % {"n": mins})
        return " ".join(parts)
    return ngettext("%(n)d minute", "%(n)d minutes", mins) % {"n": mins}


def _threshold_class(case, prediction) -> str | None:
    """The class whose safety threshold set the case's level, when the top result alone would not."""
    from triage import policy

    if prediction is None or not case.reasons:
        return None
    top_level = policy.CLASS_LEVELS.get(prediction.top, policy.ROUTINE)
    if top_level <= case.level:
        return None
    first = case.reasons[0]
    for code, name in policy.CLASS_NAMES.items():
        if code != prediction.top and first.startswith(f"{name} probability"):
            return code
    return None


def patient_triage(submission: Submission, prediction=None, names: dict | None = None) -> dict | None:
    """triage_summary in the patient's words: a plain level name, the admin's advice in the active
    language, and why the level is higher than the top result when a safety threshold set it."""
    summary = triage_summary(submission)
    if summary is None:
        return None
    case = submission.case
    code = _threshold_class(case, prediction)
    safety = ""
    if code:
        name = class_name(code, names or {}).lower()
        safety = _(
            "To be safe, because some features can also be seen in %(condition)s, a nurse will look within %(time)s."
        ) % {"condition": name, "time": duration_words(summary["target_minutes"])}
    return {
        **summary,
        "name": level_name(summary["level"]),
        "badge": level_badge(summary["level"]),
        "safety": safety,
    }


def emergency_signs_alarm(disease) -> bool:
    """True when a card's "seek emergency care if" text should be a red alarm: a serious condition
    (high or critical) whose content names signs to act on. Benign content ("these growths are not
    an emergency"), in any language, is shown in a neutral box."""
    signs = (disease.emergency_signs or "").strip()
    if not signs or disease.severity not in ("high", "critical"):
        return False
    first = signs.split(".")[0].lower()
    return not any(phrase in first for phrase in _NOT_AN_EMERGENCY)


_NOT_AN_EMERGENCY = ("not an emergency", "no es una emergencia", "no son una emergencia", "no es urgente")
