"""The project's own Prometheus metrics, read from the database at scrape time.

Gunicorn workers and the Celery worker are separate processes that share no memory, so counters
kept in one of them would each tell part of the story. This collector instead asks the database
(ops.selectors) on every scrape: any process answers with the whole clinic's numbers.
django-prometheus' request and database metrics are per process; with several gunicorn workers
set PROMETHEUS_MULTIPROC_DIR and the hooks in ops/gunicorn.py so they are summed across workers.
"""

from __future__ import annotations

import os

import prometheus_client
from django.conf import settings
from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from diagnosis.models import Submission
from ml.gate import MESSAGES as GATE_MESSAGES
from ops import selectors

PREFIX = "skintriage"


def _histogram(name: str, doc: str, histogram: selectors.Histogram) -> HistogramMetricFamily:
    buckets = [(_le(bound), float(count)) for bound, count in histogram.buckets]
    buckets.append(("+Inf", float(histogram.count)))
    return HistogramMetricFamily(name, doc, buckets=buckets, sum_value=histogram.total)


def _le(bound: float) -> str:
    return str(float(bound))


class ClinicCollector(Collector):
    """Submissions, queue, predictions, refusals, latencies and workers, from the database."""

    def describe(self):
        # Registering must not query the database; the families are only known at scrape time.
        return []

    def collect(self):
        snap = selectors.ops_snapshot(
            window_hours=settings.OPS_LATENCY_WINDOW_HOURS,
            latency_buckets_s=settings.OPS_LATENCY_BUCKETS_SECONDS,
            inference_buckets_ms=settings.OPS_INFERENCE_BUCKETS_MS,
        )
        # Gauges, not counters: a GDPR deletion removes rows, and a falling counter would read
        # as a process restart to Prometheus' rate(). Use delta()/deriv() on these.
        submissions = GaugeMetricFamily(f"{PREFIX}_submissions", "Stored submissions by status.", labels=["status"])
        for status in Submission.Status.values:
            submissions.add_metric([status], snap.submissions.get(status, 0))
        yield submissions

        depth = GaugeMetricFamily(f"{PREFIX}_queue_depth", "Open triage cases by level.", labels=["level", "name"])
        overdue = GaugeMetricFamily(
            f"{PREFIX}_queue_overdue", "Open triage cases waiting past their level's target.", labels=["level", "name"]
        )
        target = GaugeMetricFamily(
            f"{PREFIX}_queue_target_seconds", "Each level's nurse review target.", labels=["level", "name"]
        )
        for row in snap.queue:
            labels = [str(row.level), row.name]
            depth.add_metric(labels, row.depth)
            overdue.add_metric(labels, row.overdue)
            if row.target_minutes is not None:
                target.add_metric(labels, row.target_minutes * 60)
        yield from (depth, overdue, target)

        predictions = GaugeMetricFamily(
            f"{PREFIX}_predictions",
            "Stored predictions by top-1 class and by the photo kind the model saw.",
            labels=["top_class", "photo_kind"],
        )
        for (top, kind), n in sorted(snap.predictions.items()):
            predictions.add_metric([top, kind], n)
        yield predictions

        refusals = GaugeMetricFamily(
            f"{PREFIX}_gate_refusals", "Photos refused by the quality/skin gate, by reason.", labels=["reason"]
        )
        for code in [*GATE_MESSAGES, "other"]:
            refusals.add_metric([code], snap.refusals.get(code, 0))
        yield refusals

        window = f" over the last {snap.window_hours:g} h"
        yield _histogram(
            f"{PREFIX}_upload_to_result_seconds",
            "Upload to result (done or refused) of submissions finished" + window + ".",
            snap.upload_to_result,
        )
        yield _histogram(
            f"{PREFIX}_inference_milliseconds",
            "Model inference time of predictions made" + window + ".",
            snap.inference_ms,
        )

        seen = GaugeMetricFamily(
            f"{PREFIX}_worker_last_seen_timestamp_seconds",
            "When each Celery worker last proved it reaches the database (heartbeat task).",
            labels=["hostname", "model_version"],
        )
        serving = GaugeMetricFamily(
            f"{PREFIX}_worker_model_ok", "1 when the worker's last heartbeat could load the model.", labels=["hostname"]
        )
        stale_after = getattr(settings, "WORKER_STALE_SECONDS", 30)
        alive = GaugeMetricFamily(
            f"{PREFIX}_workers_alive", f"Workers that reported in the last {stale_after:g} s (WORKER_STALE_SECONDS)."
        )
        alive.add_metric([], sum((snap.taken_at - w.seen_at).total_seconds() < stale_after for w in snap.workers))
        for worker in snap.workers:
            seen.add_metric([worker.hostname, worker.model_version], worker.seen_at.timestamp())
            serving.add_metric([worker.hostname], 0 if worker.model_error else 1)
        yield from (seen, serving, alive)

        newest = GaugeMetricFamily(
            f"{PREFIX}_newest_result_timestamp_seconds", "When the newest submission finished (any outcome)."
        )
        if snap.newest_finished_at is not None:
            newest.add_metric([], snap.newest_finished_at.timestamp())
        yield newest

        model = GaugeMetricFamily(f"{PREFIX}_model_info", "The active model version.", labels=["version"])
        if snap.model_version:
            model.add_metric([snap.model_version], 1)
        yield model


_clinic = CollectorRegistry(auto_describe=False)
_clinic.register(ClinicCollector())


def process_registry() -> CollectorRegistry:
    """django-prometheus' metrics: summed over every process when PROMETHEUS_MULTIPROC_DIR is set."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return prometheus_client.REGISTRY


def exposition() -> bytes:
    """The text format: process metrics, then the clinic's (distinct names, so one document)."""
    return prometheus_client.generate_latest(process_registry()) + prometheus_client.generate_latest(_clinic)
