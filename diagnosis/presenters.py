"""Shape a submission for people and the API: names from admin content, triage advice."""

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
