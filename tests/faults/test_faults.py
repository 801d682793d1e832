"""Faults survived against the real services: a killed worker, a Redis outage, a dropped database
connection, a corrupt model. Run alone with `pytest -m faults`."""

import io
import shutil
import signal
import time

import pytest
from django.db import connection

from diagnosis import services as diagnosis
from diagnosis.models import Prediction, Submission
from ml import registry
from portal.accounts.services import api_token_create
from portal.models import WorkerHeartbeat
from tests.conftest import database_url_for_worker, wait_for
from tests.faults.services import RedisServer, WebServer, http, multipart
from tests.images import real_lesion_paths
from triage.models import Case

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.django_db(transaction=True)]
FAST_SWEEP = {"SUBMISSION_STUCK_SECONDS": "4", "SWEEP_INTERVAL_SECONDS": "2", "CELERY_VISIBILITY_TIMEOUT": "8"}


@pytest.fixture
def photos():
    paths = real_lesion_paths("test")[::25][:10]
    if not paths:
        pytest.skip("the isic8-180 images are not in ../shared (set SKIN_DATA_DIR)")
    return [p.read_bytes() for p in paths]


def _submit(patient, content: bytes) -> Submission:
    f = io.BytesIO(content)
    f.name = "lesion.jpg"
    return diagnosis.submission_create(patient=patient, image=f, body_site="back")


def _all_final(ids) -> bool:
    return Submission.objects.filter(pk__in=ids, status__in=["done", "rejected", "failed"]).count() == len(ids)


@pytest.mark.parametrize("beat", [False, True], ids=["no-beat", "beat"])
def test_worker_killed_mid_task_every_submission_finishes_once(
    active_model, photos, patient_alice, worker_process, beat
):
    # given: a worker busy with a batch of real photos (default lease and sweep settings)
    first = worker_process()
    ids = [_submit(patient_alice, content).pk for content in photos]
    # when: it is SIGKILLed while a task is running
    wait_for(lambda: Submission.objects.filter(pk__in=ids, status="processing").exists(), timeout=90, interval=0.005)
    first.kill()
    killed_at = time.monotonic()
    assert first.proc.returncode == -signal.SIGKILL
    known = set(WorkerHeartbeat.objects.values_list("hostname", flat=True))
    worker_process(beat=beat)
    # the new worker's heartbeat thread reports within seconds of its start
    wait_for(lambda: WorkerHeartbeat.objects.exclude(hostname__in=known).exists(), timeout=60, interval=0.2)
    up_at = time.monotonic()
    # then: every submission finishes within 30 s of the new worker being up, once
    wait_for(lambda: _all_final(ids), timeout=30, interval=0.2)
    done_at = time.monotonic()
    print(
        f"beat={beat}: all {len(ids)} finished {done_at - killed_at:.1f}s after the SIGKILL, "
        f"{done_at - up_at:.1f}s after the new worker was up"
    )
    assert Submission.objects.filter(pk__in=ids, status="done").count() == len(ids)
    assert Prediction.objects.filter(submission_id__in=ids).count() == len(ids)
    assert Case.objects.filter(submission_id__in=ids).count() == len(ids)


@pytest.fixture
def stack(tmp_path, settings, worker_process):
    """A private Redis, gunicorn and a worker with beat: a small deployment on loopback."""
    if not RedisServer.available():
        pytest.skip("redis-server is not installed")
    redis = RedisServer().start()
    env = {
        "DATABASE_URL": database_url_for_worker(),
        "REDIS_URL": redis.url,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "UPLOAD_RATE": "1000/m",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        **FAST_SWEEP,
    }
    web = WebServer(env, tmp_path / "web.log").start()
    worker_process(extra_env=env, beat=True)
    yield {"redis": redis, "web": web, "env": env}
    web.stop()
    redis.stop()


def _upload_http(web, token, content):
    body, ctype = multipart({"body_site": "back"}, {"image": ("lesion.jpg", content)})
    return http("POST", f"{web.base}/api/v1/submissions/", token, body, ctype)


def test_redis_outage_uploads_are_accepted_or_503_never_half_stored_and_all_finish(
    active_model, photos, patient_alice, stack
):
    web, redis = stack["web"], stack["redis"]
    token, _ = api_token_create(user=patient_alice)
    accepted = []
    for content in photos[:3]:
        status, body = _upload_http(web, token, content)
        assert status == 202
        accepted.append(body["id"])
    # when: Redis goes down while patients keep uploading
    redis.stop()
    during = [_upload_http(web, token, content) for content in photos[3:8]]
    statuses = [s for s, _ in during]
    assert set(statuses) <= {202, 503}, statuses
    accepted += [b["id"] for s, b in during if s == 202]
    # then: nothing half-stored: exactly the accepted rows exist, each with its file
    rows = Submission.objects.filter(patient=patient_alice)
    assert sorted(rows.values_list("pk", flat=True)) == sorted(accepted)
    assert all(s.image and s.image.storage.exists(s.image.name) for s in rows)
    # and when Redis returns (empty: its queue was lost), the sweeper re-queues and all finish
    redis.start()  # the same port, empty: what was queued in it is gone
    wait_for(lambda: _all_final(accepted), timeout=120, interval=0.5)
    assert Submission.objects.filter(pk__in=accepted, status="done").count() == len(accepted)


def test_database_connection_drop_fails_cleanly_and_recovers(patient_alice, stack):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL to terminate server-side connections")
    web = stack["web"]
    token, _ = api_token_create(user=patient_alice)
    assert http("GET", f"{web.base}/api/v1/submissions/", token)[0] == 200
    # when: the server drops every other connection to this database
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    # then: requests fail cleanly (503, never 500) and the service recovers by itself
    statuses = [http("GET", f"{web.base}/api/v1/submissions/", token)[0] for _ in range(6)]
    assert 500 not in statuses, statuses
    assert statuses[-1] == 200, statuses


def test_corrupt_model_fails_submissions_with_a_reason_and_the_worker_keeps_running(
    active_model, photos, patient_alice, worker_process, tmp_path, client
):
    # given: the active model's file is corrupt
    broken = tmp_path / "broken-model"
    shutil.copytree(registry.resolve_path(active_model.path), broken)
    (broken / "model.tflite").write_bytes(b"\x00garbage" * 1000)
    (broken / "model_card.json").write_text('{"version": "broken-1"}')
    registry.model_register(folder=broken, activate=True)
    worker = worker_process()
    # when
    sid = _submit(patient_alice, photos[0]).pk
    wait_for(lambda: Submission.objects.get(pk=sid).is_final, timeout=90)
    # then: failed with a reason a person can read, health says so, the worker is alive
    failed = Submission.objects.get(pk=sid)
    assert failed.status == "failed" and "problem on our side" in failed.error
    assert client.get("/healthz").status_code == 503
    assert worker.proc.poll() is None
    # and once a good model is active again, the same worker classifies without a restart
    registry.model_activate(model_version=active_model)
    sid2 = _submit(patient_alice, photos[1]).pk
    wait_for(lambda: Submission.objects.get(pk=sid2).is_final, timeout=60)
    assert Submission.objects.get(pk=sid2).status == "done"
