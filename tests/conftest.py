"""Fixtures for integration tests: a real Celery worker process on the real broker and database."""

import os
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from portal.worker_process import WorkerProcess as BaseWorkerProcess

ROOT = Path(__file__).resolve().parent.parent


def database_url_for_worker() -> str:
    """The URL of the database this test run really uses (the test database, not the dev one)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class WorkerProcess(BaseWorkerProcess):
    """A worker on this test run's database, broker and media folders (all queues, INFO log)."""

    def __init__(
        self, log_path: Path, extra_env: dict[str, str] | None = None, concurrency: int = 1, beat: bool = False
    ):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": database_url_for_worker(),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_FS_DIR": str(settings.CELERY_FS_DIR),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            **(extra_env or {}),
        }
        super().__init__(
            env=env,
            log_path=log_path,
            queues="default,classify,long",
            concurrency=concurrency,
            loglevel="INFO",
            name=f"test-{os.getpid()}-{time.time_ns()}@%h",
            beat_schedule=log_path.with_suffix(".beat") if beat else None,
        )


@pytest.fixture
def worker_process(transactional_db, tmp_path):
    """Start a real worker process against this run's database and broker; stop it after."""
    workers: list[WorkerProcess] = []

    def start(**kwargs) -> WorkerProcess:
        w = WorkerProcess(tmp_path / f"worker{len(workers)}.log", **kwargs).start()
        workers.append(w)
        return w

    yield start
    for w in workers:
        w.stop()


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1):
    """Poll until predicate() is truthy; return its value or fail with a timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


@pytest.fixture
def active_model(transactional_db):
    """The newest shipped model, registered and active, with the triage levels seeded."""
    from ml import registry
    from triage.seed import seed as seed_levels

    versions = registry.shipped_versions()
    if not versions:
        pytest.skip("no shipped model under ml/models (run `make train`)")
    seed_levels()
    return registry.model_register(folder=versions[-1], activate=True)


@pytest.fixture
def phone_photo(active_model):
    """A real smartphone photo (PAD-UFES-20 test split) that the active model accepts.

    Some phone photos are refused by the gate or the model's out-of-distribution check; tests
    about what happens after a prediction need one that gets one.
    """
    from PIL import Image

    from ml.gate import check_image
    from ml.serving import active_classifier
    from ml.upload import as_stored
    from tests.images import phone_photo_paths

    photos = phone_photo_paths("test")
    if not photos:
        pytest.skip("the pad-ufes-20 phone photos are not in ../shared (set SKIN_PHONE_DATA_DIR)")
    classifier = active_classifier()
    for path in photos[:40]:
        with Image.open(path) as original:
            image = as_stored(original)
        if check_image(image, model_check=False).ok and not classifier.predict(image).out_of_distribution:
            return path
    pytest.fail(f"none of the first 40 phone photos is accepted by {classifier.version}")
