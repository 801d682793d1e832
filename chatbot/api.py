"""Conversations API (API.md)."""

from django.http import Http404
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from chatbot import selectors, services
from chatbot.access import conversation_for_user
from chatbot.models import Message
from diagnosis.access import submission_for_user
from portal.api_common import IsPatient
from portal.ratelimits import ChatThrottle, ConversationThrottle
from triage.services import conversation_record_view


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["id", "sender", "text", "created_at"]


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="Send this as the message text.")
    label = serializers.CharField(help_text="The button's words, in the caller's language.")


class ActionSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text='"call": a tap-to-call button.')
    label = serializers.CharField(help_text="The button's words, in the conversation's language.")
    href = serializers.CharField(help_text='The link to open, e.g. "tel:112".')


def _choices(choices: list[dict]) -> list[dict]:
    return [{"value": c["value"], "label": gettext(c["label"])} for c in choices]


class ConversationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    submission = serializers.IntegerField(source="submission_id", allow_null=True)
    urgency = serializers.CharField(allow_blank=True)
    red_flags = serializers.ListField(child=serializers.CharField())
    seven_point_score = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    language = serializers.CharField(help_text="The conversation's language, from the patient's at its start.")
    messages = MessageSerializer(many=True, source="messages.all")
    question = serializers.SerializerMethodField(help_text="The red-flag screen question now asked, or null.")
    choices = serializers.SerializerMethodField(help_text="Tap answers to offer for the last bot message.")

    def _prompt(self, obj) -> dict:
        cache = self.context.setdefault("prompts", {})
        if obj.pk not in cache:
            cache[obj.pk] = selectors.conversation_prompt(conversation=obj)
        return cache[obj.pk]

    def get_question(self, obj) -> str | None:
        return self._prompt(obj)["question"]

    @extend_schema_field(ChoiceSerializer(many=True))
    def get_choices(self, obj) -> list[dict]:
        return _choices(self._prompt(obj)["choices"])


class StartSerializer(serializers.Serializer):
    submission = serializers.IntegerField(required=False, allow_null=True)


class TextSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000, trim_whitespace=True)


def _own_conversation(request, conversation_id):
    try:
        conversation = conversation_for_user(request.user, conversation_id)
    except Http404:
        raise NotFound from None
    if conversation.patient_id != request.user.pk:
        raise PermissionDenied("Only the patient can write in their conversation.")
    return conversation


class ConversationListApi(APIView):
    permission_classes = [IsPatient]
    throttle_classes = [ConversationThrottle]

    @extend_schema(request=StartSerializer, responses={201: ConversationSerializer})
    def post(self, request):
        data = StartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submission = None
        if data.validated_data.get("submission") is not None:
            try:
                submission = submission_for_user(request.user, data.validated_data["submission"])
            except Http404:
                raise NotFound("No such submission.") from None
        conversation = services.conversation_start(
            patient=request.user, submission=submission, language=services.request_language(request)
        )
        return Response(ConversationSerializer(conversation).data, status=status.HTTP_201_CREATED)


class ConversationDetailApi(APIView):
    @extend_schema(responses=ConversationSerializer)
    def get(self, request, conversation_id: int):
        try:
            conversation = conversation_for_user(request.user, conversation_id)
        except Http404:
            raise NotFound from None
        conversation_record_view(conversation=conversation, by=request.user)
        return Response(ConversationSerializer(conversation).data)


class ReplySerializer(serializers.Serializer):
    reply = serializers.CharField()
    urgency = serializers.CharField(allow_null=True)
    red_flags = serializers.ListField(child=serializers.CharField())
    seven_point_score = serializers.IntegerField(allow_null=True)
    triage_level = serializers.IntegerField(allow_null=True)
    question = serializers.CharField(
        allow_null=True, help_text="The red-flag screen question this reply asks (e.g. 'glass_test'), or null."
    )
    choices = ChoiceSerializer(many=True, help_text="Tap answers to offer; empty when typing is expected.")
    actions = ActionSerializer(
        many=True, required=False, help_text="Buttons besides typing: after an emergency, a tap-to-call link."
    )


class MessageApi(APIView):
    permission_classes = [IsPatient]
    throttle_classes = [ChatThrottle]

    @extend_schema(request=TextSerializer, responses={200: ReplySerializer})
    def post(self, request, conversation_id: int):
        conversation = _own_conversation(request, conversation_id)
        data = TextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply = services.conversation_reply(conversation=conversation, text=data.validated_data["text"])
        return Response({**reply, "choices": _choices(reply["choices"])})
