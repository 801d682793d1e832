"""Account API: patient registration, token log-in and log-out (django-rest-knox tokens)."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, inline_serializer
from knox import views as knox_views
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import PermissionDenied, Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.accounts import selectors, services
from portal.accounts.models import Consent, User
from portal.accounts.usernames import username_clean
from portal.accounts.validators import date_of_birth_validate
from portal.api_common import ApiTokenAuthentication
from portal.ratelimits import limit_retry_after


class RegisterSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    full_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=150)
    date_of_birth = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="YYYY-MM-DD; not in the future."
    )
    phone = PhoneNumberField(
        required=False,
        allow_blank=True,
        default="",
        help_text="E.164 (+44...) or a national number of PHONENUMBER_DEFAULT_REGION.",
    )
    preferred_contact = serializers.ChoiceField(
        choices=User.Contact.choices, required=False, allow_blank=True, default=""
    )
    consent_photos = serializers.BooleanField(
        default=False,
        help_text="Consent to store photos and answers under the privacy notice in force (/about/privacy/);"
        " without it uploads are refused with 403.",
    )
    consent_contact = serializers.BooleanField(
        default=False, help_text="Consent to be contacted by the clinic; without it nurses see 'do not contact'."
    )

    def validate_date_of_birth(self, value):
        try:
            date_of_birth_validate(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return value

    def validate_username(self, value: str) -> str:
        # The web sign-up form's rules: NFKC, one script, unique ignoring case.
        try:
            return username_clean(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


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
            user = services.patient_register(
                **serializer.validated_data, source=Consent.Source.API, ip=_client_ip(request)
            )
        except DjangoValidationError as exc:
            # Password validators and model validation speak Django; the API speaks per-field.
            field = "password" if not hasattr(exc, "error_dict") else None
            detail = {field: exc.messages} if field else exc.message_dict
            return Response(detail, status=status.HTTP_400_BAD_REQUEST)
        return Response({"id": user.id, "username": user.username}, status=status.HTTP_201_CREATED)


def _client_ip(request) -> str | None:
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request._request) or None


class ConsentStateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Consent.Kind.choices)
    given = serializers.BooleanField()
    version = serializers.CharField(allow_null=True)
    given_at = serializers.DateTimeField(allow_null=True)
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    outdated = serializers.BooleanField(help_text="Photo consent was to an older notice: consent again.")


class ConsentsSerializer(serializers.Serializer):
    notice_version = serializers.CharField()
    photos = ConsentStateSerializer()
    contact = ConsentStateSerializer()


class ConsentChangeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Consent.Kind.choices)
    given = serializers.BooleanField(help_text="true gives the consent (to the notice in force), false withdraws it.")


def _consents(user) -> dict:
    state = selectors.consent_state(user=user)
    return ConsentsSerializer({"notice_version": settings.PRIVACY_NOTICE_VERSION, **state}).data


class ConsentApi(APIView):
    """The patient's consents: read them, give one (to the notice in force) or withdraw one."""

    permission_classes = [IsAuthenticated]

    def _patient(self, request):
        if not request.user.is_patient:
            raise PermissionDenied("Only patients give consent.")
        return request.user

    @extend_schema(responses={200: ConsentsSerializer})
    def get(self, request):
        return Response(_consents(self._patient(request)))

    @extend_schema(request=ConsentChangeSerializer, responses={200: ConsentsSerializer})
    def post(self, request):
        user = self._patient(request)
        change = ConsentChangeSerializer(data=request.data)
        change.is_valid(raise_exception=True)
        kind, given = change.validated_data["kind"], change.validated_data["given"]
        if given:
            services.consent_give(user=user, kind=kind, source=Consent.Source.API, ip=_client_ip(request))
        else:
            services.consent_withdraw(user=user, kind=kind, source=Consent.Source.API)
        return Response(_consents(user))


class TokenApi(APIView):
    """Log in: each call makes a new token (one per device) that expires after TOKEN_TTL_HOURS."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer("Token", {"token": serializers.CharField(), "expiry": serializers.DateTimeField()})
        },
    )
    def post(self, request):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        _auth_limit(request, username=username if isinstance(username, str) else "")
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        token, expiry = services.api_token_create(user=user)
        # As a web log-in: last_login is updated and axes records the success.
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        return Response({"token": token, "expiry": serializers.DateTimeField().to_representation(expiry)})


class LogoutApi(knox_views.LogoutView):
    """Log out this device: the token the request was made with stops working."""

    authentication_classes = [ApiTokenAuthentication]

    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):
        return super().post(request, format)


class LogoutAllApi(knox_views.LogoutAllView):
    """Log out every device of this user: all their tokens stop working."""

    authentication_classes = [ApiTokenAuthentication]

    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):
        return super().post(request, format)
