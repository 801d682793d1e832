"""Issue 16 item 9, the accounts and API part: usernames, reset links, schema access, sessions,
JSON errors under /api/, axes rows of deleted users, DEBUG off in the embedded run."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD, NurseFactory

User = get_user_model()
pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent.parent


def _register(username: str):
    return APIClient().post(
        "/api/v1/auth/register/", {"username": username, "password": DEFAULT_PASSWORD}, format="json"
    )


def _signup(client, username: str):
    return client.post(
        reverse("signup"), {"username": username, "password1": DEFAULT_PASSWORD, "password2": DEFAULT_PASSWORD}
    )


# --- (a) usernames --------------------------------------------------------------------------------


def test_api_register_refuses_a_full_width_twin_of_an_existing_username(db):
    # given: staff "nurse"
    NurseFactory(username="nurse")
    # when
    response = _register("ＮＵＲＳＥ")
    # then
    assert response.status_code == 400
    assert "username" in response.json()
    assert User.objects.filter(username__iexact="nurse").count() == 1


def test_api_register_stores_the_nfkc_form_of_a_full_width_name(db):
    response = _register("ｅｒｉｎ")
    assert response.status_code == 201
    assert response.json()["username"] == "erin"
    assert User.objects.filter(username="erin").exists()


@pytest.mark.parametrize("username", ["nurse", "NURSE", "ＮＵＲＳＥ"])
def test_web_sign_up_refuses_the_same_twins(client, username):
    # given
    NurseFactory(username="nurse")
    # when
    response = _signup(client, username)
    # then
    assert response.status_code == 200
    assert User.objects.filter(username__iexact="nurse").count() == 1


@pytest.mark.parametrize("username", ["nursе", "аdmin", "pαypal"], ids=["cyrillic e", "cyrillic a", "greek alpha"])
def test_mixed_script_usernames_are_refused_by_api_and_web(client, username):
    # when
    api = _register(username)
    web = _signup(client, username)
    # then
    assert api.status_code == 400 and "username" in api.json()
    assert "one alphabet" in str(api.json()["username"])
    assert web.status_code == 200 and "one alphabet" in web.content.decode()
    assert not User.objects.filter(username=username).exists()


@pytest.mark.parametrize("username", ["josé.muñoz", "Ольга", "李明", "anna_2"])
def test_single_script_names_are_welcome(username):
    assert _register(username).status_code == 201


# --- (b) reset link -------------------------------------------------------------------------------


def test_password_reset_link_uses_the_configured_domain_not_the_host_header(client, patient_alice, settings):
    # given
    settings.SITE_DOMAIN = "clinic.example.org"
    settings.ALLOWED_HOSTS = ["*"]
    # when: an attacker-chosen Host with a port
    client.post(reverse("password_reset"), {"email": patient_alice.email}, HTTP_HOST="evil.example.com:8443")
    # then
    body = mail.outbox[0].body
    assert "evil.example.com" not in body and "8443" not in body
    assert "://clinic.example.org/accounts/reset/" in body


# --- (c) schema and docs for staff ----------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/"])
def test_schema_and_docs_are_for_staff_only(url, patient_alice, nurse_nina):
    anon = APIClient()
    patient, nurse = APIClient(), APIClient()
    patient.force_authenticate(patient_alice)
    nurse.force_authenticate(nurse_nina)
    assert anon.get(url).status_code == 401
    assert patient.get(url).status_code == 403
    assert nurse.get(url).status_code == 200


def test_footer_api_link_shows_only_for_staff(client, patient_alice, nurse_nina):
    docs = reverse("api-docs")
    assert f'href="{docs}"' not in client.get(reverse("home")).content.decode()
    client.force_login(patient_alice)
    assert f'href="{docs}"' not in client.get(reverse("profile")).content.decode()
    client.force_login(nurse_nina)
    assert f'href="{docs}"' in client.get(reverse("profile")).content.decode()


# --- (d) sessions -----------------------------------------------------------------------------------


def test_a_session_lasts_a_clinic_shift_not_two_weeks(client, patient_alice):
    from django.conf import settings

    client.post(reverse("login"), {"username": "alice", "password": DEFAULT_PASSWORD})
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert client.cookies["sessionid"]["max-age"] == settings.SESSION_COOKIE_AGE


# --- (e) JSON errors under /api/ --------------------------------------------------------------------


def test_unknown_api_path_answers_json_404(patient_alice):
    api = APIClient()
    api.force_authenticate(patient_alice)
    for response in (api.get("/api/v1/no-such-thing/"), APIClient().get("/api/nothing")):
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["detail"]


def test_html_pages_keep_their_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_wrong_method_and_bad_json_answer_json(patient_alice):
    api = APIClient()
    api.force_authenticate(patient_alice)
    wrong = api.delete("/api/v1/auth/token/")
    bad = api.post("/api/v1/conversations/", "{not json", content_type="application/json")
    for response, status in ((wrong, 405), (bad, 400)):
        assert response.status_code == status
        assert response["Content-Type"].startswith("application/json")


def test_an_unexpected_error_under_api_answers_json_500(patient_alice, monkeypatch):
    # given: a view that breaks
    from chatbot import api as chatbot_api

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(chatbot_api.ConversationListApi, "get_queryset", broken, raising=False)
    monkeypatch.setattr(chatbot_api.ConversationListApi, "post", broken)
    api = APIClient(raise_request_exception=False)
    api.force_authenticate(patient_alice)
    # when
    response = api.post("/api/v1/conversations/", {}, format="json")
    # then
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert "boom" not in response.content.decode()


# --- (f) axes rows of deleted users -----------------------------------------------------------------


def _axes_rows(username: str) -> int:
    return sum(m.objects.filter(username=username).count() for m in (AccessAttempt, AccessLog, AccessFailureLog))


def _leave_axes_rows(client, username: str) -> None:
    client.post(reverse("login"), {"username": username, "password": "wrong-password"})
    client.post(reverse("login"), {"username": username, "password": DEFAULT_PASSWORD})
    client.post(reverse("logout"))


def test_self_deletion_removes_the_users_axes_rows(client, patient_alice, patient_bob):
    # given
    _leave_axes_rows(client, "alice")
    _leave_axes_rows(client, "bob")
    client.post(reverse("login"), {"username": "alice", "password": "wrong-password"})
    bobs = _axes_rows("bob")
    assert _axes_rows("alice") >= 2 and bobs >= 1
    client.force_login(patient_alice)
    # when
    client.post(reverse("account_delete"), {"password": DEFAULT_PASSWORD, "confirm": "on"})
    # then
    assert _axes_rows("alice") == 0
    assert _axes_rows("bob") == bobs


def test_admin_deletion_removes_the_users_axes_rows(client, patient_alice, admin_ada):
    # given
    _leave_axes_rows(client, "alice")
    assert _axes_rows("alice") >= 1
    client.force_login(admin_ada)
    # when: the admin's bulk "delete selected" action
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [patient_alice.pk], "post": "yes"},
    )
    # then
    assert response.status_code == 302
    assert not User.objects.filter(username="alice").exists()
    assert _axes_rows("alice") == 0


# --- (g) DEBUG off in the embedded run -------------------------------------------------------------


def _embedded_env() -> dict[str, str]:
    """This process's environment less what points at a deployment or at this test run."""
    servers = {"DATABASE_URL", "REDIS_URL", "CACHE_REDIS_URL", "CELERY_FS_DIR", "MEDIA_ROOT", "STATIC_ROOT"}
    return {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST")) and k not in servers}


def test_the_embedded_run_has_debug_off(tmp_path):
    # given: the environment scripts/run.sh gives the web server and worker
    env = _embedded_env()
    env["DATA_DIR"] = str(tmp_path)
    code = (
        "import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings'; django.setup();"
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, getattr(s, 'SECURE_SSL_REDIRECT', False))"
    )
    # when
    out = subprocess.run(
        ["bash", "-c", f'source scripts/run-env.sh && exec "{sys.executable}" -c "{code}"'],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then: debug off, yet plain http on 127.0.0.1 still works (no HTTPS-only cookies or redirect)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False", "False"]


@pytest.mark.slow
def test_the_embedded_run_serves_static_files_and_plain_404_pages(tmp_path):
    # given: the embedded run's environment, its collected static files and its web server
    import re
    import socket
    import time
    import urllib.error
    import urllib.request

    env = _embedded_env()
    env.update(DATA_DIR=str(tmp_path), STATIC_ROOT=str(tmp_path / "static"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    script = (
        f'source scripts/run-env.sh && "{sys.executable}" manage.py collectstatic --noinput -v 0 '
        f'&& exec "{sys.executable}" manage.py runserver 127.0.0.1:{port} --noreload'
    )
    server = subprocess.Popen(
        ["bash", "-c", script], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"

    def get(path: str):
        try:
            with urllib.request.urlopen(base + path, timeout=10) as r:  # noqa: S310 - our own loopback server
                return r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode()

    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                login = get("/accounts/login/")
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.5)
        # when
        stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]+\.css)"', login[2])
        missing = get("/no-such-page/")
        api_missing = get("/api/v1/no-such-thing/")
        # then: whitenoise serves the hashed static files; no URL list on a 404; JSON under /api/
        assert login[0] == 200 and stylesheet, login[2][:500]
        assert get(stylesheet.group(1))[0] == 200
        assert "Secure" not in login[1].get("Set-Cookie", ""), "plain HTTP on this machine needs plain cookies"
        assert missing[0] == 404 and "URLconf" not in missing[2] and "api/v1/" not in missing[2]
        assert api_missing[0] == 404 and api_missing[1]["Content-Type"].startswith("application/json")
    finally:
        server.terminate()
        server.wait(timeout=20)
