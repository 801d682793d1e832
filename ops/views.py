"""/metrics for the monitoring network or staff, and the staff operations page."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from diagnosis.models import Submission
from ops import access, charts, selectors
from ops import metrics as clinic_metrics
from ops.drift import drift_report
from ops.models import DriftAlert


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """The Prometheus text format, for an allowed address, the bearer token or a staff session."""
    if not access.may_scrape_metrics(request):
        return HttpResponseForbidden(
            "Metrics are only for the monitoring network (METRICS_ALLOWED_CIDRS), its token or staff.\n",
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(clinic_metrics.exposition(), content_type=CONTENT_TYPE_LATEST)


@never_cache
@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Counts, queue per level with overdue, refusals, latency and the last 7 days at a glance."""
    if not access.is_ops_staff(request.user):
        raise PermissionDenied
    window = settings.OPS_LATENCY_WINDOW_HOURS
    snapshot = selectors.ops_snapshot(
        window_hours=window,
        latency_buckets_s=settings.OPS_LATENCY_BUCKETS_SECONDS,
        inference_buckets_ms=settings.OPS_INFERENCE_BUCKETS_MS,
    )
    days = selectors.daily_series(days=7)
    return render(
        request,
        "ops/dashboard.html",
        {
            "snapshot": snapshot,
            "statuses": [(label, snapshot.submissions.get(value, 0)) for value, label in Submission.Status.choices],
            "total_overdue": sum(row.overdue for row in snapshot.queue),
            "percentiles": selectors.latency_percentiles(window_hours=window),
            "days": days,
            "chart": charts.week_chart(days, snapshot.queue),
            "drift": drift_report(),
            "last_alert": DriftAlert.objects.first(),
        },
    )
