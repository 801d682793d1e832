"""Checks behind /healthz: database, broker, a live worker and the active model, each named when down."""

import logging
from pathlib import Path

from django.conf import settings
from django.db import connection
from kombu import Connection

log = logging.getLogger(__name__)


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as exc:  # any driver error means "down" to a probe
        log.warning("health: database down: %s", exc)
        return "down"


def check_broker() -> str:
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".health"
            probe.write_text("ok")
            probe.unlink()
            return "ok"
        except OSError as exc:
            log.warning("health: embedded broker folder unusable: %s", exc)
            return "down"
    try:
        # A fresh connection each probe: a pooled one could hide that the server went away.
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
            # Redis accepts TCP even while loading; a real round trip proves it answers.
            client = getattr(conn.default_channel, "client", None)
            if client is not None:
                client.ping()
        return "ok"
    except Exception as exc:
        log.warning("health: broker down: %s", exc)
        return "down"


def check_model() -> str | None:
    """The active model's version, or None when no usable model is registered."""
    from datetime import timedelta

    from django.utils import timezone

    from ml import registry
    from portal.models import WorkerHeartbeat

    try:
        version = registry.active_version_checked()
    except Exception as exc:
        log.warning("health: model unavailable: %s", exc)
        return None
    # The file looks right; a worker that recently failed to load it knows better.
    recent = timezone.now() - timedelta(minutes=2)
    failing = WorkerHeartbeat.objects.filter(seen_at__gte=recent).exclude(model_error="").order_by("-seen_at").first()
    if failing is not None:
        log.warning("health: worker %s cannot load the model: %s", failing.hostname, failing.model_error)
        return None
    return version


def check_worker() -> dict:
    """ "ok" when some worker wrote its heartbeat (portal.worker) within WORKER_STALE_SECONDS."""
    from datetime import timedelta

    from django.utils import timezone

    from portal.models import WorkerHeartbeat

    try:
        last = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    except Exception as exc:  # the database check names that outage
        log.warning("health: worker heartbeats unreadable: %s", exc)
        return {"worker": "unknown"}
    stale = timedelta(seconds=settings.WORKER_STALE_SECONDS)
    if last is not None and timezone.now() - last <= stale:
        return {"worker": "ok"}
    why = "no worker has reported" if last is None else f"last worker heartbeat at {last.isoformat()}"
    log.warning("health: no live worker: %s", why)
    return {"worker": "down", "worker_detail": f"{why}; expected one within {settings.WORKER_STALE_SECONDS:g} s"}
