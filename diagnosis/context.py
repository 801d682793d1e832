"""The classifier's context for a submission: profile, upload answers and chat answers."""

from collections.abc import Iterable, Mapping

from django.utils import timezone

from diagnosis.models import DIAMETER_MM_MAX, DIAMETER_MM_MIN, SYMPTOM_QUESTIONS, Submission

_ANSWERS = {Submission.Answer.YES.value: True, Submission.Answer.NO.value: False}
_SEXES = ("female", "male")
_CHANGE_SLOTS = ("size_change", "shape_irregular", "colour_irregular")
# The chat interview's slots (chatbot/engine/interview.py SLOTS) that feed the context.
CHAT_CONTEXT_SLOTS = ("bleeding", "diameter_mm", *_CHANGE_SLOTS)


def _diameter(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if DIAMETER_MM_MIN <= value <= DIAMETER_MM_MAX else None


def profile_context(patient) -> dict[str, object]:
    """Age, sex and skin type from the patient's profile; unknown facts are left out."""
    context: dict[str, object] = {}
    if patient.year_of_birth:
        age = timezone.now().year - patient.year_of_birth
        if 0 <= age <= 120:
            context["age"] = age
    if patient.sex in _SEXES:
        context["sex"] = patient.sex
    if patient.skin_type:
        context["fitzpatrick"] = int(patient.skin_type)
    return context


def slots_context(slots: Mapping[str, object]) -> dict[str, object]:
    """The context keys one chat interview answered; an unsure (None) answer gives none."""
    context: dict[str, object] = {}
    if isinstance(slots.get("bleeding"), bool):
        context["bleed"] = slots["bleeding"]
    if isinstance(slots.get("size_change"), bool):
        context["grew"] = slots["size_change"]
    changes = [slots.get(s) for s in _CHANGE_SLOTS]
    if any(v is True for v in changes):
        context["changed"] = True
    elif all(v is False for v in changes):
        context["changed"] = False
    diameter = _diameter(slots.get("diameter_mm"))
    if diameter is not None:
        context["diameter_mm"] = diameter
    return context


def submission_context(submission: Submission, conversations: Iterable | None = None) -> dict[str, object]:
    """Everything the patient told us about this lesion, as the classifier's context dict.

    Chat answers override the upload form's (the chat asks later and in more detail); with
    several conversations the later one wins. Unknown facts are omitted, never None.
    """
    if conversations is None:
        from chatbot.selectors import conversations_for_submission

        conversations = conversations_for_submission(submission=submission)
    context = profile_context(submission.patient)
    if submission.body_site:
        context["body_site"] = submission.body_site
    for question in SYMPTOM_QUESTIONS:
        answer = _ANSWERS.get(getattr(submission, question))
        if answer is not None:
            context[question] = answer
    diameter = _diameter(submission.diameter_mm)
    if diameter is not None:
        context["diameter_mm"] = diameter
    context["dermoscope"] = bool(submission.dermoscope)
    for conversation in conversations:
        context.update(slots_context((conversation.state or {}).get("slots") or {}))
    return context
