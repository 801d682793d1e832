"""Chat pages: a standalone chat and one per submission. Forms work without JavaScript; the
script upgrades them to in-place replies through the API."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from chatbot import selectors, services
from chatbot.access import conversation_for_user
from diagnosis.access import submission_for_user
from portal.ratelimits import limit_retry_after, too_many_requests
from triage.services import conversation_record_view


def _patient_only(request: HttpRequest) -> None:
    if not request.user.is_patient:
        raise PermissionDenied


@login_required
@require_GET
def chat_list(request: HttpRequest) -> HttpResponse:
    _patient_only(request)
    conversations = selectors.conversations_for_patient(patient=request.user)[:50]
    return render(request, "chatbot/list.html", {"conversations": conversations})


@login_required
@require_POST
def chat_start(request: HttpRequest) -> HttpResponse:
    _patient_only(request)
    if retry_after := limit_retry_after(request, scope="conversation"):
        return too_many_requests(request, retry_after)
    submission = None
    if request.POST.get("submission"):
        submission = submission_for_user(request.user, request.POST["submission"])
    conversation = services.conversation_start(
        patient=request.user, submission=submission, language=services.request_language(request)
    )
    return redirect("chatbot:chat", conversation_id=conversation.pk)


@login_required
@require_GET
def chat(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_for_user(request.user, conversation_id)
    conversation_record_view(conversation=conversation, by=request.user)
    context = {
        "conversation": conversation,
        # Not "messages": base.html shows those as Django's flash messages.
        "chat_messages": conversation.messages.all(),
        "chat_prompt": selectors.conversation_prompt(conversation=conversation),
    }
    return render(request, "chatbot/chat.html", context)


@login_required
@require_POST
def chat_send(request: HttpRequest, conversation_id: int) -> HttpResponse:
    _patient_only(request)
    conversation = conversation_for_user(request.user, conversation_id)
    text = (request.POST.get("text") or "").strip()[:2000]
    # The same per-user counter as the API's messages endpoint.
    if text and (retry_after := limit_retry_after(request, scope="chat")):
        return too_many_requests(request, retry_after)
    if text:
        services.conversation_reply(conversation=conversation, text=text)
    return redirect("chatbot:chat", conversation_id=conversation.pk)
