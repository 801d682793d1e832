"""/metrics: Prometheus text format, who may read it, and that it follows the database."""

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from diagnosis.models import Submission
from ops import metrics
from ops.tests.rows import finished
from triage.models import Case

pytestmark = pytest.mark.django_db
OUTSIDE = "203.0.113.7"


def scrape(client, **extra) -> dict[str, list]:
    """GET /metrics and parse it; {family name: samples}."""
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"].startswith("text/plain; version=")
    return {f.name: f.samples for f in text_string_to_metric_families(response.content.decode())}


def value(families: dict, name: str, **labels) -> float:
    """The one sample called `name` whose labels include `labels` (0 when absent)."""
    family = name.removesuffix("_bucket").removesuffix("_count").removesuffix("_sum")
    hits = [s.value for s in families.get(family, []) if s.name == name and labels.items() <= s.labels.items()]
    assert len(hits) <= 1, (name, labels, hits)
    return hits[0] if hits else 0.0


def test_scrape_from_loopback_parses_and_has_every_family(client, levels, patient_alice):
    # given
    finished(patient_alice)
    # when
    families = scrape(client)
    # then: the project's own families, and django-prometheus' request and database metrics
    assert {
        "skintriage_submissions",
        "skintriage_queue_depth",
        "skintriage_queue_overdue",
        "skintriage_queue_target_seconds",
        "skintriage_predictions",
        "skintriage_gate_refusals",
        "skintriage_upload_to_result_seconds",
        "skintriage_inference_milliseconds",
        "skintriage_worker_last_seen_timestamp_seconds",
        "skintriage_newest_result_timestamp_seconds",
        "skintriage_model_info",
    } <= set(families)
    assert any(name.startswith("django_http_requests") for name in families)
    assert any(name.startswith("django_db_execute") for name in families)
    assert value(families, "skintriage_queue_target_seconds", level="2") == 2 * 3600


@pytest.mark.parametrize("who", ["anonymous", "patient", "nurse"])
def test_metrics_refuses_non_staff_from_outside_the_allowed_networks(client, who, patient_alice, nurse_nina):
    # given
    if who != "anonymous":
        client.force_login({"patient": patient_alice, "nurse": nurse_nina}[who])
    # when
    response = client.get("/metrics", REMOTE_ADDR=OUTSIDE)
    # then
    assert response.status_code == 403
    assert b"skintriage_" not in response.content


def test_metrics_answers_staff_from_anywhere(client, admin_ada):
    client.force_login(admin_ada)
    assert "skintriage_submissions" in scrape(client, REMOTE_ADDR=OUTSIDE)


def test_metrics_answers_the_configured_monitoring_network_only(client, settings):
    # given
    settings.METRICS_ALLOWED_CIDRS = ["10.20.0.0/16"]
    # then
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.21.3.4").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403


def test_metrics_behind_a_proxy_judges_the_client_not_the_proxy(client, settings):
    # given: one reverse proxy on loopback (PROXY_COUNT=1, as portal/settings.py configures ipware)
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.AXES_IPWARE_PROXY_ORDER = "left-most"
    # when: the proxy forwards a request from the internet
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=OUTSIDE)
    # then: the loopback proxy does not make the outsider a monitoring host
    assert response.status_code == 403


def test_metrics_bearer_token(client, settings):
    # given
    settings.METRICS_TOKEN = "s3cret-scrape-token"

    def status(authorization: str) -> int:
        return client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION=authorization).status_code

    # then
    assert status("Bearer s3cret-scrape-token") == 200
    assert status("Bearer wrong") == 403
    assert status("Token s3cret-scrape-token") == 403


def test_metrics_refuses_a_bearer_when_no_token_is_configured(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_metrics_refuses_post(client):
    assert client.post("/metrics").status_code == 405


def test_queue_depth_and_overdue_follow_each_levels_target(client, levels, patient_alice):
    # given: level 2's target is 2 h; one case waited 3 h, one 10 min; level 4 (72 h) waited 3 h
    finished(patient_alice, level=2, age=timedelta(hours=3))
    finished(patient_alice, level=2, age=timedelta(minutes=10))
    finished(patient_alice, level=4, age=timedelta(hours=3))
    finished(patient_alice, level=2, age=timedelta(hours=5), case_status=Case.Status.CLOSED)
    # when
    families = scrape(client)
    # then: closed cases are not in the queue
    assert value(families, "skintriage_queue_depth", level="2") == 2
    assert value(families, "skintriage_queue_overdue", level="2") == 1
    assert value(families, "skintriage_queue_depth", level="4") == 1
    assert value(families, "skintriage_queue_overdue", level="4") == 0


def test_refusals_are_counted_by_gate_reason(client, levels, patient_alice):
    # given
    finished(patient_alice, status=Submission.Status.REJECTED, gate_code="too_dark", level=3)
    finished(patient_alice, status=Submission.Status.REJECTED, gate_code="not_skin", level=3)
    finished(patient_alice, status=Submission.Status.REJECTED, gate_code="not_skin", level=3)
    # when
    families = scrape(client)
    # then
    assert value(families, "skintriage_gate_refusals", reason="not_skin") == 2
    assert value(families, "skintriage_gate_refusals", reason="too_dark") == 1
    assert value(families, "skintriage_submissions", status="rejected") == 3


def test_latency_histograms_bucket_the_recent_window(client, levels, patient_alice, settings):
    # given: results after 0.8 s and 3 s today, and one 40 h ago (outside the 24 h window)
    finished(patient_alice, seconds=0.8, inference_ms=6)
    finished(patient_alice, seconds=3, inference_ms=60)
    finished(patient_alice, seconds=3, inference_ms=60, age=timedelta(hours=40))
    # when
    families = scrape(client)
    # then
    name = "skintriage_upload_to_result_seconds"
    assert value(families, f"{name}_bucket", le="1.0") == 1
    assert value(families, f"{name}_bucket", le="2.0") == 1
    assert value(families, f"{name}_bucket", le="5.0") == 2
    assert value(families, f"{name}_bucket", le="+Inf") == 2
    assert value(families, f"{name}_count") == 2
    assert value(families, f"{name}_sum") == pytest.approx(3.8, abs=0.01)
    name = "skintriage_inference_milliseconds"
    assert value(families, f"{name}_bucket", le="10.0") == 1
    assert value(families, f"{name}_bucket", le="100.0") == 2
    assert value(families, f"{name}_sum") == pytest.approx(66)


def test_worker_heartbeats_are_exposed(client):
    from django.utils import timezone

    from portal.models import WorkerHeartbeat

    # given
    seen = timezone.now() - timedelta(seconds=12)
    WorkerHeartbeat.objects.create(hostname="celery@host-a", model_version="mnv2-x", seen_at=seen)
    WorkerHeartbeat.objects.create(hostname="celery@host-b", model_error="missing file", seen_at=seen)
    # when
    families = scrape(client)
    # then
    name = "skintriage_worker_last_seen_timestamp_seconds"
    assert value(families, name, hostname="celery@host-a", model_version="mnv2-x") == pytest.approx(seen.timestamp())
    assert value(families, "skintriage_worker_model_ok", hostname="celery@host-a") == 1
    assert value(families, "skintriage_worker_model_ok", hostname="celery@host-b") == 0
    assert value(families, "skintriage_workers_alive") == 2


def test_a_worker_silent_past_the_stale_limit_is_not_alive(client, settings):
    from django.utils import timezone

    from portal.models import WorkerHeartbeat

    # given
    settings.WORKER_STALE_SECONDS = 30
    WorkerHeartbeat.objects.create(hostname="celery@fresh", seen_at=timezone.now() - timedelta(seconds=5))
    WorkerHeartbeat.objects.create(hostname="celery@gone", seen_at=timezone.now() - timedelta(minutes=5))
    # then
    assert value(scrape(client), "skintriage_workers_alive") == 1


def test_a_scrape_costs_nine_queries_whatever_the_number_of_rows(levels, patient_alice, django_assert_num_queries):
    # given
    for i in range(30):
        finished(patient_alice, level=1 + i % 4, status=Submission.Status.REJECTED if i % 7 == 0 else "done")
    # then: status counts, levels, queue, predictions, refusals, two histograms, workers, model
    with django_assert_num_queries(9):
        metrics.exposition()


def test_the_drift_check_is_on_the_beat_schedule():
    from portal.celery import app

    entry = app.conf.beat_schedule["ops-check-drift"]
    assert entry["task"] == "ops.tasks.check_drift"
    assert "ops.tasks.check_drift" in app.tasks
