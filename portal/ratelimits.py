"""One set of rate limits for web pages and API alike, counted atomically in the shared cache.

django-ratelimit keeps the counters (cache add + incr: atomic in Redis and in the embedded
LockedFileBasedCache). A web form and its API endpoint use the same group and key, so a patient
cannot get round the upload limit by switching from the app to the browser.
"""

import logging
from collections.abc import Callable

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

log = logging.getLogger(__name__)


def _by_user(group, request) -> str:
    return str(request.user.pk)


def _by_ip(group, request) -> str:
    # The address django-axes locks out (django-ipware, PROXY_COUNT): the client, not the proxy.
    return get_client_ip_address(request) or "unknown"


def _by_value(value: str) -> Callable:
    # Usernames and e-mail addresses are compared as the account lookup would (case-insensitive).
    return lambda group, request: value.strip().casefold()


def limit_retry_after(request: HttpRequest, *, scope: str, by: str = "user", value: str | None = None) -> int | None:
    """Count one attempt in `scope`; return the seconds to wait if it is over the limit, else None.

    `by` is "user" (the logged-in user), "ip" (the client address, proxy-aware) or "value"
    (`value`, e.g. a username or an e-mail address). Rates come from settings.RATE_LIMITS.
    """
    key = {"user": _by_user, "ip": _by_ip}.get(by) or _by_value(value or "")
    try:
        usage = get_usage(
            request, group=f"skintriage.{scope}.{by}", key=key, rate=settings.RATE_LIMITS[scope], increment=True
        )
    except Exception as exc:  # redis.ConnectionError, TimeoutError, ...
        # Refusing every patient's upload because a counter is unreachable would be worse than
        # briefly not counting.
        log.warning("rate limit not checked, cache unavailable: %s", exc)
        return None
    if usage is None or not usage["should_limit"]:
        return None
    return max(1, usage["time_left"])


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    """The web page a person sees over a limit: 429 with Retry-After, and the wait in minutes."""
    minutes = max(1, (retry_after + 59) // 60)
    response = render(request, "portal/ratelimited.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


class _ScopeThrottle(BaseThrottle):
    """A DRF throttle over limit_retry_after: the API shares the web pages' counters.

    Only writes (POST) count; reading results and polling is never throttled.
    """

    scope = ""

    def allow_request(self, request, view):
        if request.method != "POST":
            return True
        self._wait = limit_retry_after(request, scope=self.scope)
        return self._wait is None

    def wait(self):
        return self._wait


class UploadThrottle(_ScopeThrottle):
    scope = "upload"


class ChatThrottle(_ScopeThrottle):
    scope = "chat"


class ConversationThrottle(_ScopeThrottle):
    scope = "conversation"
