"""Shared API pieces: token authentication, the JSON parser, role permissions, pagination.

Throttles live in portal.ratelimits.
"""

from django.utils.translation import gettext as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, ParseError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, with too deeply nested JSON and lone surrogates refused (400), not a 500.

    Python's json module recurses once per nested array or object; about a thousand levels
    (a 2 KB body) exhaust the interpreter's stack and raise RecursionError, which DRF's parser
    does not catch. It is set as the default parser for every API view in settings.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - the body is nested too deeply.")) from None
        if _has_lone_surrogate(data):
            raise ParseError(_("JSON parse error - the body holds a lone surrogate (\\uD800-\\uDFFF).")) from None
        return data


def _has_lone_surrogate(data) -> bool:
    """Whether a string anywhere in parsed JSON holds half a surrogate pair.

    JSON may spell one as an escape (a valid pair becomes one character); Python keeps it, but
    no UTF-8 encoder takes it, so the first database write or error message that echoes it
    would fail with a 500.
    """
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class ApiTokenAuthentication(TokenAuthentication):
    """django-rest-knox's expiring tokens, with a token that is not UTF-8 refused 401, not a 500.

    Knox decodes the header's bytes as UTF-8 and lets UnicodeDecodeError escape; any client can
    send such a header (HTTP headers are Latin-1).
    """

    def authenticate_credentials(self, token: bytes):
        try:
            token.decode("utf-8")
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("Invalid token.")) from None
        return super().authenticate_credentials(token)


class ApiTokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of the token above (drf-spectacular knows knox's own class)."""

    target_class = "portal.api_common.ApiTokenAuthentication"
    name = "tokenAuth"


class IsPatient(BasePermission):
    message = "Only patients can do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_patient)


class CanTriage(BasePermission):
    message = "Only nurses and admins can do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.can_triage)


class Pagination(PageNumberPagination):
    """Page-number pagination; clients may ask for up to 100 rows a page."""

    page_size_query_param = "page_size"
    max_page_size = 100
