"""Submissions API (API.md): upload, list own, detail, image and heatmap."""

from django.http import FileResponse, Http404
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from chatbot.engine import screen
from diagnosis import presenters, selectors, services
from diagnosis.access import submission_for_user
from diagnosis.images import ImageRejected
from diagnosis.models import (
    DIAMETER_MM_MAX,
    DIAMETER_MM_MIN,
    SYMPTOM_QUESTIONS,
    Disease,
    Prediction,
    Submission,
    SubmissionPhoto,
)
from portal.ratelimits import UploadThrottle
from triage.services import Viewed, submission_record_view


def _answer_field(question: str) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=Submission.Answer.choices,
        required=False,
        allow_blank=True,
        help_text=f"{question} Blank or absent: not answered.",
        error_messages={"invalid_choice": 'Answer "yes", "no" or "unsure" (got "{input}").'},
    )


class SubmissionCreateSerializer(serializers.Serializer):
    image = serializers.FileField(allow_empty_file=True)
    extra_images = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        max_length=SubmissionPhoto.MAX_PER_SUBMISSION,
        help_text=(
            f"Optional: up to {SubmissionPhoto.MAX_PER_SUBMISSION} more photos of the same spot (repeat the "
            "field), e.g. one from further away showing where on the body. Sanitised like `image`; only "
            '`image` is classified. A bad one -> 400 {"extra_images": [...]} and nothing is stored.'
        ),
    )
    body_site = serializers.ChoiceField(choices=Submission.BodySite.choices, required=False, allow_blank=True)
    symptoms = serializers.CharField(max_length=2000, required=False, allow_blank=True, trim_whitespace=True)
    dermoscope = serializers.BooleanField(
        required=False, default=False, help_text="The photo was taken through a dermatoscope."
    )
    itch = _answer_field("Does it itch?")
    grew = _answer_field("Has it grown?")
    hurt = _answer_field("Does it hurt?")
    changed = _answer_field("Has it changed (colour, shape)?")
    bleed = _answer_field("Has it bled?")
    elevation = _answer_field("Is it raised above the skin?")
    diameter_mm = serializers.FloatField(
        required=False,
        allow_null=True,
        min_value=DIAMETER_MM_MIN,
        max_value=DIAMETER_MM_MAX,
        help_text=f"Size across, in mm ({DIAMETER_MM_MIN:g} to {DIAMETER_MM_MAX:g}).",
    )

    def get_fields(self):
        fields = super().get_fields()
        # The red-flag screen (chatbot/engine/screen.py), one optional field per question.
        for name, qid in screen.UPLOAD_FIELDS.items():
            fields[name] = _answer_field(f"Red-flag screen, right now: {screen.BY_ID[qid].form_label}?")
        return fields

    def validate(self, attrs):
        attrs["screen"] = {qid: attrs.pop(name) for name, qid in screen.UPLOAD_FIELDS.items() if attrs.get(name)}
        for name in screen.UPLOAD_FIELDS:
            attrs.pop(name, None)
        return attrs


class RankedSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    probability = serializers.FloatField()


class PredictionSerializer(serializers.Serializer):
    model_version = serializers.CharField()
    ranked = RankedSerializer(many=True)
    top = serializers.CharField()
    uncertain = serializers.BooleanField()
    inference_ms = serializers.FloatField()
    heatmap_url = serializers.CharField(allow_null=True)
    photo_kind = serializers.ChoiceField(choices=Prediction.PhotoKind.choices, allow_blank=True)


class TriageSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    label = serializers.CharField()
    target_minutes = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()
    advice = serializers.CharField()
    outcome = serializers.CharField(allow_null=True)
    note = serializers.CharField(allow_null=True)


class SubmissionSerializer(serializers.ModelSerializer):
    error = serializers.SerializerMethodField()
    prediction = serializers.SerializerMethodField()
    triage = serializers.SerializerMethodField()
    image_url = serializers.SerializerMethodField()
    extra_photo_urls = serializers.SerializerMethodField()

    class Meta:
        model = Submission
        fields = [
            "id",
            "status",
            "created_at",
            "finished_at",
            "body_site",
            "symptoms",
            "dermoscope",
            *SYMPTOM_QUESTIONS,
            "diameter_mm",
            "screen",
            "error",
            "prediction",
            "triage",
            "image_url",
            "extra_photo_urls",
        ]

    def get_error(self, obj) -> str | None:
        # Stored in English (worker side); answered in the caller's language when translated.
        return gettext(obj.error) if obj.error else None

    def get_image_url(self, obj) -> str:
        return f"/api/v1/submissions/{obj.pk}/image/"

    def get_extra_photo_urls(self, obj) -> list[str]:
        return [f"/api/v1/submissions/{obj.pk}/extra/{p.position}/" for p in obj.extra_photos.all()]

    @extend_schema_field(PredictionSerializer(allow_null=True))
    def get_prediction(self, obj) -> dict | None:
        prediction = getattr(obj, "prediction", None) if obj.status == Submission.Status.DONE else None
        if prediction is None:
            return None
        names = self.context.get("names")
        if names is None:
            names = dict(Disease.objects.values_list("code", "name"))
            self.context["names"] = names
        return {
            "model_version": prediction.model_version,
            "ranked": presenters.ranked_with_names(prediction, names),
            "top": prediction.top,
            "uncertain": prediction.uncertain,
            "inference_ms": prediction.inference_ms,
            "heatmap_url": f"/api/v1/submissions/{obj.pk}/heatmap/" if prediction.heatmap else None,
            "photo_kind": prediction.photo_kind,
        }

    @extend_schema_field(TriageSerializer(allow_null=True))
    def get_triage(self, obj) -> dict | None:
        if "levels" not in self.context:
            from triage.selectors import level_settings

            self.context["levels"] = level_settings()
        summary = presenters.triage_summary(obj, self.context["levels"])
        if summary is None:
            return None
        return {k: summary[k] for k in ("level", "label", "target_minutes", "status", "advice", "outcome", "note")}


class SubmissionCreatedSerializer(SubmissionSerializer):
    """The upload's answer: the submission, and whether it is one made by an identical earlier upload."""

    duplicate = serializers.SerializerMethodField(
        help_text="True: the same photo was sent a moment ago; this is the submission it made then."
    )
    detail = serializers.SerializerMethodField()

    class Meta(SubmissionSerializer.Meta):
        fields = [*SubmissionSerializer.Meta.fields, "duplicate", "detail"]

    def get_duplicate(self, obj) -> bool:
        return bool(self.context.get("duplicate"))

    def get_detail(self, obj) -> str | None:
        return gettext(services.DUPLICATE_MESSAGE) if self.context.get("duplicate") else None


def _private_file(field, content_type: str) -> FileResponse:
    if not field:
        raise Http404
    response = FileResponse(field.open("rb"), content_type=content_type)
    # Medical images: never cached by shared caches, never sniffed as something else.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class SubmissionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = SubmissionSerializer
    throttle_classes = [UploadThrottle]
    queryset = Submission.objects.none()

    def get_queryset(self):
        # Lists are scoped here: a patient only ever sees their own rows.
        return selectors.submissions_for_patient(patient=self.request.user).prefetch_related("extra_photos")

    def get_object(self):
        return submission_for_user(self.request.user, self.kwargs["pk"])

    def retrieve(self, request, *args, **kwargs):
        submission = self.get_object()
        submission_record_view(submission=submission, by=request.user, what=Viewed.RESULT)
        return Response(self.get_serializer(submission).data)

    def list(self, request, *args, **kwargs):
        if not request.user.is_patient:
            raise PermissionDenied("Only patients have submissions.")
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": SubmissionCreateSerializer}, responses={202: SubmissionCreatedSerializer}
    )
    def create(self, request):
        if not request.user.is_patient:
            raise PermissionDenied("Only patients can upload lesion photos.")
        # Photos are stored only with the patient's consent to the privacy notice in force.
        from portal.accounts.selectors import PHOTO_CONSENT_REQUIRED, photo_consent_given

        if not photo_consent_given(user=request.user):
            raise PermissionDenied(PHOTO_CONSENT_REQUIRED)
        data = SubmissionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            submission = services.submission_create(patient=request.user, **data.validated_data)
        except services.ExtraPhotoRejected as exc:
            return Response({"extra_images": [exc.message], "code": exc.code}, status=exc.status)
        except ImageRejected as exc:
            return Response({"image": [exc.message], "code": exc.code}, status=exc.status)
        except services.DuplicateUpload as exc:
            # The same answer as the first upload got (a retry is safe), naming the submission.
            body = SubmissionCreatedSerializer(exc.submission, context={"duplicate": True}).data
            return Response(body, status=status.HTTP_202_ACCEPTED)
        return Response(SubmissionCreatedSerializer(submission).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={(200, "image/jpeg"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def image(self, request, pk=None):
        submission = self.get_object()
        submission_record_view(submission=submission, by=request.user, what=Viewed.PHOTO)
        return _private_file(submission.image, "image/jpeg")

    @extend_schema(
        parameters=[OpenApiParameter("position", int, OpenApiParameter.PATH, description="1 or 2.")],
        responses={(200, "image/jpeg"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], url_path=r"extra/(?P<position>[0-9]+)", url_name="extra")
    def extra(self, request, pk=None, position=None):
        """An extra photo of the spot (extra_photo_urls); the same access and audit as `image`."""
        submission = self.get_object()
        photo = submission.extra_photos.filter(position=int(position)).first()
        response = _private_file(photo.image if photo else None, "image/jpeg")
        submission_record_view(submission=submission, by=request.user, what=Viewed.PHOTO)
        return response

    @extend_schema(responses={(200, "image/png"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def heatmap(self, request, pk=None):
        submission = self.get_object()
        prediction = getattr(submission, "prediction", None)
        response = _private_file(prediction.heatmap if prediction else None, "image/png")
        submission_record_view(submission=submission, by=request.user, what=Viewed.HEATMAP)
        return response
