"""Home page and health probe."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal import health


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when database, broker and model are all usable; 503 naming what is down."""
    model = health.check_model()
    body = {
        "database": health.check_database(),
        "broker": health.check_broker(),
        "model": model or "unavailable",
    }
    healthy = body["database"] == "ok" and body["broker"] == "ok" and model is not None
    return JsonResponse(body, status=200 if healthy else 503)
