"""Home page, the "what this tool can and cannot do" page and the health probe."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal import health


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    # Nurses land on their queue (after log-in too: LOGIN_REDIRECT_URL is this page); admins keep
    # this page, whose menu has both the queue and the content admin.
    user = request.user
    if user.is_authenticated and user.role == user.Role.NURSE and user.can_triage:
        return redirect("triage:dashboard")
    return render(request, "portal/home.html")


@require_GET
def limits(request: HttpRequest) -> HttpResponse:
    """What this tool can and cannot do, in plain words (numbers from docs/model-card.md)."""
    return render(request, "portal/limits.html")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when database, broker, a worker and the model are all usable; 503 naming what is down."""
    model = health.check_model()
    body = {
        "database": health.check_database(),
        "broker": health.check_broker(),
        **health.check_worker(),
        "model": model or "unavailable",
    }
    healthy = all(body[k] == "ok" for k in ("database", "broker", "worker")) and model is not None
    return JsonResponse(body, status=200 if healthy else 503)
