"""Conversations belong to their patient; anyone else gets a 404."""

from django.http import Http404

from chatbot.models import Conversation


def conversation_for_user(user, conversation_id) -> Conversation:
    if not user.is_authenticated:
        raise Http404
    qs = Conversation.objects.select_related("patient", "submission__prediction")
    if not user.can_triage:
        qs = qs.filter(patient=user)
    try:
        return qs.get(pk=int(conversation_id))
    except (Conversation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
