"""Shape a submission for people and the API: names from admin content, triage advice."""

from diagnosis.models import Submission


def ranked_with_names(prediction, names: dict[str, str]) -> list[dict]:
    return [
        {"code": code, "name": names.get(code, code.replace("_", " ").capitalize()), "probability": float(p)}
        for code, p in prediction.ranked
    ]


def triage_summary(submission: Submission) -> dict | None:
    """The case's level and what the patient should do, or None before a case exists."""
    from triage.selectors import level_settings

    case = getattr(submission, "case", None)
    if case is None:
        return None
    level = level_settings().get(case.level)
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
