"""Reads on conversations."""

from django.db.models import Q, QuerySet

from chatbot.models import Conversation


def conversations_for_case(*, case) -> QuerySet[Conversation]:
    query = Q(case=case)
    if case.submission_id:
        query |= Q(submission_id=case.submission_id)
    return Conversation.objects.filter(query).order_by("created_at")


def conversations_for_submission(*, submission) -> QuerySet[Conversation]:
    return Conversation.objects.filter(submission=submission).order_by("created_at")


def conversations_for_patient(*, patient) -> QuerySet[Conversation]:
    return Conversation.objects.filter(patient=patient).select_related("submission").order_by("-created_at")
