"""Shared API pieces: the JSON parser, role permissions, pagination; throttles live in portal.ratelimits."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission


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


class Pagination(PageNumberPagination):
    """Page-number pagination; clients may ask for up to 100 rows a page."""

    page_size_query_param = "page_size"
    max_page_size = 100
