"""Triage API for nurses and admins (API.md): the queue, case detail, claim, level, close."""

from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from diagnosis.models import SYMPTOM_QUESTIONS
from diagnosis.presenters import class_name, class_names
from portal.api_common import CanTriage
from triage import presenters, selectors, services
from triage.access import case_for_staff
from triage.models import Case


class QueueRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    submission = serializers.IntegerField(allow_null=True)
    level = serializers.IntegerField()
    label = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    waiting_minutes = serializers.FloatField()
    target_minutes = serializers.IntegerField(allow_null=True)
    overdue = serializers.BooleanField()
    top_class = serializers.CharField(allow_null=True)
    assigned_to = serializers.CharField(allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField())
    level_set = inline_serializer(
        "LevelSet",
        {
            "by": serializers.CharField(allow_null=True),
            "reason": serializers.CharField(),
            "at": serializers.DateTimeField(),
            "assessed_level": serializers.IntegerField(allow_null=True),
        },
        allow_null=True,
        help_text="A nurse's change of level (null while the automatic assessment stands).",
    )


class QueueApi(GenericAPIView):
    permission_classes = [CanTriage]
    serializer_class = QueueRowSerializer

    def get_queryset(self):
        return selectors.queue_open_cases()

    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(QueueRowSerializer(presenters.queue_rows(page), many=True).data)


class EventSerializer(serializers.Serializer):
    kind = serializers.CharField()
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    from_value = serializers.CharField()
    to_value = serializers.CharField()
    reason = serializers.CharField()


def case_detail(case: Case) -> dict:
    from chatbot.selectors import conversations_for_case

    names = class_names()
    row = presenters.queue_row(case, selectors.level_settings(), names=names)
    prediction = getattr(case.submission, "prediction", None) if case.submission_id else None
    conversations = list(conversations_for_case(case=case).prefetch_related("messages"))
    row.update(
        {
            "outcome": case.outcome or None,
            "note": case.note,
            "patient": {
                "id": case.patient_id,
                "year_of_birth": case.patient.year_of_birth,
                "sex": case.patient.sex or None,
                "skin_type": case.patient.skin_type,
            },
            "body_site": case.submission.body_site if case.submission_id else None,
            "symptoms": case.submission.symptoms if case.submission_id else None,
            "answers": _answers(case.submission) if case.submission_id else None,
            "prediction": None
            if prediction is None
            else {
                "model_version": prediction.model_version,
                "ranked": [{"code": c, "name": class_name(c, names), "probability": p} for c, p in prediction.ranked],
                "top": prediction.top,
                "uncertain": prediction.uncertain,
                "thresholds": prediction.thresholds,
                "photo_kind": prediction.photo_kind,
                "kind_probability": prediction.kind_probability,
                "context": prediction.context,
            },
            "conversation": [
                {
                    "id": conv.pk,
                    "urgency": conv.urgency or None,
                    "red_flags": conv.red_flags,
                    "seven_point_score": conv.seven_point_score,
                    "reasons": conv.reasons,
                    "messages": [{"sender": m.sender, "text": m.text, "at": m.created_at} for m in conv.messages.all()],
                }
                for conv in conversations
            ],
            "events": EventSerializer(selectors.case_timeline(case=case), many=True).data,
        }
    )
    return row


def _answers(submission) -> dict:
    """What the patient answered with the upload (blank: not asked or not answered)."""
    return {
        "dermoscope": submission.dermoscope,
        **{question: getattr(submission, question) for question in SYMPTOM_QUESTIONS},
        "diameter_mm": submission.diameter_mm,
    }


class CaseDetailApi(APIView):
    permission_classes = [CanTriage]

    @extend_schema(responses=inline_serializer("CaseDetail", {"id": serializers.IntegerField()}))
    def get(self, request, case_id: int):
        case = _case(request, case_id)
        services.case_record_view(case=case, by=request.user, what=services.Viewed.CASE)
        return Response(case_detail(case))


def _case(request, case_id) -> Case:
    from django.http import Http404

    try:
        return case_for_staff(request.user, case_id)
    except Http404:
        raise NotFound from None


class CaseActionApi(APIView):
    """POST an action on one case: 200 with the updated queue row, 409 when another nurse holds
    it or it is closed. Subclasses name the input serializer and the service to call."""

    permission_classes = [CanTriage]
    input_serializer: type[serializers.Serializer] | None = None
    conflict_message = "Another nurse holds this case."

    def act(self, case: Case, by, **data) -> Case:
        raise NotImplementedError

    def post(self, request, case_id: int):
        case = _case(request, case_id)
        data = {}
        if self.input_serializer is not None:
            serializer = self.input_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        try:
            case = self.act(case, request.user, **data)
        except services.CaseConflict:
            return Response({"detail": self.conflict_message}, status=status.HTTP_409_CONFLICT)
        except services.CaseClosed:
            return Response({"detail": "This case is closed."}, status=status.HTTP_409_CONFLICT)
        return Response(presenters.queue_rows([case])[0])


@extend_schema_view(post=extend_schema(request=None, responses={200: QueueRowSerializer}))
class ClaimApi(CaseActionApi):
    conflict_message = "Another nurse has already claimed this case."

    def act(self, case, by):
        return services.case_claim(case=case, by=by)


@extend_schema_view(post=extend_schema(request=None, responses={200: QueueRowSerializer}))
class ReleaseApi(CaseActionApi):
    def act(self, case, by):
        return services.case_release(case=case, by=by)


class LevelSerializer(serializers.Serializer):
    level = serializers.IntegerField(min_value=1, max_value=4)
    reason = serializers.CharField(max_length=1000, allow_blank=False, trim_whitespace=True)


@extend_schema_view(post=extend_schema(request=LevelSerializer, responses={200: QueueRowSerializer}))
class LevelApi(CaseActionApi):
    input_serializer = LevelSerializer

    def act(self, case, by, **data):
        return services.case_change_level(case=case, by=by, **data)


class CloseSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Case.Outcome.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


@extend_schema_view(post=extend_schema(request=CloseSerializer, responses={200: QueueRowSerializer}))
class CloseApi(CaseActionApi):
    input_serializer = CloseSerializer

    def act(self, case, by, **data):
        return services.case_close(case=case, by=by, **data)
