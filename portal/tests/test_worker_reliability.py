"""The embedded default under concurrent use, the worker heartbeat behind /healthz, the recovery of
a dead worker's submissions, and a migrated database that classifies without `setup_site`."""

import io
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from diagnosis import services as diagnosis
from diagnosis.models import Submission
from ml import registry
from ml.models import ModelVersion
from portal.models import WorkerHeartbeat
from tests.images import jpeg_bytes


def _submission(patient, **fields) -> Submission:
    # a different photo each time: identical uploads in a row are refused as duplicates
    f = io.BytesIO(jpeg_bytes(colour=(180, 120, (40 * Submission.objects.count()) % 256)))
    f.name = "lesion.jpg"
    submission = diagnosis.submission_create(patient=patient, image=f, body_site="back")
    if fields:
        Submission.objects.filter(pk=submission.pk).update(**fields)
    return Submission.objects.get(pk=submission.pk)


# --- 1. the embedded default under concurrent use ---------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_read_then_write_transactions_on_sqlite_never_fail_with_database_is_locked(patient_alice):
    """Each thread does what submission_start does (read in a transaction, then write), as the web
    and worker processes do at once. SQLite's DEFERRED mode fails them at once with "database is
    locked" (no waiting); IMMEDIATE transactions wait their turn."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    submission = _submission(patient_alice)
    errors, start = [], threading.Barrier(6)

    def work():
        try:
            start.wait()
            for _ in range(15):
                with transaction.atomic():
                    row = Submission.objects.get(pk=submission.pk)
                    time.sleep(0.002)  # the gap in which another connection starts writing
                    Submission.objects.filter(pk=row.pk).update(attempts=row.attempts + 1)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # and no update was lost: each read-then-write saw the one before it
    assert Submission.objects.get(pk=submission.pk).attempts == 6 * 15


@pytest.mark.django_db(transaction=True)
def test_sqlite_runs_in_wal_mode():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"


def test_the_embedded_queue_skips_a_half_written_message_and_keeps_it_aside(tmp_path):
    """kombu's file transport raised out of the worker (which died) on an empty or truncated file."""
    if settings.REDIS_URL:
        pytest.skip("embedded transport only")
    from portal.celery import app

    queue = f"test-{time.time_ns()}"
    folder = tmp_path / "queue"
    folder.mkdir()
    options = {
        **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
    }
    with app.connection_for_write(transport_options=options) as conn:
        simple = conn.SimpleQueue(queue)
        simple.put({"n": 1})
        # a publisher died mid-write: one empty and one truncated file, both first in line
        (folder / f"0_a.{queue}.msg").write_bytes(b"")
        (folder / f"0_b.{queue}.msg").write_bytes(b'{"body": "eyJ')
        message = simple.get(timeout=2)
        assert message.payload == {"n": 1}
        message.ack()
        simple.close()
    assert sorted(p.name for p in (tmp_path / "bad").iterdir()) == [f"0_a.{queue}.msg", f"0_b.{queue}.msg"]
    assert not list(folder.glob("*.msg"))


def test_the_embedded_queue_writes_a_message_under_its_final_name_only_when_complete(tmp_path, monkeypatch):
    if settings.REDIS_URL:
        pytest.skip("embedded transport only")
    import os

    from portal.celery import app

    folder = tmp_path / "queue"
    folder.mkdir()
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        # at the moment the message appears under its name, its file is already complete
        seen.append(([p.name for p in folder.glob("*.msg")], open(src, "rb").read()))  # noqa: SIM115
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    options = {
        **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
    }
    with app.connection_for_write(transport_options=options) as conn:
        simple = conn.SimpleQueue("atomic-test")
        simple.put({"n": 2})
        simple.close()
    assert len(seen) == 1
    visible_before, content = seen[0]
    assert visible_before == [] and content.endswith(b"}")


# --- 2. /healthz and the worker heartbeat -----------------------------------------------------


@pytest.fixture
def model_and_broker_ok(monkeypatch):
    from portal import health

    monkeypatch.setattr(health, "check_model", lambda: "test-model")
    monkeypatch.setattr(health, "check_broker", lambda: "ok")


@pytest.mark.django_db
def test_healthz_is_503_and_says_why_when_no_worker_ever_reported(client, model_and_broker_ok):
    client.get(reverse("healthz"))  # the first request of a process imports the URL conf
    started = time.monotonic()
    response = client.get(reverse("healthz"))
    assert time.monotonic() - started < 1
    assert response.status_code == 503
    assert response.json()["worker"] == "down"
    assert "no worker has reported" in response.json()["worker_detail"]


@pytest.mark.django_db
def test_healthz_is_503_when_the_last_heartbeat_is_stale_and_200_when_fresh(client, model_and_broker_ok, settings):
    settings.WORKER_STALE_SECONDS = 30
    beat = WorkerHeartbeat.objects.create(hostname="w1", seen_at=timezone.now() - timedelta(seconds=31))
    response = client.get(reverse("healthz"))
    assert response.status_code == 503 and response.json()["worker"] == "down"
    assert "last worker heartbeat" in response.json()["worker_detail"]
    from portal.worker import tick

    tick(beat.hostname)  # what the worker's heartbeat thread does every few seconds
    response = client.get(reverse("healthz"))
    assert response.status_code == 200, response.json()
    assert response.json()["worker"] == "ok"


# --- 3. a dead worker's in-flight submission --------------------------------------------------


@pytest.mark.django_db
def test_a_processing_submission_whose_lease_expired_is_requeued_by_any_worker(patient_alice, settings, monkeypatch):
    from portal import worker

    settings.SUBMISSION_LEASE_SECONDS = 15
    sent = []
    monkeypatch.setattr(diagnosis, "_enqueue", sent.append)
    old = timezone.now() - timedelta(seconds=16)
    orphan = _submission(patient_alice, status="processing", attempts=1, updated_at=old)
    # a submission that the ticking worker is itself running keeps its lease, however old
    mine = _submission(patient_alice, status="processing", attempts=1, updated_at=old)
    monkeypatch.setattr(worker, "active_submission_ids", lambda: [mine.pk])
    # and one whose worker renewed it recently is left alone
    fresh = _submission(patient_alice, status="processing", attempts=1, updated_at=timezone.now())
    assert worker.tick("w2") == [orphan.pk]
    assert sent == [orphan.pk]
    assert Submission.objects.get(pk=orphan.pk).status == "queued"
    assert Submission.objects.get(pk=mine.pk).status == "processing"
    assert Submission.objects.get(pk=fresh.pk).status == "processing"
    # the next tick does not send it again: it waits for its task now
    assert worker.tick("w2") == []


@pytest.mark.django_db
def test_a_submission_that_keeps_losing_its_worker_is_failed_with_a_message(patient_alice, settings, monkeypatch):
    from portal import worker

    settings.SUBMISSION_LEASE_SECONDS = 15
    monkeypatch.setattr(diagnosis, "_enqueue", lambda pk: None)
    stuck = _submission(
        patient_alice, status="processing", attempts=3, updated_at=timezone.now() - timedelta(seconds=60)
    )
    worker.tick("w3")
    stuck.refresh_from_db()
    assert stuck.status == "failed" and "problem on our side" in stuck.error


# --- 4. a migrated database classifies without setup_site ---------------------------------------


@pytest.mark.django_db
def test_a_migrated_database_registers_and_activates_the_shipped_model_on_first_use():
    versions = registry.shipped_versions()
    if not versions:
        pytest.skip("no shipped model under ml/models")
    assert not ModelVersion.objects.exists()  # a plain `migrate`, no `setup_site`
    assert registry.active_version_checked()
    active = registry.active_model()
    assert active is not None and active.active
    assert registry.resolve_path(active.path).resolve() == versions[-1].resolve()


@pytest.mark.django_db
def test_a_migrated_database_classifies_a_photo_without_setup_site(patient_alice):
    from ml.tasks import classify_submission
    from tests.images import real_lesion_paths

    paths = real_lesion_paths("test")
    if not registry.shipped_versions() or not paths:
        pytest.skip("needs the shipped model and the isic8-180 test images")
    f = io.BytesIO(paths[0].read_bytes())
    f.name = "lesion.jpg"
    submission = diagnosis.submission_create(patient=patient_alice, image=f, body_site="back")
    classify_submission.apply(args=[submission.pk])
    submission.refresh_from_db()
    assert submission.status in ("done", "rejected"), submission.error


@pytest.mark.django_db
def test_a_deliberate_registry_is_never_overridden_by_the_shipped_model(tmp_path, settings):
    """Only an empty registry registers by itself: an admin's choice (even none active) stays."""
    versions = registry.shipped_versions()
    if not versions:
        pytest.skip("no shipped model under ml/models")
    mv = registry.model_register(folder=versions[-1], activate=False)
    assert registry.active_model() is None
    assert ModelVersion.objects.get(pk=mv.pk).active is False
