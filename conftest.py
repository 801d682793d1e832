"""Shared fixtures: the named cast of users, API clients, and isolation of caches and media."""

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from tests.factories import AdminFactory, NurseFactory, PatientFactory


def pytest_report_header(config):
    """Say which database and broker this run really uses (CI's log must show it)."""
    db = settings.DATABASES["default"]
    engine = db["ENGINE"].rsplit(".", 1)[-1]
    where = db.get("HOST") or db.get("NAME")
    broker = settings.CELERY_BROKER_URL
    if "@" in broker:
        broker = broker.split("://", 1)[0] + "://***@" + broker.rsplit("@", 1)[1]
    return [f"skintriage database: {engine} at {where}", f"skintriage broker: {broker}"]


@pytest.fixture(autouse=True)
def _isolate(settings, tmp_path):
    """Each test gets its own media folder and an empty throttle/lockout cache."""
    from django.core.cache import cache

    # Password hashing is deliberately slow; tests create many users and need no such cost.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/private-media-is-not-served/"},
        },
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def patient_alice(db):
    return PatientFactory(username="alice")


@pytest.fixture
def patient_bob(db):
    return PatientFactory(username="bob")


@pytest.fixture
def nurse_nina(db):
    return NurseFactory(username="nina")


@pytest.fixture
def admin_ada(db):
    return AdminFactory(username="ada")


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def api_as():
    """An API client logged in as the given user (token auth, as a mobile app would)."""

    def make(user):
        from portal.accounts.services import api_token_create

        client = APIClient()
        token, _ = api_token_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return make
