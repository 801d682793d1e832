"""Measurement (not a timed test): a long concurrent chat-and-upload run on the embedded default.

The hostile tester's crash: under a long run of chats and uploads, SQLite answered "database is
locked", the file-system broker was left with an unreadable message and the worker died, so later
uploads stayed "queued". This starts the embedded deployment (SQLite, the file transport, gunicorn
with 3 workers, one Celery worker), runs `--patients` patients for `--duration` seconds, each
uploading real photos and chatting about them, then waits for every upload to finish. Exits 1 on
any 5xx, any submission not finished, a dead worker, or /healthz not 200 at the end.

    .venv/bin/python -m tests.load.embedded_soak --patients 8 --duration 180
"""

import argparse
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from portal.worker_process import WorkerProcess
from tests.faults.services import http, multipart, wait_port
from tests.load.loadtest import account, photos
from tests.load.scan_bomb import Gunicorn, deployment_env

ROOT = Path(__file__).resolve().parents[2]
FINAL = {"done", "rejected", "failed"}
CHAT = [
    "no",
    "no",
    "no",
    "no",
    "no",
    "no",
    "about 3 months",
    "it has got a bit bigger",
    "no it doesn't itch",
    "about 6 mm",
    "no",
    "what should I do?",
]


def _json(data) -> bytes:
    return json.dumps(data).encode()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=180.0)
    parser.add_argument("--drain", type=float, default=600.0)
    parser.add_argument("--pause", type=float, default=2.0, help="seconds each patient waits between photos")
    args = parser.parse_args(argv)

    data_dir = Path(tempfile.mkdtemp(prefix="embedded-soak-"))
    env = deployment_env(data_dir)
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)  # the embedded default: SQLite and the file-system broker
    env["CHAT_RATE"] = env["CONVERSATION_RATE"] = "100000/h"
    env["DUPLICATE_UPLOAD_SECONDS"] = "0"
    py = sys.executable
    subprocess.run([py, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([py, "manage.py", "setup_site", "--no-demo-users"], cwd=ROOT, env=env, check=True)
    subprocess.run([py, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    web = Gunicorn(env, data_dir / "web.log").start()
    worker = WorkerProcess(env=env, log_path=data_dir / "worker.log").start()
    wait_port(web.port)
    pool = photos(40)
    statuses: Counter = Counter()
    server_errors: list[str] = []
    uploaded: list[tuple[str, int]] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + args.duration

    def record(what: str, status: int) -> None:
        with lock:
            statuses[status] += 1
            if status >= 500:
                server_errors.append(f"{what} -> {status}")

    def patient(i: int) -> None:
        try:
            visits(i)
        except Exception as exc:
            with lock:
                server_errors.append(f"patient {i}: {type(exc).__name__}: {exc}")

    def visits(i: int) -> None:
        token = account(web.base, f"soak{i}-{random.randrange(10**6)}", "a long soak password 1")
        rng = random.Random(i)
        while time.monotonic() < stop_at:
            body, ctype = multipart({"body_site": "back"}, {"image": ("lesion.jpg", rng.choice(pool))})
            status, created = http("POST", f"{web.base}/api/v1/submissions/", token, body, ctype)
            record("upload", status)
            if status != 202:
                continue
            with lock:
                uploaded.append((token, created["id"]))
            status, conv = http(
                "POST",
                f"{web.base}/api/v1/conversations/",
                token,
                _json({"submission": created["id"]}),
                "application/json",
            )
            record("chat start", status)
            if status != 201:
                continue
            for text in CHAT:
                if time.monotonic() >= stop_at:
                    break
                status, _ = http(
                    "POST",
                    f"{web.base}/api/v1/conversations/{conv['id']}/messages/",
                    token,
                    _json({"text": text}),
                    "application/json",
                )
                record("chat message", status)
            time.sleep(args.pause)

    threads = [threading.Thread(target=patient, args=(i,)) for i in range(args.patients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ran = time.monotonic() - t0
    deadline = time.monotonic() + args.drain
    pending = list(uploaded)
    while pending and time.monotonic() < deadline:
        pending = [
            (tok, sid)
            for tok, sid in pending
            if http("GET", f"{web.base}/api/v1/submissions/{sid}/", tok)[1].get("status") not in FINAL
        ]
        if pending:
            time.sleep(1)
    health_status, health = http("GET", f"{web.base}/healthz")
    worker_alive = worker.alive()
    bad_files = list((data_dir / "broker").rglob("bad/*")) if (data_dir / "broker").exists() else []
    web.stop()
    worker.stop(timeout=30)
    print(
        f"{args.patients} patients for {ran:.0f} s: {len(uploaded)} uploads, statuses {dict(sorted(statuses.items()))}"
    )
    print(f"5xx or failed requests: {len(server_errors)} {server_errors[:5]}")
    print(
        f"unfinished after the drain: {len(pending)}; worker alive: {worker_alive}; "
        f"broker files set aside: {len(bad_files)}"
    )
    print(f"/healthz at the end: {health_status} {health}")
    locked = (data_dir / "worker.log").read_text(errors="replace").count("database is locked")
    locked += (data_dir / "web.log").read_text(errors="replace").count("database is locked")
    print(f"'database is locked' in the logs: {locked}  (logs in {data_dir})")
    ok = not server_errors and not pending and worker_alive and health_status == 200 and locked == 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
