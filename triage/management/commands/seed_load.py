"""Fill the database with realistic open cases for benchmarks (bulk inserts; fast)."""

import io
import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from PIL import Image

from diagnosis.models import MODEL_CLASSES, Prediction, Submission
from triage import policy
from triage.models import Case, CaseEvent
from triage.seed import seed as seed_levels

User = get_user_model()
THRESHOLDS = {"melanoma": 0.2, "squamous_cell_carcinoma": 0.2, "basal_cell_carcinoma": 0.25}


class Command(BaseCommand):
    help = "Create N open cases with submissions and predictions (for load tests and benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, required=True)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--patients", type=int, default=0, help="default: one per 10 cases")

    def handle(self, *args, cases, seed, patients, **options):
        rng = random.Random(seed)  # noqa: S311 - fake load data, not secrets
        seed_levels()
        image_name = self._shared_image()
        n_patients = patients or max(1, cases // 10)
        stamp = timezone.now().strftime("%Y%m%d%H%M%S")
        unusable = make_password(None)  # load-test patients can never log in
        with transaction.atomic():
            users = User.objects.bulk_create(
                [
                    User(username=f"load-{stamp}-{i}", role=User.Role.PATIENT, password=unusable)
                    for i in range(n_patients)
                ]
            )
            if not users[0].pk:  # backends without RETURNING on bulk insert
                users = list(User.objects.filter(username__startswith=f"load-{stamp}-"))
            now = timezone.now()
            subs = [
                Submission(
                    patient=rng.choice(users),
                    image=image_name,
                    width=224,
                    height=224,
                    body_site=rng.choice(Submission.BodySite.values),
                    status=Submission.Status.DONE,
                    finished_at=now,
                )
                for _ in range(cases)
            ]
            subs = Submission.objects.bulk_create(subs, batch_size=2000)
            if not subs[0].pk:
                subs = list(Submission.objects.filter(patient__in=users).order_by("id"))
            preds, new_cases = [], []
            for sub in subs:
                weights = [rng.random() ** 3 for _ in MODEL_CLASSES]
                total = sum(weights)
                probs = {c: w / total for c, w in zip(MODEL_CLASSES, weights, strict=True)}
                ranked = sorted(probs.items(), key=lambda kv: -kv[1])
                preds.append(
                    Prediction(
                        submission=sub,
                        model_version="load-test",
                        ranked=[list(r) for r in ranked],
                        top=ranked[0][0],
                        uncertain=ranked[0][1] < 0.4,
                        inference_ms=5.0,
                        thresholds=THRESHOLDS,
                    )
                )
                a = policy.assess(policy.Evidence(probs, THRESHOLDS, "uncertain" if ranked[0][1] < 0.4 else "ok"))
                new_cases.append(Case(patient=sub.patient, submission=sub, level=a.level, reasons=list(a.reasons)))
            Prediction.objects.bulk_create(preds, batch_size=2000)
            new_cases = Case.objects.bulk_create(new_cases, batch_size=2000)
            # Spread arrival times over the last two days so waits and overdue flags vary.
            for c in new_cases:
                c.created_at = now - timedelta(minutes=rng.randint(0, 2 * 24 * 60))
            Case.objects.bulk_update(new_cases, ["created_at"], batch_size=2000)
            CaseEvent.objects.bulk_create(
                [CaseEvent(case=c, kind=CaseEvent.Kind.CREATED, to_value=str(c.level)) for c in new_cases],
                batch_size=2000,
            )
        self.stdout.write(self.style.SUCCESS(f"created {cases} open cases for {n_patients} patients"))

    def _shared_image(self) -> str:
        """One small stored JPEG that every load-test submission points to."""
        name = "submissions/load/load-test.jpg"
        if not default_storage.exists(name):
            out = io.BytesIO()
            Image.new("RGB", (224, 224), (150, 90, 80)).save(out, format="JPEG")
            default_storage.save(name, ContentFile(out.getvalue()))
        return name
