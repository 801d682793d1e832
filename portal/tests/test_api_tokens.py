"""API tokens (issue 16 item 4): one expiring token per log-in, logout, revoked with the password."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD

User = get_user_model()
pytestmark = pytest.mark.django_db
NEW_PASSWORD = "another-long-pass-phrase-7"


def _log_in(username: str = "alice", password: str = DEFAULT_PASSWORD) -> str:
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _status_with(token: str, url: str = "/api/v1/submissions/") -> int:
    return APIClient(HTTP_AUTHORIZATION=f"Token {token}").get(url).status_code


def test_each_log_in_returns_a_new_token_and_both_work(patient_alice):
    # when: two devices log in
    phone, tablet = _log_in(), _log_in()
    # then
    assert phone != tablet
    assert _status_with(phone) == 200 and _status_with(tablet) == 200


def test_the_token_answer_says_when_it_expires(patient_alice, settings):
    # when
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "alice", "password": DEFAULT_PASSWORD}, format="json"
    )
    # then
    expiry = response.json()["expiry"]
    from django.utils.dateparse import parse_datetime

    left = parse_datetime(expiry) - timezone.now()
    ttl = settings.REST_KNOX["TOKEN_TTL"]
    assert ttl - timedelta(minutes=1) < left <= ttl
    assert timedelta(hours=1) <= ttl <= timedelta(hours=24)


def test_an_expired_token_is_refused_401(patient_alice):
    # given: a token whose time is up
    from knox.models import AuthToken

    token = _log_in()
    AuthToken.objects.filter(user=patient_alice).update(expiry=timezone.now() - timedelta(seconds=1))
    # when / then
    assert _status_with(token) == 401
    assert not AuthToken.objects.filter(user=patient_alice).exists()


def test_logout_revokes_only_this_token(patient_alice):
    # given
    phone, tablet = _log_in(), _log_in()
    # when
    response = APIClient(HTTP_AUTHORIZATION=f"Token {phone}").post("/api/v1/auth/logout/")
    # then
    assert response.status_code == 204
    assert _status_with(phone) == 401
    assert _status_with(tablet) == 200


def test_logout_all_revokes_every_token_of_the_user_only(patient_alice, patient_bob):
    # given
    phone, tablet, bobs = _log_in(), _log_in(), _log_in("bob")
    # when
    response = APIClient(HTTP_AUTHORIZATION=f"Token {phone}").post("/api/v1/auth/logout-all/")
    # then
    assert response.status_code == 204
    assert _status_with(phone) == 401 and _status_with(tablet) == 401
    assert _status_with(bobs) == 200


def test_logout_without_a_token_is_401():
    assert APIClient().post("/api/v1/auth/logout/").status_code == 401
    assert APIClient().post("/api/v1/auth/logout-all/").status_code == 401


def test_web_password_change_revokes_the_api_tokens(client, patient_alice):
    # given
    token = _log_in()
    client.force_login(patient_alice)
    # when
    response = client.post(
        reverse("password_change"),
        {"old_password": DEFAULT_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    # then
    assert response.status_code == 302
    assert _status_with(token) == 401
    assert _status_with(_log_in(password=NEW_PASSWORD)) == 200


def test_password_reset_revokes_the_api_tokens(client, patient_alice):
    # given
    token = _log_in()
    client.post(reverse("password_reset"), {"email": patient_alice.email})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/reset/" in line)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    form = client.get(path, follow=True)
    # when
    response = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    # then
    assert response.status_code == 302
    assert _status_with(token) == 401


def test_admin_setting_a_password_revokes_the_api_tokens(client, patient_alice, admin_ada):
    # given
    token = _log_in()
    client.force_login(admin_ada)
    # when
    response = client.post(
        reverse("admin:auth_user_password_change", args=[patient_alice.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    # then
    assert response.status_code == 302, response.content[:500]
    assert _status_with(token) == 401


def test_set_password_in_code_revokes_the_api_tokens(patient_alice):
    # given: e.g. `manage.py changepassword`
    token = _log_in()
    # when
    patient_alice.set_password(NEW_PASSWORD)
    patient_alice.save()
    # then
    assert _status_with(token) == 401


def test_saving_a_user_without_a_new_password_keeps_the_tokens(patient_alice):
    token = _log_in()
    patient_alice.email = "new@example.org"
    patient_alice.save()
    assert _status_with(token) == 200


def test_account_self_deletion_removes_the_tokens(client, patient_alice):
    # given
    from knox.models import AuthToken

    token = _log_in()
    client.force_login(patient_alice)
    # when
    client.post(reverse("account_delete"), {"password": DEFAULT_PASSWORD, "confirm": "on"})
    # then
    assert not AuthToken.objects.exists()
    assert _status_with(token) == 401


def test_a_token_that_is_not_utf8_is_401_not_500(patient_alice):
    response = APIClient(HTTP_AUTHORIZATION="Token \xe9\xe9\xe9").get("/api/v1/submissions/")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")


def test_logout_routes_are_in_the_schema_without_warnings(admin_ada):
    # given
    client = APIClient()
    client.force_authenticate(admin_ada)
    # when
    schema = client.get("/api/schema/?format=json").json()
    # then
    assert "/api/v1/auth/logout/" in schema["paths"]
    assert "/api/v1/auth/logout-all/" in schema["paths"]
    assert set(schema["components"]["schemas"]["Token"]["properties"]) >= {"token", "expiry"}
