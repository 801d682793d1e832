import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_openapi_schema_and_docs_are_served(client, nurse_nina):
    # The schema is for staff (portal/tests/test_account_hardening.py).
    client.force_login(nurse_nina)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/auth/register/" in schema.content
    assert client.get("/api/docs/").status_code == 200


def test_healthz_names_a_down_broker_with_503(client, settings, monkeypatch):
    from portal import health

    # given: a model is registered and the broker points at a port where nothing listens
    monkeypatch.setattr(health, "check_model", lambda: "test-model")
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    # when
    response = client.get(reverse("healthz"))
    # then
    assert response.status_code == 503
    assert response.json()["broker"] == "down"
    assert response.json()["database"] == "ok"


def test_healthz_reports_missing_model_as_503(client, settings, tmp_path):
    # No model registered in an empty test database, and none shipped to register itself.
    settings.MODEL_ROOT = tmp_path
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["model"] == "unavailable"


def test_healthz_ok_with_a_registered_model(client):
    from ml import registry

    versions = registry.shipped_versions()
    if not versions:
        pytest.skip("no shipped model under ml/models yet")
    registry.model_register(folder=versions[-1], activate=True)
    from portal.tasks import worker_alive

    worker_alive(hostname="worker-1")  # a worker's heartbeat thread reported a moment ago
    response = client.get(reverse("healthz"))
    assert response.status_code == 200, response.json()
    assert response.json()["worker"] == "ok"
    assert response.json()["database"] == "ok"
    assert response.json()["broker"] == "ok"
    assert response.json()["model"] == registry.active_model().version
