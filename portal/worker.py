"""What every Celery worker does beside its tasks, beat or no beat: say it is alive, vouch for the
submissions it is working on, and take back those of a worker that died.

A thread in the worker's main process, started and stopped as a worker bootstep, every
WORKER_HEARTBEAT_SECONDS:

1. writes this worker's heartbeat row (/healthz fails when no row is fresh);
2. renews the lease (`updated_at`) of each submission whose task this worker is running;
3. re-queues submissions in processing whose lease is older than SUBMISSION_LEASE_SECONDS: no live
   worker renews them, so their worker was killed. With the embedded transport the killed
   worker's message is gone, and with Redis it would come back only after the visibility timeout.
   A submission that keeps killing its worker is failed with a message after three attempts.
"""

import logging
import socket
import threading

from celery import bootsteps
from celery.signals import celeryd_init
from django.conf import settings
from django.db import close_old_connections, connection

log = logging.getLogger(__name__)

PHOTO_TASKS = ("ml.tasks.classify_submission",)
_node = {"name": ""}


@celeryd_init.connect
def _remember_node_name(sender=None, **kwargs) -> None:
    # Sent in the main process before the pool forks: the children inherit the name.
    _node["name"] = sender or ""


def node_name() -> str:
    """This worker's Celery node name (unique per worker, unlike the machine's host name)."""
    return _node["name"] or socket.gethostname()


def active_submission_ids() -> list[int]:
    """Submissions whose classification this worker's pool is running right now."""
    from celery.worker import state

    for _ in range(3):  # the set may change under us while the consumer thread works
        try:
            requests = list(state.active_requests)
            break
        except RuntimeError:
            continue
    else:
        return []
    ids = []
    for request in requests:
        if request.name in PHOTO_TASKS and request.args:
            try:
                ids.append(int(request.args[0]))
            except (TypeError, ValueError):
                continue
    return ids


def tick(hostname: str) -> list[int]:
    """One round: heartbeat, lease renewal, recovery. Returns the re-queued submission ids."""
    from diagnosis import services as diagnosis
    from portal.tasks import worker_alive

    worker_alive(hostname=hostname)
    ids = active_submission_ids()
    if ids:
        diagnosis.submissions_renew_lease(submission_ids=ids)
    recovered = diagnosis.submissions_recover_expired_leases(older_than_seconds=settings.SUBMISSION_LEASE_SECONDS)
    if recovered:
        log.warning("re-queued submissions %s: their worker stopped renewing them", recovered)
    return recovered


class Heartbeat(bootsteps.StartStopStep):
    """The thread described above, one per worker."""

    requires = {"celery.worker.components:Pool"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.stopped = threading.Event()
        self.thread = None

    def start(self, worker):
        self.thread = threading.Thread(target=self.run, args=(worker.hostname,), name="heartbeat", daemon=True)
        self.thread.start()

    def stop(self, worker):
        self.stopped.set()
        if self.thread is not None:
            self.thread.join(timeout=10)

    def run(self, hostname: str) -> None:
        while not self.stopped.is_set():
            try:
                close_old_connections()
                tick(hostname)
            except Exception as exc:  # the database may be down; try again next round
                log.warning("worker heartbeat failed: %s", exc)
                connection.close()
            self.stopped.wait(settings.WORKER_HEARTBEAT_SECONDS)
        connection.close()
