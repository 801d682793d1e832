"""Load test: concurrent patients upload real photos while nurses poll the queue.

Runs against a running deployment (gunicorn + workers + Redis + PostgreSQL); `scripts/load.sh`
starts one on loopback. Prints accepted uploads per second, upload latency, end-to-end
classification throughput and latency, errors and lost submissions.

    python -m tests.load.loadtest --base http://127.0.0.1:8010 --patients 12 --nurses 2 --duration 30
"""

import argparse
import csv
import os
import random
import statistics
import threading
import time
from pathlib import Path

from tests.faults.services import http, multipart

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("SKIN_DATA_DIR", ROOT.parent / "shared" / "datasets" / "isic8-180"))
FINAL = {"done", "rejected", "failed"}


def photos(limit: int = 60) -> list[bytes]:
    with open(DATA / "splits.csv") as fh:
        rows = sorted((r for r in csv.DictReader(fh) if r["split"] == "test"), key=lambda r: r["path"])
    return [(DATA / r["path"]).read_bytes() for r in rows[:: max(1, len(rows) // limit)][:limit]]


def account(base: str, name: str, password: str, role_token: str | None = None) -> str:
    status, _ = http(
        "POST",
        f"{base}/api/v1/auth/register/",
        # Uploads need consent to store photos (403 without it).
        body=_json({"username": name, "password": password, "consent_photos": True}),
        content_type="application/json",
    )
    assert status in (201, 400), status
    status, body = http(
        "POST",
        f"{base}/api/v1/auth/token/",
        body=_json({"username": name, "password": password}),
        content_type="application/json",
    )
    assert status == 200, (status, body)
    return body["token"]


def _json(data) -> bytes:
    import json

    return json.dumps(data).encode()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:8010")
    parser.add_argument("--patients", type=int, default=12)
    parser.add_argument("--nurses", type=int, default=2)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of uploading")
    parser.add_argument("--rate", type=float, default=12.0, help="target uploads per second, all patients together")
    parser.add_argument("--nurse-token", default=os.environ.get("LOAD_NURSE_TOKEN"))
    parser.add_argument("--drain", type=float, default=120.0, help="max seconds to wait for classification")
    args = parser.parse_args()

    images = photos()
    run = f"{int(time.time())}"
    tokens = [account(args.base, f"load-{run}-{i}", "load-test-pass-phrase-1") for i in range(args.patients)]
    lock = threading.Lock()
    uploads: list[tuple[str, int, float, float]] = []  # (token, id, sent_at, latency)
    errors: list[str] = []
    queue_latencies: list[float] = []
    stop = threading.Event()
    interval = args.patients / args.rate  # each patient's pause between uploads

    def patient(token: str, seed: int) -> None:
        rng = random.Random(seed)
        next_at = time.monotonic() + rng.random() * interval
        while not stop.is_set():
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at += interval
            body, ctype = multipart({"body_site": "back"}, {"image": ("lesion.jpg", rng.choice(images))})
            t0 = time.monotonic()
            try:
                status, data = http("POST", f"{args.base}/api/v1/submissions/", token, body, ctype)
            except Exception as exc:  # a refused connection is an error, not a crash of the load test
                status, data = 0, {"error": str(exc)}
            latency = time.monotonic() - t0
            with lock:
                if status == 202:
                    uploads.append((token, data["id"], t0, latency))
                else:
                    errors.append(f"upload {status}: {str(data)[:120]}")

    def nurse(token: str) -> None:
        while not stop.is_set():
            t0 = time.monotonic()
            status, _ = http("GET", f"{args.base}/api/v1/triage/queue/", token)
            with lock:
                (queue_latencies.append(time.monotonic() - t0) if status == 200 else errors.append(f"queue {status}"))
            time.sleep(1.0)

    threads = [threading.Thread(target=patient, args=(t, i)) for i, t in enumerate(tokens)]
    if args.nurse_token:
        threads += [threading.Thread(target=nurse, args=(args.nurse_token,)) for _ in range(args.nurses)]
    started = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(args.duration)
    stop.set()
    for t in threads:
        t.join()
    upload_window = time.monotonic() - started

    # Drain: poll each accepted submission until it is final. Latency and throughput come from the
    # server's own timestamps (created_at -> finished_at), not from when this loop looked.
    from datetime import datetime

    finished: dict[int, float] = {}
    spans: list[tuple[datetime, datetime]] = []
    statuses: dict[int, str] = {}
    deadline = time.monotonic() + args.drain
    pending = {(tok, sid) for tok, sid, _, _ in uploads}
    while pending and time.monotonic() < deadline:
        for tok, sid in list(pending):
            status, body = http("GET", f"{args.base}/api/v1/submissions/{sid}/", tok)
            if status == 200 and body["status"] in FINAL:
                created = datetime.fromisoformat(body["created_at"])
                done_at = datetime.fromisoformat(body["finished_at"])
                finished[sid] = (done_at - created).total_seconds()
                spans.append((created, done_at))
                statuses[sid] = body["status"]
                pending.discard((tok, sid))
        time.sleep(0.25)
    total_window = (
        (max(d for _, d in spans) - min(c for c, _ in spans)).total_seconds() if spans else time.monotonic() - started
    )

    accepted = len(uploads)
    done = sum(1 for s in statuses.values() if s == "done")
    e2e = list(finished.values())
    print(
        f"patients {args.patients}, nurses {args.nurses if args.nurse_token else 0}, target {args.rate}/s, "
        f"uploading for {upload_window:.0f}s"
    )
    print(
        f"accepted uploads: {accepted} ({accepted / upload_window:.1f}/s); upload latency p50 "
        f"{pct([u[3] for u in uploads], 0.5) * 1000:.0f} ms, p95 {pct([u[3] for u in uploads], 0.95) * 1000:.0f} ms"
    )
    print(
        f"classified end to end: {len(finished)} ({done} done, {len(finished) - done} rejected/failed); "
        f"throughput {len(finished) / total_window:.1f}/s (first upload to last result, {total_window:.0f}s); "
        f"upload->result p50 {pct(e2e, 0.5):.2f}s, p95 {pct(e2e, 0.95):.2f}s"
    )
    if queue_latencies:
        print(
            f"nurse queue polls: {len(queue_latencies)}, p50 {statistics.median(queue_latencies) * 1000:.0f} ms, "
            f"p95 {pct(queue_latencies, 0.95) * 1000:.0f} ms"
        )
    lost = accepted - len(finished)
    print(f"errors: {len(errors)}; lost submissions: {lost}")
    for e in errors[:5]:
        print("  ", e)
    return 0 if not errors and lost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
