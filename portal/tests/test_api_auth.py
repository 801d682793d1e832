import pytest
from django.contrib.auth import get_user_model

from tests.factories import DEFAULT_PASSWORD

User = get_user_model()
pytestmark = pytest.mark.django_db


def test_register_creates_a_patient(api):
    response = api.post(
        "/api/v1/auth/register/",
        {"username": "erin", "password": DEFAULT_PASSWORD, "email": "e@example.org"},
        format="json",
    )
    assert response.status_code == 201
    assert set(response.json()) >= {"id", "username"}
    assert User.objects.get(username="erin").role == User.Role.PATIENT


def test_register_refuses_weak_password_and_duplicate_username_per_field(api, patient_alice):
    weak = api.post("/api/v1/auth/register/", {"username": "frank", "password": "123456"}, format="json")
    assert weak.status_code == 400
    assert "password" in weak.json()
    dup = api.post("/api/v1/auth/register/", {"username": "alice", "password": DEFAULT_PASSWORD}, format="json")
    assert dup.status_code == 400
    assert "username" in dup.json()
    assert not User.objects.filter(username="frank").exists()


def test_register_cannot_choose_a_staff_role(api):
    api.post(
        "/api/v1/auth/register/", {"username": "mallory", "password": DEFAULT_PASSWORD, "role": "admin"}, format="json"
    )
    assert User.objects.get(username="mallory").role == User.Role.PATIENT


def test_token_login_and_use(api, patient_alice):
    wrong = api.post("/api/v1/auth/token/", {"username": "alice", "password": "nope"}, format="json")
    assert wrong.status_code == 400
    ok = api.post("/api/v1/auth/token/", {"username": "alice", "password": DEFAULT_PASSWORD}, format="json")
    assert ok.status_code == 200
    token = ok.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/submissions/").status_code == 200


def test_token_login_is_locked_after_repeated_failures(api, patient_alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api.post("/api/v1/auth/token/", {"username": "alice", "password": "nope"}, format="json")
    response = api.post("/api/v1/auth/token/", {"username": "alice", "password": DEFAULT_PASSWORD}, format="json")
    assert response.status_code in (400, 403, 429)
    assert "token" not in response.json()


def test_wrong_method_is_refused(api):
    assert api.get("/api/v1/auth/register/").status_code == 405
