"""Conversations belong to their patient; staff read one only through the triage case it is
linked to; anyone else gets a 404."""

from django.db.models import Q
from django.http import Http404

from chatbot.models import Conversation


def conversation_for_user(user, conversation_id) -> Conversation:
    if not user.is_authenticated:
        raise Http404
    qs = Conversation.objects.select_related("patient", "submission__prediction", "submission__case", "case")
    if not user.can_triage:
        qs = qs.filter(patient=user)
    else:
        # A chat that belongs to no case (no red flag, no photo in the queue) is the patient's
        # own: a nurse needs it only to triage, so it is as unknown to them as a stranger's.
        qs = qs.filter(Q(case__isnull=False) | Q(submission__case__isnull=False))
    try:
        return qs.get(pk=int(conversation_id))
    except (Conversation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
