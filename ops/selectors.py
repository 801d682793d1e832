"""Reads behind /metrics and the operations page: a few aggregate queries, no rows loaded.

Everything here is read from the database at the moment it is asked for, so every gunicorn
worker and the separate Celery worker report the same numbers: nothing lives in one process's
memory.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, FloatField, Max, Q, QuerySet, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from diagnosis.models import Prediction, Submission
from ml.gate import MESSAGES as GATE_MESSAGES
from ml.models import ModelVersion
from portal.models import WorkerHeartbeat
from triage.models import Case
from triage.selectors import level_settings

# A refused photo is a "rejected" submission whose error is the gate's message (ml.tasks); the
# message is stored in English, so it maps back to the gate's code.
_GATE_CODES = {message: code for code, message in GATE_MESSAGES.items()}
FINISHED = (Submission.Status.DONE, Submission.Status.REJECTED)


@dataclass(frozen=True)
class Histogram:
    """Cumulative bucket counts (upper bound -> count at or below it), total count and sum."""

    buckets: list[tuple[float, int]]
    count: int
    total: float


@dataclass(frozen=True)
class QueueLevel:
    level: int
    name: str
    colour: str
    target_minutes: int | None
    depth: int
    overdue: int


@dataclass(frozen=True)
class Snapshot:
    submissions: dict[str, int]
    newest_finished_at: datetime | None
    queue: list[QueueLevel]
    predictions: dict[tuple[str, str], int]
    refusals: dict[str, int]
    upload_to_result: Histogram
    inference_ms: Histogram
    workers: list[WorkerHeartbeat]
    model_version: str | None
    window_hours: float
    taken_at: datetime = field(default_factory=timezone.now)

    @property
    def refusal_rate(self) -> float | None:
        finished = sum(self.submissions.get(s, 0) for s in FINISHED)
        return self.submissions.get(Submission.Status.REJECTED, 0) / finished if finished else None


def _histogram(queryset: QuerySet, value, bounds: Sequence[float], to_bound) -> Histogram:
    """One aggregate query: a filtered count per bucket, the count and the sum of `value`."""
    queryset = queryset.annotate(_v=value)
    aggregates = {f"b{i}": Count("id", filter=Q(_v__lte=to_bound(b))) for i, b in enumerate(bounds)}
    row = queryset.aggregate(**aggregates, n=Count("id"), total=Sum("_v"))
    total = row["total"] or 0
    if isinstance(total, timedelta):
        total = total.total_seconds()
    return Histogram(buckets=[(b, row[f"b{i}"]) for i, b in enumerate(bounds)], count=row["n"], total=float(total))


def _duration() -> ExpressionWrapper:
    return ExpressionWrapper(F("finished_at") - F("created_at"), output_field=DurationField())


def queue_levels(*, now: datetime) -> list[QueueLevel]:
    """Open cases per level and how many of them are past their level's target (two queries)."""
    levels = level_settings()
    overdue = Q(pk__in=[])
    for number, setting in levels.items():
        # The same rule as the nurses' queue (triage.presenters): waiting longer than the target.
        overdue |= Q(level=number, created_at__lt=now - timedelta(minutes=setting.target_minutes))
    rows = {
        row["level"]: row
        for row in Case.objects.exclude(status=Case.Status.CLOSED)
        .order_by()
        .values("level")
        .annotate(depth=Count("id"), overdue=Count("id", filter=overdue))
    }
    result = []
    for number in sorted({1, 2, 3, 4} | set(levels) | set(rows)):
        setting, row = levels.get(number), rows.get(number, {})
        result.append(
            QueueLevel(
                level=number,
                name=setting.name if setting else str(number),
                colour=setting.colour if setting else "#6c757d",
                target_minutes=setting.target_minutes if setting else None,
                depth=row.get("depth", 0),
                overdue=row.get("overdue", 0),
            )
        )
    return result


def ops_snapshot(
    *, window_hours: float, latency_buckets_s: Sequence[float], inference_buckets_ms: Sequence[float]
) -> Snapshot:
    """Everything /metrics exposes, in nine aggregate queries whatever the number of rows."""
    now = timezone.now()
    since = now - timedelta(hours=window_hours)
    status_rows = list(
        Submission.objects.order_by().values("status").annotate(n=Count("id"), newest=Max("finished_at"))
    )
    predictions = {
        (row["top"], row["photo_kind"] or "unknown"): row["n"]
        for row in Prediction.objects.order_by().values("top", "photo_kind").annotate(n=Count("id"))
    }
    refusals: dict[str, int] = {}
    for row in (
        Submission.objects.filter(status=Submission.Status.REJECTED).order_by().values("error").annotate(n=Count("id"))
    ):
        code = _GATE_CODES.get(row["error"], "other")
        refusals[code] = refusals.get(code, 0) + row["n"]
    finished_recently = Submission.objects.filter(status__in=FINISHED, finished_at__gte=since)
    newest = [r["newest"] for r in status_rows if r["newest"] is not None]
    return Snapshot(
        submissions={row["status"]: row["n"] for row in status_rows},
        newest_finished_at=max(newest) if newest else None,
        queue=queue_levels(now=now),
        predictions=predictions,
        refusals=refusals,
        upload_to_result=_histogram(finished_recently, _duration(), latency_buckets_s, lambda s: timedelta(seconds=s)),
        inference_ms=_histogram(
            Prediction.objects.filter(created_at__gte=since), F("inference_ms"), inference_buckets_ms, float
        ),
        workers=list(WorkerHeartbeat.objects.order_by("hostname")),
        model_version=ModelVersion.objects.filter(active=True).values_list("version", flat=True).first(),
        window_hours=window_hours,
        taken_at=now,
    )


def _percentile(queryset: QuerySet, value, q: float):
    """The q-quantile (nearest rank) of `value` over the queryset: one count and one ordered row."""
    queryset = queryset.annotate(_v=value)
    n = queryset.count()
    if not n:
        return None
    rank = max(0, min(n - 1, math.ceil(q * n) - 1))
    return queryset.order_by("_v").values_list("_v", flat=True)[rank]


def latency_percentiles(*, window_hours: float) -> dict[str, dict[str, float | None]]:
    """Exact p50/p95 of upload-to-result (seconds) and inference (ms) over the window."""
    since = timezone.now() - timedelta(hours=window_hours)
    finished = Submission.objects.filter(status__in=FINISHED, finished_at__gte=since)
    inference = Prediction.objects.filter(created_at__gte=since)
    result: dict[str, dict[str, float | None]] = {"upload_to_result_s": {}, "inference_ms": {}}
    for q, name in ((0.5, "p50"), (0.95, "p95")):
        d = _percentile(finished, _duration(), q)
        result["upload_to_result_s"][name] = d.total_seconds() if d is not None else None
        result["inference_ms"][name] = _percentile(inference, F("inference_ms"), q)
    return result


@dataclass(frozen=True)
class Day:
    day: date
    levels: dict[int, int]
    finished: int
    refused: int
    mean_confidence: float | None

    @property
    def cases(self) -> int:
        return sum(self.levels.values())

    @property
    def refusal_rate(self) -> float | None:
        return self.refused / self.finished if self.finished else None


def daily_series(*, days: int = 7) -> list[Day]:
    """The last `days` calendar days (today included): level mix, refusals, mean top-1 confidence."""
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    levels: dict[date, dict[int, int]] = {}
    for row in (
        Case.objects.filter(created_at__gte=start)
        .annotate(day=TruncDate("created_at"))
        .order_by()
        .values("day", "level")
        .annotate(n=Count("id"))
    ):
        levels.setdefault(row["day"], {})[row["level"]] = row["n"]
    finished = {
        row["day"]: row
        for row in Submission.objects.filter(status__in=FINISHED, finished_at__gte=start)
        .annotate(day=TruncDate("finished_at"))
        .order_by()
        .values("day")
        .annotate(n=Count("id"), refused=Count("id", filter=Q(status=Submission.Status.REJECTED)))
    }
    # ranked is [[code, probability], ...] in descending order: element [0][1] is the top-1 score.
    confidence = {
        row["day"]: row["mean"]
        for row in Prediction.objects.filter(created_at__gte=start)
        .annotate(day=TruncDate("created_at"))
        .order_by()
        .values("day")
        .annotate(mean=Avg(Cast(KT("ranked__0__1"), FloatField())))
    }
    series = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        row = finished.get(day, {})
        series.append(
            Day(
                day=day,
                levels=levels.get(day, {}),
                finished=row.get("n", 0),
                refused=row.get("refused", 0),
                mean_confidence=confidence.get(day),
            )
        )
    return series
