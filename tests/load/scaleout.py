"""Scale-out benchmark: uploads classified per second with 1, 2 and 4 Celery worker processes.

Starts the whole stack on loopback, like a deployment: gunicorn as the Dockerfile runs it
(`-c python:ops.gunicorn`, 3 workers, 60 s timeout, PROMETHEUS_MULTIPROC_DIR), a private Redis,
a scratch PostgreSQL database (created and dropped here), a private SeaweedFS S3 server with the
photos in its bucket, and for each configuration K worker processes (`-c 1` each). The `hosts`
configuration is two worker processes that each have their own MEDIA_ROOT and share only the
broker, the database and the bucket, like two machines.

For each configuration: start the workers, warm them up (model load), then upload N real test
photos (pad-ufes-20 and isic8-180 test splits) through the HTTP API with tokens, as fast as U
client threads can, and wait until every accepted one is final. Throughput is final submissions
over (first created_at -> last finished_at), the server's own timestamps; latency is each one's
created_at -> finished_at. CPU per process is sampled over the measured window (psutil), with the
machine's load average, since the 2-core machine is shared.

    python -m tests.load.scaleout --photos 60 --configs 1,2,4,hosts,1,2

Exits 1 when any upload failed or a submission was lost (not final within --drain seconds).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from portal.worker_process import WorkerProcess
from tests.faults.services import RedisServer, free_port, http, multipart, wait_port
from tests.storage import SeaweedServer

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "datasets"
FINAL = ("done", "rejected", "failed")


def photos(limit: int) -> list[bytes]:
    """Test-split photos, alternating pad-ufes-20 (phone) and isic8-180 (dermoscopic)."""
    sets = []
    for name in ("pad-ufes-20", "isic8-180"):
        folder = SHARED / name
        with open(folder / "splits.csv") as fh:
            rows = sorted((r for r in csv.DictReader(fh) if r["split"] == "test"), key=lambda r: r["path"])
        step = max(1, len(rows) // limit)
        sets.append([(folder / r["path"]).read_bytes() for r in rows[::step][:limit]])
    mixed = [p for pair in zip(*sets, strict=False) for p in pair]
    return mixed[:limit]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


@dataclass
class Result:
    label: str
    workers: int
    accepted: int = 0
    final: int = 0
    done: int = 0
    rejected: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    lost: int = 0
    throughput: float = 0.0
    upload_rate: float = 0.0  # accepted uploads per second (first -> last created_at)
    p50: float = float("nan")
    p95: float = float("nan")
    window: float = 0.0
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)
    busy: float = 0.0  # machine CPU busy, % of all cores, over the measured window
    cpu: dict[str, float] = field(default_factory=dict)  # % of one core per role
    sampled: float = 0.0  # seconds the CPU sampler covered

    def cpu_seconds_per_photo(self, prefix: str) -> float:
        """Core-seconds the roles starting with `prefix` spent per final submission."""
        used = sum(v for k, v in self.cpu.items() if k.startswith(prefix)) / 100 * self.sampled
        return used / self.final if self.final else float("nan")


class Stack:
    """Redis, SeaweedFS, a scratch database and gunicorn; workers come and go per configuration."""

    def __init__(self, root: Path, admin_url: str):
        self.root = root
        self.admin_url = admin_url.rstrip("/")
        self.db_name = f"skintriage_scaleout_{os.getpid()}"
        self.redis = RedisServer()
        self.seaweed = SeaweedServer(root / "s3")
        self.web = None
        self.port = free_port()
        self.env: dict[str, str] = {}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def psql(self, sql: str) -> None:
        subprocess.run(["psql", f"{self.admin_url}/postgres", "-qc", sql], check=True)

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout

    def start(self) -> None:
        self.redis.start()
        endpoint = self.seaweed.start()
        bucket = f"skintriage-scaleout-{uuid.uuid4().hex[:8]}"
        self.psql(f"DROP DATABASE IF EXISTS {self.db_name} WITH (FORCE)")
        self.psql(f"CREATE DATABASE {self.db_name}")
        (self.root / "web-media").mkdir(parents=True)
        self.env = {
            **os.environ,
            **endpoint.env(bucket),
            "DATABASE_URL": f"{self.admin_url}/{self.db_name}",
            "REDIS_URL": self.redis.url,
            "DATA_DIR": str(self.root / "data"),
            "MEDIA_ROOT": str(self.root / "web-media"),
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "scaleout-benchmark-only-" + uuid.uuid4().hex,
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "UPLOAD_RATE": "1000000/h",
            "AUTH_RATE": "100000/m",
            "DUPLICATE_UPLOAD_SECONDS": "0",
            "LOG_LEVEL": "WARNING",
        }
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("storage_init")
        self.manage("setup_site", "--no-demo-users")
        web_env = {**self.env, "PROMETHEUS_MULTIPROC_DIR": str(self.root / "prometheus")}
        self.web_log = open(self.root / "web.log", "ab")  # noqa: SIM115 - closed in stop()
        # The Dockerfile's and compose's gunicorn: 3 workers, 60 s timeout, the Prometheus hooks.
        self.web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:ops.gunicorn",
                "portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "3",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=web_env,
            stdout=self.web_log,
            stderr=subprocess.STDOUT,
        )
        wait_port(self.port)

    def workers(self, label: str, count: int, own_folders: bool) -> list[WorkerProcess]:
        procs = []
        for i in range(count):
            env = dict(self.env)
            if own_folders:  # another "host": nothing of the web's or the other worker's folders
                env["MEDIA_ROOT"] = str(self.root / f"host-{label}-{i}" / "media")
                env["DATA_DIR"] = str(self.root / f"host-{label}-{i}" / "data")
                Path(env["MEDIA_ROOT"]).mkdir(parents=True)
            worker = WorkerProcess(
                env=env, log_path=self.root / f"worker-{label}-{i}.log", name=f"scaleout-{label}-{i}@%h"
            )
            procs.append(worker.start())
        return procs

    def stop(self) -> None:
        if self.web and self.web.poll() is None:
            self.web.terminate()
            self.web.wait(timeout=30)
        self.seaweed.stop()
        self.redis.stop()
        try:
            self.psql(f"DROP DATABASE IF EXISTS {self.db_name} WITH (FORCE)")
        except subprocess.CalledProcessError:
            print(f"could not drop {self.db_name}", file=sys.stderr)


def stop_workers(procs: list[WorkerProcess]) -> None:
    for p in procs:
        p.terminate()  # all at once: each then gets its own 30 s to finish its tasks
    for p in procs:
        p.stop(timeout=30)


class Database:
    """Reads submission statuses and server timestamps straight from PostgreSQL (no web load)."""

    def __init__(self, url: str):
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)

    def states(self, ids: list[int]) -> dict[int, tuple[str, float | None]]:
        rows = self.conn.execute(
            "SELECT id, status, EXTRACT(EPOCH FROM created_at), EXTRACT(EPOCH FROM finished_at) "
            "FROM diagnosis_submission WHERE id = ANY(%s)",
            (ids,),
        ).fetchall()
        return {r[0]: (r[1], float(r[2]), None if r[3] is None else float(r[3])) for r in rows}

    def heartbeats(self, prefix: str) -> int:
        return self.conn.execute(
            "SELECT count(*) FROM portal_workerheartbeat WHERE hostname LIKE %s AND seen_at > now() - interval '10 s'",
            (prefix + "%",),
        ).fetchone()[0]


def upload_all(base: str, tokens: list[str], images: list[bytes], threads: int) -> tuple[list[int], list[str]]:
    """Upload every image, `threads` at a time, round-robin over the patients' tokens."""
    ids: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    todo = list(enumerate(images))

    def client() -> None:
        while True:
            with lock:
                if not todo:
                    return
                i, image = todo.pop(0)
            body, ctype = multipart({"body_site": "back"}, {"image": (f"lesion-{i}.jpg", image)})
            try:
                status, data = http("POST", f"{base}/api/v1/submissions/", tokens[i % len(tokens)], body, ctype)
            except Exception as exc:  # a refused connection is an error to report, not a crash
                status, data = 0, {"error": str(exc)}
            with lock:
                if status == 202:
                    ids.append(data["id"])
                else:
                    errors.append(f"upload {status}: {str(data)[:120]}")

    pool = [threading.Thread(target=client) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return ids, errors


def wait_final(db: Database, ids: list[int], timeout: float) -> dict[int, tuple[str, float, float | None]]:
    deadline = time.monotonic() + timeout
    while True:
        states = db.states(ids)
        if all(s[0] in FINAL for s in states.values()) and len(states) == len(ids):
            return states
        if time.monotonic() > deadline:
            return states
        time.sleep(0.1)


class CpuSampler:
    """CPU seconds per role over a window: processes of the stack by pid tree, the rest as one."""

    def __init__(self, roles: dict[str, list[int]]):
        self.roles = roles

    def _procs(self) -> dict[str, list[psutil.Process]]:
        found: dict[str, list[psutil.Process]] = {}
        for role, pids in self.roles.items():
            for pid in pids:
                try:
                    parent = psutil.Process(pid)
                    # The load client started every other process: count only itself.
                    kids = [] if pid == os.getpid() else parent.children(recursive=True)
                    found.setdefault(role, []).extend([parent, *kids])
                except psutil.NoSuchProcess:
                    continue
        return found

    @staticmethod
    def _seconds(procs: list[psutil.Process]) -> dict[int, float]:
        out = {}
        for p in procs:
            try:
                t = p.cpu_times()
                out[p.pid] = t.user + t.system
            except psutil.NoSuchProcess:
                continue
        return out

    def start(self) -> None:
        self.procs = self._procs()
        self.before = {role: self._seconds(ps) for role, ps in self.procs.items()}
        self.machine = psutil.cpu_times()
        self.t0 = time.monotonic()

    def stop(self) -> tuple[float, dict[str, float]]:
        wall = self.wall = time.monotonic() - self.t0
        after_machine = psutil.cpu_times()
        busy_total = sum(after_machine) - sum(self.machine)
        idle = (after_machine.idle + after_machine.iowait) - (self.machine.idle + self.machine.iowait)
        busy = 100.0 * (busy_total - idle) / busy_total if busy_total else 0.0
        cpu, ours = {}, 0.0
        for role, procs in self.procs.items():
            now = self._seconds(procs)
            used = sum(now.get(pid, t) - t for pid, t in self.before[role].items())
            cpu[role] = 100.0 * used / wall
            ours += used
        # psutil.cpu_times() adds up every core: busy core-seconds minus the stack's own.
        cpu["everything else (other users, new connections)"] = max(0.0, 100.0 * (busy_total - idle - ours) / wall)
        return busy, cpu


def backends(db_name: str) -> list[int]:
    """PostgreSQL backend processes connected to `db_name` (their title names the database)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if cmdline.startswith("postgres: ") and f" {db_name} " in cmdline:
            found.append(proc.pid)
    return found


def run_config(stack: Stack, db: Database, tokens, images, label: str, count: int, hosts: bool, args) -> Result:
    result = Result(label=label, workers=count)
    procs = stack.workers(label.replace(" ", ""), count, own_folders=hosts)
    try:
        prefix = f"scaleout-{label.replace(' ', '')}-"
        deadline = time.monotonic() + 90
        while db.heartbeats(prefix) < count and time.monotonic() < deadline:
            time.sleep(0.5)
        # Warm-up: every worker process loads the model on its first photo.
        warm, warm_errors = upload_all(stack.base, tokens, images[: 3 * count], threads=count)
        states = wait_final(db, warm, timeout=120)
        if warm_errors or sum(s[0] in FINAL for s in states.values()) < len(warm):
            raise RuntimeError(f"{label}: warm-up failed: {warm_errors[:3]} {states}")
        roles = {"gunicorn (3 workers)": [stack.web.pid]}
        roles.update({f"celery worker {i + 1}": [p.pid] for i, p in enumerate(procs)})
        roles.update(
            {"redis": [stack.redis.proc.pid], "seaweedfs": [stack.seaweed.proc.pid], "load client": [os.getpid()]}
        )
        # PostgreSQL backends serving this database (persistent connections, DB_CONN_MAX_AGE)
        roles["postgres (this database)"] = backends(stack.db_name)
        sampler = CpuSampler(roles)
        sampler.start()
        ids, errors = upload_all(stack.base, tokens, images[: args.photos], threads=args.clients)
        states = wait_final(db, ids, timeout=args.drain)
        result.busy, result.cpu = sampler.stop()
        result.sampled = sampler.wall
        result.load = os.getloadavg()
    finally:
        stop_workers(procs)
    result.accepted, result.errors = len(ids), errors
    final = {i: s for i, s in states.items() if s[0] in FINAL and s[2] is not None}
    result.final = len(final)
    result.lost = result.accepted - result.final
    for status, *_ in final.values():
        setattr(result, status, getattr(result, status) + 1)
    if final:
        first = min(s[1] for s in final.values())
        last = max(s[2] for s in final.values())
        result.window = last - first
        created = sorted(s[1] for s in final.values())
        if created[-1] > created[0]:
            result.upload_rate = (len(created) - 1) / (created[-1] - created[0])
        result.throughput = len(final) / result.window if result.window else float("nan")
        latencies = [s[2] - s[1] for s in final.values()]
        result.p50, result.p95 = pct(latencies, 0.5), pct(latencies, 0.95)
    return result


def register(base: str, n: int) -> list[str]:
    tokens = []
    for i in range(n):
        login = {"username": f"scaleout-{i}", "password": "scale-out-pass-phrase-1"}
        creds = json.dumps(login).encode()
        signup = json.dumps({**login, "consent_photos": True}).encode()  # uploads need photo consent
        status, _ = http("POST", f"{base}/api/v1/auth/register/", body=signup, content_type="application/json")
        assert status == 201, status
        status, body = http("POST", f"{base}/api/v1/auth/token/", body=creds, content_type="application/json")
        assert status == 200, (status, body)
        tokens.append(body["token"])
    return tokens


CONFIGS = {"1": (1, False), "2": (2, False), "4": (4, False), "hosts": (2, True)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=60, help="photos uploaded per configuration")
    parser.add_argument("--configs", default="1,2,4,hosts,1,2", help="1, 2, 4 worker processes; hosts = 2 hosts")
    parser.add_argument("--clients", type=int, default=4, help="concurrent upload threads")
    parser.add_argument("--patients", type=int, default=8)
    parser.add_argument("--drain", type=float, default=180.0, help="seconds to wait for every result")
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--keep", action="store_true", help="keep the logs folder")
    args = parser.parse_args()

    images = photos(args.photos)
    root = Path(tempfile.mkdtemp(prefix="scaleout-", dir=ROOT / "data" if (ROOT / "data").exists() else None))
    stack = Stack(root, args.admin_url)
    results: list[Result] = []
    try:
        stack.start()
        db = Database(stack.env["DATABASE_URL"])
        tokens = register(stack.base, args.patients)
        for n, key in enumerate(args.configs.split(",")):
            count, hosts = CONFIGS[key.strip()]
            label = f"{'2 hosts' if hosts else str(count)} #{n + 1}"
            result = run_config(stack, db, tokens, images, label, count, hosts, args)
            results.append(result)
            report_one(result)
    finally:
        stack.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"logs in {root}")
    report(results, args)
    bad = any(r.errors or r.lost for r in results)
    return 1 if bad else 0


def report_one(r: Result) -> None:
    roles = ", ".join(f"{k} {v:.0f}%" for k, v in r.cpu.items())
    print(
        f"[{r.label}] uploads {r.upload_rate:.1f}/s; {r.final}/{r.accepted} final in {r.window:.1f}s = "
        f"{r.throughput:.1f}/s, "
        f"p50 {r.p50:.2f}s p95 {r.p95:.2f}s, errors {len(r.errors)}, lost {r.lost}, "
        f"load {r.load[0]:.2f}, machine busy {r.busy:.0f}% | {roles}",
        flush=True,
    )
    for e in r.errors[:3]:
        print("   ", e)


def report(results: list[Result], args) -> None:
    print()
    print(f"{args.photos} photos per run, {args.clients} upload threads, cores: {psutil.cpu_count()}")
    print(
        "| worker processes | uploads/s | classified/s | upload->result p50 / p95 | done / rejected / failed "
        "| errors | lost | machine busy | load avg (1 min) | CPU s/photo: workers, gunicorn |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r.label} | {r.upload_rate:.1f} | {r.throughput:.1f} | {r.p50:.2f} / {r.p95:.2f} s "
            f"| {r.done} / {r.rejected} / {r.failed} "
            f"| {len(r.errors)} | {r.lost} | {r.busy:.0f}% | {r.load[0]:.2f} "
            f"| {r.cpu_seconds_per_photo('celery'):.3f}, {r.cpu_seconds_per_photo('gunicorn'):.3f} |"
        )
    print()
    print("CPU per process over each measured window (% of one core):")
    for r in results:
        print(f"  {r.label}: " + ", ".join(f"{k} {v:.0f}%" for k, v in r.cpu.items()))


if __name__ == "__main__":
    raise SystemExit(main())
