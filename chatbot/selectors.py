"""Reads on conversations."""

from django.db.models import Q, QuerySet

from chatbot.models import Conversation, Message


def conversations_for_case(*, case) -> QuerySet[Conversation]:
    query = Q(case=case)
    if case.submission_id:
        query |= Q(submission_id=case.submission_id)
    return Conversation.objects.filter(query).order_by("created_at")


def conversation_case(*, conversation: Conversation):
    """The triage case a conversation belongs to (its own, or its photo's), or None."""
    if conversation.case_id:
        return conversation.case
    return getattr(conversation.submission, "case", None) if conversation.submission_id else None


def conversations_for_submission(*, submission) -> QuerySet[Conversation]:
    return Conversation.objects.filter(submission=submission).order_by("created_at")


def conversations_for_patient(*, patient) -> QuerySet[Conversation]:
    return Conversation.objects.filter(patient=patient).select_related("submission").order_by("-created_at")


def conversation_prompt(*, conversation: Conversation) -> dict:
    """The tap answers the bot's latest message offers: {"question": id | None, "choices": [...]}."""
    last = conversation.messages.order_by("-created_at", "-id").first()
    meta = last.meta if last is not None and last.sender == Message.Sender.BOT else {}
    return {"question": meta.get("question"), "choices": list(meta.get("choices") or [])}
