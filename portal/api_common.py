"""Shared API pieces: the JSON parser, role permissions and per-user throttles whose rates come from env vars."""

import logging

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.throttling import UserRateThrottle

log = logging.getLogger(__name__)


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, with too deeply nested JSON refused as a parse error (400), not a 500.

    Python's json module recurses once per nested array or object; about a thousand levels
    (a 2 KB body) exhaust the interpreter's stack and raise RecursionError, which DRF's parser
    does not catch. It is set as the default parser for every API view in settings.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - the body is nested too deeply.")) from None


class IsPatient(BasePermission):
    message = "Only patients can do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_patient)


class CanTriage(BasePermission):
    message = "Only nurses and admins can do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.can_triage)


class _WriteThrottle(UserRateThrottle):
    """Counts only writes (POST); reading results and polling is never throttled.

    The counters live in the shared cache (Redis when scaled). If that cache is down the request
    is let through: refusing every patient's upload because a rate counter is unreachable would
    be worse than briefly not counting.
    """

    def allow_request(self, request, view):
        if request.method != "POST":
            return True
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # redis.ConnectionError, TimeoutError, ...
            log.warning("rate limit not checked, cache unavailable: %s", exc)
            return True


class UploadThrottle(_WriteThrottle):
    scope = "upload"


class ChatThrottle(_WriteThrottle):
    scope = "chat"


class Pagination(PageNumberPagination):
    """Page-number pagination; clients may ask for up to 100 rows a page."""

    page_size_query_param = "page_size"
    max_page_size = 100
