"""Benchmark the nurses' queue: API and dashboard latency, and SQL queries per page."""

import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal.accounts.services import api_token_create
from triage.models import Case

User = get_user_model()


def _pct(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100)[int(q) - 1] if len(samples) >= 2 else samples[0]


class Command(BaseCommand):
    help = "Time the triage queue API and dashboard with N open cases in the configured database."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=10_000)
        parser.add_argument("--requests", type=int, default=200)

    def handle(self, *args, cases, requests, **options):
        open_now = Case.objects.exclude(status=Case.Status.CLOSED).count()
        if open_now < cases:
            call_command("seed_load", cases=cases - open_now, stdout=self.stdout)
        nurse, _ = User.objects.get_or_create(username="bench-nurse", defaults={"role": User.Role.NURSE})
        token, _ = api_token_create(user=nurse)
        api = Client(HTTP_AUTHORIZATION=f"Token {token}")
        web = Client()
        web.force_login(nurse)
        db = connection.settings_dict
        self.stdout.write(
            f"database: {connection.vendor} {db.get('NAME')} | open cases: "
            f"{Case.objects.exclude(status=Case.Status.CLOSED).count()}"
        )

        rows = []
        for label, client, url, n in (
            ("queue API, page 1 (20 rows)", api, "/api/v1/triage/queue/", requests),
            ("queue API, page 1 (100 rows)", api, "/api/v1/triage/queue/?page_size=100", requests),
            ("queue API, page 50 (20 rows)", api, "/api/v1/triage/queue/?page=50", requests),
            ("dashboard page (50 rows)", web, "/triage/", max(20, requests // 4)),
            ("dashboard rows fragment", web, "/triage/rows/", max(20, requests // 4)),
        ):
            assert client.get(url).status_code == 200  # warm up, and fail loudly if broken
            # With DEBUG on every query is logged into a bounded deque; once full, counts read 0.
            reset_queries()
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            samples = []
            for _ in range(n):
                t0 = time.perf_counter()
                client.get(url)
                samples.append((time.perf_counter() - t0) * 1000)
            rows.append((label, n, statistics.median(samples), _pct(samples, 95), len(queries)))

        self.stdout.write(f"{'request':32} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
        for label, n, p50, p95, q in rows:
            self.stdout.write(f"{label:32} {n:>5} {p50:>8.1f} {p95:>8.1f} {q:>8}")
