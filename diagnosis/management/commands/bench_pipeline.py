"""Measure upload -> finished prediction with a real worker process and real test photos."""

import io
import os
import statistics
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.test import Client

from diagnosis.models import Submission
from ml import registry
from portal.accounts.models import Consent
from portal.accounts.services import consent_give
from portal.worker_process import WorkerProcess

User = get_user_model()


class Command(BaseCommand):
    help = "Upload N real test-split photos through the API and time each until the worker finishes it."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=20)
        parser.add_argument(
            "--data",
            default=os.environ.get(
                "SKIN_DATA_DIR", str(settings.BASE_DIR.parent / "shared" / "datasets" / "isic8-180")
            ),
        )
        parser.add_argument("--no-worker", action="store_true", help="use an already running worker")

    def handle(self, *args, n, data, no_worker, **options):
        import csv

        splits = Path(data) / "splits.csv"
        if not splits.exists():
            raise CommandError(f"no {splits}; set SKIN_DATA_DIR")
        with open(splits) as fh:
            rows = sorted((r for r in csv.DictReader(fh) if r["split"] == "test"), key=lambda r: r["path"])
        photos = [Path(data) / r["path"] for r in rows[:: max(1, len(rows) // n)]][:n]
        versions = registry.shipped_versions()
        if registry.active_model() is None and versions:
            registry.model_register(folder=versions[-1], activate=True)
        user, _ = User.objects.get_or_create(username="bench-patient", defaults={"role": User.Role.PATIENT})
        # Uploads need the patient's consent to store photos (to the notice in force).
        consent_give(user=user, kind=Consent.Kind.PHOTOS, source=Consent.Source.API)
        client = Client()
        client.force_login(user)

        worker = None
        if not no_worker:
            worker = WorkerProcess(name=f"bench-{os.getpid()}@%h").start()
        try:
            self._upload_and_wait(client, photos[0])  # worker start-up and model load
            durations, statuses = [], []
            for path in photos:
                t0 = time.perf_counter()
                status = self._upload_and_wait(client, path)
                durations.append(time.perf_counter() - t0)
                statuses.append(status)
        finally:
            if worker:
                worker.stop(timeout=30)
        done = statuses.count("done")
        durations.sort()
        p95 = durations[min(len(durations) - 1, int(0.95 * len(durations)))]
        self.stdout.write(
            f"database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, broker "
            f"{settings.CELERY_BROKER_URL.split('://')[0]}, model {registry.active_model().version}\n"
            f"{len(durations)} real test photos, upload -> finished prediction: "
            f"median {statistics.median(durations):.2f} s, p95 {p95:.2f} s, max {durations[-1]:.2f} s; "
            f"{done} done, {len(statuses) - done} other ({', '.join(sorted(set(statuses)))})"
        )

    def _upload_and_wait(self, client: Client, path: Path) -> str:
        f = io.BytesIO(path.read_bytes())
        f.name = path.name
        response = client.post("/api/v1/submissions/", {"image": f, "body_site": "back"})
        if response.status_code != 202:
            raise CommandError(f"upload failed: {response.status_code} {response.content[:200]}")
        sid = response.json()["id"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status = Submission.objects.filter(pk=sid).values_list("status", flat=True).first()
            if status in ("done", "rejected", "failed"):
                return status
            time.sleep(0.02)
        raise CommandError(f"submission {sid} not finished in 120 s")
