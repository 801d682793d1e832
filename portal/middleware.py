"""Refuse oversized request bodies before Django reads them."""

import logging

from django.conf import settings
from django.http import JsonResponse

log = logging.getLogger(__name__)

# Multipart framing and the text fields add a little to the file itself.
OVERHEAD_BYTES = 64 * 1024


class RequestSizeLimitMiddleware:
    """A 2 GB upload is answered 413 from its Content-Length, without reading the body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.UPLOAD_MAX_BYTES + OVERHEAD_BYTES
        if length > limit:
            message = f"The upload is too large. The limit is {settings.UPLOAD_MAX_BYTES // 1_000_000} MB."
            # No "Connection: close" here: WSGI forbids an application to set hop-by-hop headers
            # (wsgiref, under runserver, answers 500 instead). The server deals with the unread
            # body: gunicorn's sync workers close every connection, runserver drains the body.
            return JsonResponse({"image": [message], "detail": message}, status=413)
        return self.get_response(request)


class ServiceUnavailableMiddleware:
    """A lost database connection or photo storage answers a clear 503 instead of a 500 page.

    The connection is dropped so the next request reconnects (CONN_HEALTH_CHECKS does the rest).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.db import InterfaceError, OperationalError, connections

        if _storage_down(exception):
            log.warning("object storage unavailable: %s", exception)
        elif isinstance(exception, OperationalError | InterfaceError):
            for conn in connections.all(initialized_only=True):
                conn.close_if_unusable_or_obsolete()
        else:
            return None
        message = "The service is briefly unavailable. Please try again in a minute."
        response = JsonResponse({"detail": message}, status=503)
        response["Retry-After"] = "30"
        return response


def _storage_down(exception: BaseException) -> bool:
    """The S3-compatible photo storage is unreachable or refused us (S3_BUCKET mode)."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # local-folder mode without boto3 installed
        return False
    return isinstance(exception, BotoCoreError | ClientError)
