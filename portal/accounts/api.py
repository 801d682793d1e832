"""Account API: patient registration and token login."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.accounts import services
from portal.accounts.models import User
from portal.ratelimits import limit_retry_after


class RegisterSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})
    email = serializers.EmailField(required=False, allow_blank=True, default="")

    def validate_username(self, value: str) -> str:
        if User.objects.filter(username__iexact=value).exists():
            raise serializers.ValidationError("A user with that username already exists.")
        return value


def _auth_limit(request, *, username: str = "") -> None:
    """Count one anonymous account request per client address (and per username); 429 over the limit."""
    waits = [limit_retry_after(request, scope="auth", by="ip")]
    if username:
        waits.append(limit_retry_after(request, scope="auth", by="value", value=username))
    waits = [w for w in waits if w]
    if waits:
        raise Throttled(wait=max(waits))


class RegisterApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        request=RegisterSerializer,
        responses={
            201: inline_serializer(
                "Registered", {"id": serializers.IntegerField(), "username": serializers.CharField()}
            )
        },
    )
    def post(self, request):
        _auth_limit(request)
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = services.patient_register(**serializer.validated_data)
        except DjangoValidationError as exc:
            # Password validators and model validation speak Django; the API speaks per-field.
            field = "password" if not hasattr(exc, "error_dict") else None
            detail = {field: exc.messages} if field else exc.message_dict
            return Response(detail, status=status.HTTP_400_BAD_REQUEST)
        return Response({"id": user.id, "username": user.username}, status=status.HTTP_201_CREATED)


class TokenApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        request=AuthTokenSerializer, responses={200: inline_serializer("Token", {"token": serializers.CharField()})}
    )
    def post(self, request):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        _auth_limit(request, username=username if isinstance(username, str) else "")
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})
