"""The Celery application: JSON only, no result backend, classification and long-job queues.

Results are our own database rows, so no result backend is configured. Classification tasks are
acknowledged late and rejected when their worker dies, so a killed worker's task is redelivered
instead of lost; being idempotent, running twice is safe.
"""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")

app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    result_backend=None,
    task_default_queue="default",
    task_queues=(Queue("default"), Queue("classify"), Queue("long")),
    task_routes={
        "ml.tasks.classify_submission": {"queue": "classify"},
        "ml.tasks.rescore_submission": {"queue": "classify"},
        "ml.tasks.train_model": {"queue": "long"},
    },
    # A worker takes one task at a time so a slow image never holds others hostage.
    worker_prefetch_multiplier=1,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    task_soft_time_limit=60,
    task_time_limit=90,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
    beat_schedule={
        "worker-heartbeat": {"task": "portal.tasks.worker_heartbeat", "schedule": 30.0},
        "sweep-stuck-submissions": {
            "task": "triage.tasks.sweep_stuck_submissions",
            "schedule": float(os.environ.get("SWEEP_INTERVAL_SECONDS", "30")),
        },
        "flag-overdue-cases": {"task": "triage.tasks.flag_overdue_cases", "schedule": 60.0},
    },
)
app.autodiscover_tasks()

# Heartbeat, lease renewal and recovery of a dead worker's submissions, in every worker.
from portal.worker import Heartbeat  # noqa: E402 - needs the app configured above

app.steps["worker"].add(Heartbeat)
