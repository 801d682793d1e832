"""Docker health check of one Celery worker: healthy only while its own heartbeat is fresh.

Every worker writes a heartbeat row named after its Celery node (portal.worker) every
WORKER_HEARTBEAT_SECONDS; /healthz fails when no worker's row is fresh. This asks the database
whether *this* container's worker wrote one within WORKER_STALE_SECONDS, so a worker that hangs,
lost the database or never started is marked unhealthy even while its siblings keep /healthz up.

    python deploy/worker_health.py worker      # node worker@<this host name>; exit 0 or 1
"""

import os
import socket
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fresh(node: str) -> bool:
    """True when the worker named `node` wrote its heartbeat within WORKER_STALE_SECONDS."""
    from django.conf import settings
    from django.utils import timezone

    from portal.models import WorkerHeartbeat

    since = timezone.now() - timedelta(seconds=settings.WORKER_STALE_SECONDS)
    return WorkerHeartbeat.objects.filter(hostname=node, seen_at__gte=since).exists()


def node_name(prefix: str) -> str:
    """The name `celery worker -n PREFIX@%h` gives the worker in this container."""
    return prefix if "@" in prefix else f"{prefix}@{socket.gethostname()}"


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    node = node_name(argv[1] if len(argv) > 1 else "celery")
    try:
        ok = fresh(node)
    except Exception as exc:  # the database is down: this worker cannot work either
        print(f"{node}: heartbeat unreadable: {exc}")
        return 1
    print(f"{node}: {'heartbeat fresh' if ok else 'no fresh heartbeat'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
