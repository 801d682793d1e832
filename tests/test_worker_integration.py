"""A task goes through the real broker to a real worker process and changes the database."""

import pytest

from portal.models import WorkerHeartbeat
from portal.tasks import worker_heartbeat
from tests.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_real_worker_process_consumes_a_task_from_the_broker(worker_process, settings, capsys):
    # given
    worker = worker_process()
    # when
    worker_heartbeat.delay("integration-probe")
    # then
    try:
        row = wait_for(lambda: WorkerHeartbeat.objects.filter(hostname="integration-probe").first(), timeout=60)
    except AssertionError:
        pytest.fail("worker did not consume the task; its log:\n" + worker.output())
    assert row.seen_at is not None
    # Written past pytest's capture on purpose: CI's log must show that a real worker consumed it.
    with capsys.disabled():
        broker = settings.CELERY_BROKER_URL.split("://")[0]
        print(f"\n[integration] real worker process pid {worker.proc.pid} consumed a task via {broker}")
