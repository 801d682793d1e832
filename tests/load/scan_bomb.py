"""Measurement (not a timed test): concurrent 20,000-scan progressive JPEGs against gunicorn.

Starts a private deployment on loopback (gunicorn as the Dockerfile runs it: 3 workers, 60 s
timeout; one Celery worker), in the embedded default unless DATABASE_URL / REDIS_URL are set,
then uploads `--concurrent` scan bombs at once, `--rounds` times, while another thread polls
/healthz every 0.1 s. Prints each upload's status and time and the slowest /healthz answer; exits
1 when an upload took over 10 s or /healthz over 1 s.

    .venv/bin/python -m tests.load.scan_bomb --concurrent 3 --rounds 3
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from portal.worker_process import WorkerProcess
from tests.faults.services import WebServer, http, multipart, wait_port
from tests.hostile.make_corpus import progressive_scan_bomb
from tests.load.loadtest import account, pct

ROOT = Path(__file__).resolve().parents[2]
HEALTH_LIMIT_S, UPLOAD_LIMIT_S = 1.0, 10.0


def deployment_env(data_dir: Path) -> dict[str, str]:
    env = {
        "DATA_DIR": str(data_dir),
        "MEDIA_ROOT": str(data_dir / "media"),
        "CELERY_FS_DIR": str(data_dir / "broker"),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "scan-bomb-measurement-only",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "UPLOAD_RATE": "100000/h",
        "AUTH_RATE": "100000/m",
        "LOG_LEVEL": "WARNING",
    }
    return {**os.environ, **env}


class Gunicorn(WebServer):
    """gunicorn with the Dockerfile's options (3 workers, 60 s timeout)."""

    def start(self) -> "Gunicorn":
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        args = ["-m", "gunicorn", "portal.wsgi:application", "-b", f"127.0.0.1:{self.port}"]
        self.proc = subprocess.Popen(
            [sys.executable, *args, "--workers", "3", "--timeout", "60"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_port(self.port)
        return self


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrent", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scans", type=int, default=20_000)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="scan-bomb-"))
    env = deployment_env(data_dir)
    py = [sys.executable, "manage.py"]
    subprocess.run([*py, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    web = Gunicorn(env, data_dir / "web.log")
    web.start()
    worker = WorkerProcess(env=env, log_path=data_dir / "worker.log").start()
    try:
        return measure(web.base, args)
    finally:
        worker.stop(timeout=30)
        web.stop()
        print(f"(logs and data in {data_dir})")


def measure(base: str, args) -> int:
    bombs = [progressive_scan_bomb(scans=args.scans) for _ in range(args.concurrent)]
    print(f"{args.concurrent} progressive JPEGs of {args.scans:,} scans, {len(bombs[0]) / 1e6:.2f} MB each")
    tokens = [account(base, f"bomb-{int(time.time())}-{i}", "scan-bomb-pass-phrase-1") for i in range(len(bombs))]

    health: list[tuple[float, int]] = []
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            started = time.monotonic()
            try:
                status, _ = http("GET", f"{base}/healthz", timeout=30)
            except OSError:
                status = 0
            health.append((time.monotonic() - started, status))
            stop.wait(0.1)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    time.sleep(1)
    uploads: list[tuple[int, int, float, str]] = []
    lock = threading.Lock()

    def upload(round_no: int, token: str, content: bytes):
        body, ctype = multipart({"body_site": "back"}, {"image": ("photo.jpg", content)})
        started = time.monotonic()
        status, answer = http("POST", f"{base}/api/v1/submissions/", token, body, ctype, timeout=120)
        code = answer.get("code") or str(answer)[:80]
        with lock:
            uploads.append((round_no, status, time.monotonic() - started, code))

    for round_no in range(1, args.rounds + 1):
        threads = [threading.Thread(target=upload, args=(round_no, t, b)) for t, b in zip(tokens, bombs, strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    time.sleep(1)
    stop.set()
    poller.join()

    for round_no, status, seconds, code in sorted(uploads):
        print(f"round {round_no}: upload answered {status} ({code}) in {seconds:.2f} s")
    times = [s for s, _ in health]
    statuses = sorted({st for _, st in health})
    print(
        f"/healthz polled {len(times)} times during the uploads: p50 {pct(times, 0.5) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms, statuses {statuses}"
    )
    slow_uploads = [u for u in uploads if u[2] > UPLOAD_LIMIT_S]
    ok = max(times) <= HEALTH_LIMIT_S and not slow_uploads and 0 not in statuses
    print("PASS" if ok else "FAIL", f"(limits: /healthz {HEALTH_LIMIT_S:g} s, upload {UPLOAD_LIMIT_S:g} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
