"""The model registry: register, activate, detect a missing or tampered file."""

import json

import pytest
from django.core.management import call_command

from ml import registry
from ml.models import ModelVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def model_root(tmp_path, settings):
    settings.MODEL_ROOT = tmp_path
    for version in ("v-2026-1", "v-2026-2"):
        folder = tmp_path / version
        folder.mkdir()
        # A TFLite header ("TFL3" at bytes 4-8) followed by garbage: passes the cheap check only.
        (folder / "model.tflite").write_bytes(b"\x00\x00\x00\x00TFL3 not really a model " + version.encode())
        (folder / "labels.json").write_text(json.dumps(["a", "b"]))
        card = {"version": version, "metrics": {"test": {"balanced_accuracy": 0.7}}, "thresholds": {"melanoma": 0.2}}
        (folder / "model_card.json").write_text(json.dumps(card))
    return tmp_path


def test_register_latest_and_activate(model_root):
    call_command("register_model", "--latest", "--activate")
    active = registry.active_model()
    assert active.version == "v-2026-2" and active.thresholds == {"melanoma": 0.2}
    assert registry.active_version_checked() == "v-2026-2"


def test_only_one_version_is_active(model_root):
    first = registry.model_register(folder=model_root / "v-2026-1", activate=True)
    registry.model_register(folder=model_root / "v-2026-2", activate=True)
    first.refresh_from_db()
    assert not first.active
    assert ModelVersion.objects.filter(active=True).count() == 1


def test_a_tampered_or_missing_model_file_is_unavailable(model_root):
    registry.model_register(folder=model_root / "v-2026-1", activate=True)
    (model_root / "v-2026-1" / "model.tflite").write_bytes(b"tampered")
    with pytest.raises(registry.ModelUnavailable, match="sha256"):
        registry.active_model_dir()
    (model_root / "v-2026-1" / "model.tflite").unlink()
    with pytest.raises(registry.ModelUnavailable, match="missing"):
        registry.active_model_dir()


def test_a_corrupt_model_reads_as_unavailable_in_the_worker(model_root):
    from ml.serving import active_classifier

    registry.model_register(folder=model_root / "v-2026-1", activate=True)
    with pytest.raises(registry.ModelUnavailable, match="cannot be loaded"):
        active_classifier()


def test_healthz_is_503_when_the_model_is_corrupt(client, model_root):
    registry.model_register(folder=model_root / "v-2026-1", activate=True)
    (model_root / "v-2026-1" / "model.tflite").write_bytes(b"tampered")
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["model"] == "unavailable"


def test_register_refuses_an_incomplete_folder(model_root):
    (model_root / "v-2026-1" / "labels.json").unlink()
    with pytest.raises(Exception, match=r"missing labels\.json"):
        call_command("register_model", str(model_root / "v-2026-1"))


def test_a_file_that_is_not_tflite_at_all_is_unavailable(model_root):
    (model_root / "v-2026-1" / "model.tflite").write_bytes(b"%PDF-1.4 definitely not a model")
    registry.model_register(folder=model_root / "v-2026-1", activate=True)
    with pytest.raises(registry.ModelUnavailable, match="not a TFLite model"):
        registry.active_model_dir()


def test_a_worker_that_cannot_load_the_model_turns_health_503(client, model_root, monkeypatch):
    from portal import health
    from portal.tasks import worker_heartbeat

    monkeypatch.setattr(health, "check_broker", lambda: "ok")
    registry.model_register(folder=model_root / "v-2026-1", activate=True)
    worker_heartbeat("worker-a")  # the worker tries to load the (garbage) model and reports
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["model"] == "unavailable"


def test_reactivating_from_a_stale_instance_still_leaves_one_active(model_root):
    first = registry.model_register(folder=model_root / "v-2026-1", activate=True)
    registry.model_register(folder=model_root / "v-2026-2", activate=True)
    registry.model_activate(model_version=first)  # `first` still believes it is active
    assert registry.active_model().version == "v-2026-1"


def test_setup_site_moves_off_a_version_that_is_no_longer_shipped(model_root):
    import shutil

    old = registry.model_register(folder=model_root / "v-2026-1", activate=True)
    call_command("setup_site", "--no-demo-users")
    assert registry.active_model().version == "v-2026-1"  # still shipped: an admin's choice stays
    shutil.rmtree(model_root / "v-2026-1")  # an upgrade removed it
    call_command("setup_site", "--no-demo-users")
    assert registry.active_model().version == "v-2026-2"
    old.refresh_from_db()
    assert not old.active


def test_setup_site_keeps_a_tampered_active_model_unavailable(model_root):
    registry.model_register(folder=model_root / "v-2026-1", activate=True)
    (model_root / "v-2026-1" / "model.tflite").write_bytes(b"\x00\x00\x00\x00TFL3 swapped")
    call_command("setup_site", "--no-demo-users")
    assert registry.active_model().version == "v-2026-1"
    with pytest.raises(registry.ModelUnavailable):
        registry.active_model_dir()


def test_shipped_versions_order_counters_as_numbers(tmp_path, settings):
    """mnv2-…-10 is newer than mnv2-…-2 (names are never reused, so counters grow past 9)."""
    settings.MODEL_ROOT = tmp_path
    for n in (2, 10, 9):
        folder = tmp_path / f"mnv2-20261126-{n}"
        folder.mkdir()
        (folder / "model.tflite").write_bytes(b"\x00\x00\x00\x00TFL3")
        (folder / "labels.json").write_text("[]")
        (folder / "model_card.json").write_text(json.dumps({"version": folder.name, "created": "2026-11-26"}))
    assert [p.name for p in registry.shipped_versions()] == [
        "mnv2-20261126-2",
        "mnv2-20261126-9",
        "mnv2-20261126-10",
    ]


def test_a_swapped_or_missing_dermoscopic_network_is_unavailable(model_root):
    folder = model_root / "v-2026-1"
    (folder / "dermoscopic.tflite").write_bytes(b"\x00\x00\x00\x00TFL3 second network")
    card = json.loads((folder / "model_card.json").read_text())
    card["dermoscopic_model"] = {
        "file": "dermoscopic.tflite",
        "sha256": registry.file_sha256(folder / "dermoscopic.tflite"),
    }
    (folder / "model_card.json").write_text(json.dumps(card))
    registry.model_register(folder=folder, activate=True)
    assert registry.active_model_dir() == folder
    (folder / "dermoscopic.tflite").write_bytes(b"\x00\x00\x00\x00TFL3 another network")
    with pytest.raises(registry.ModelUnavailable, match="dermoscopic network"):
        registry.active_model_dir()
    (folder / "dermoscopic.tflite").unlink()
    with pytest.raises(registry.ModelUnavailable, match="dermoscopic network"):
        registry.active_model_dir()
