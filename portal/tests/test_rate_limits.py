"""Rate limits (issue 16 item 3): one atomic counter per user or address, web pages and API alike."""

import threading

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from chatbot.models import Conversation, Message
from diagnosis.models import Submission
from portal.accounts.models import User
from portal.accounts.services import api_token_create, consent_give
from portal.cache import LockedFileBasedCache
from tests.factories import DEFAULT_PASSWORD
from tests.images import upload_file

UPLOADS = "/api/v1/submissions/"
CONVERSATIONS = "/api/v1/conversations/"


@pytest.fixture
def rates(settings):
    """Small limits, so a test needs only a few requests to cross them."""

    def set_rates(**rates):
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, **rates}

    return set_rates


def test_register_beyond_auth_rate_answers_429_and_creates_no_account(api, rates, db):
    # given
    rates(auth="3/m")
    # when
    codes = [
        api.post(
            "/api/v1/auth/register/",
            {"username": f"user{i}", "password": DEFAULT_PASSWORD, "email": f"u{i}@example.org"},
            format="json",
        )
        for i in range(5)
    ]
    # then
    assert [r.status_code for r in codes] == [201, 201, 201, 429, 429]
    assert int(codes[-1]["Retry-After"]) > 0
    assert not User.objects.filter(username__in=["user3", "user4"]).exists()


def test_web_signup_shares_the_register_address_counter(api, client, rates, db):
    # given: the address used up its budget through the API
    rates(auth="1/m")
    api.post("/api/v1/auth/register/", {"username": "first", "password": DEFAULT_PASSWORD}, format="json")
    # when
    response = client.post(
        reverse("signup"),
        {"username": "carol", "email": "c@example.org", "password1": DEFAULT_PASSWORD, "password2": DEFAULT_PASSWORD},
    )
    # then
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
    assert not User.objects.filter(username="carol").exists()


def test_token_is_limited_per_username_even_from_many_addresses(rates, patient_alice):
    # given
    rates(auth="3/m")
    body = {"username": "alice", "password": DEFAULT_PASSWORD}
    # when: each try from another address, so only the per-username counter can stop them
    codes = [
        APIClient(REMOTE_ADDR=f"81.2.69.{i}").post("/api/v1/auth/token/", body, format="json").status_code
        for i in range(1, 6)
    ]
    # then
    assert codes == [200, 200, 200, 429, 429]


def test_password_reset_mails_to_one_address_are_limited(client, rates, patient_alice):
    # given
    rates(reset_email="2/h")
    # when
    codes = [
        client.post(reverse("password_reset"), {"email": patient_alice.email.upper()}).status_code for _ in range(4)
    ]
    # then
    assert codes == [302, 302, 429, 429]
    assert len(mail.outbox) == 2


def test_web_upload_shares_the_api_upload_counter_and_stores_nothing_over_it(api_as, client, rates, patient_alice):
    # given: the API used up the user's uploads
    rates(upload="2/h")
    api = api_as(patient_alice)
    assert [api.post(UPLOADS, {"image": upload_file()}, format="multipart").status_code for _ in range(2)] == [202] * 2
    # when
    client.force_login(patient_alice)
    response = client.post(reverse("diagnosis:upload"), {"image": upload_file(), "body_site": "back"})
    # then
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Nothing was saved" in response.content.decode()
    assert Submission.objects.filter(patient=patient_alice).count() == 2


def test_api_upload_is_refused_after_web_uploads_used_the_limit(api_as, client, rates, patient_alice):
    rates(upload="1/h")
    client.force_login(patient_alice)
    assert client.post(reverse("diagnosis:upload"), {"image": upload_file()}).status_code == 302
    response = api_as(patient_alice).post(UPLOADS, {"image": upload_file()}, format="multipart")
    assert response.status_code == 429
    assert response.has_header("Retry-After")


def test_web_chat_send_shares_the_api_message_counter(api_as, client, rates, patient_alice):
    # given
    rates(chat="2/m")
    api = api_as(patient_alice)
    conversation = api.post(CONVERSATIONS, {}, format="json").json()["id"]
    messages_url = f"{CONVERSATIONS}{conversation}/messages/"
    for _ in range(2):
        assert api.post(messages_url, {"text": "3 weeks"}, format="json").status_code == 200
    before = Message.objects.filter(conversation_id=conversation).count()
    # when
    client.force_login(patient_alice)
    response = client.post(reverse("chatbot:send", args=[conversation]), {"text": "it itches"})
    # then
    assert response.status_code == 429
    assert response.has_header("Retry-After")
    assert Message.objects.filter(conversation_id=conversation).count() == before


def test_starting_conversations_is_limited_on_web_and_api(api_as, client, rates, patient_alice):
    rates(conversation="2/h")
    api = api_as(patient_alice)
    assert api.post(CONVERSATIONS, {}, format="json").status_code == 201
    client.force_login(patient_alice)
    assert client.post(reverse("chatbot:start")).status_code == 302
    assert client.post(reverse("chatbot:start")).status_code == 429
    refused = api.post(CONVERSATIONS, {}, format="json")
    assert refused.status_code == 429 and refused.has_header("Retry-After")
    assert Conversation.objects.filter(patient=patient_alice).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_never_exceed_the_limit(rates, settings, tmp_path):
    # given: a small limit, the embedded default's cache, and many uploads released at once
    rates(upload="5/h")
    settings.CACHES = {"default": {"BACKEND": "portal.cache.LockedFileBasedCache", "LOCATION": str(tmp_path / "c")}}
    patient = User.objects.create_user(username="eve", password=DEFAULT_PASSWORD, role="patient")
    consent_give(user=patient, kind="photos", source="api")  # uploads need consent to store photos
    token, _ = api_token_create(user=patient)
    start, codes, lock = threading.Barrier(12), [], threading.Lock()

    def upload():
        client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
        image = upload_file()
        start.wait()
        try:
            code = client.post(UPLOADS, {"image": image}, format="multipart").status_code
        finally:
            connection.close()
        with lock:
            codes.append(code)

    # when
    threads = [threading.Thread(target=upload) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # then
    assert sorted(codes) == [202] * 5 + [429] * 7
    assert Submission.objects.filter(patient=patient).count() == 5


def test_the_embedded_cache_counts_exactly_under_concurrent_increments(tmp_path):
    # given
    cache = LockedFileBasedCache(str(tmp_path / "c"), {})
    cache.add("n", 0, 60)
    start = threading.Barrier(8)

    def bump():
        start.wait()
        for _ in range(25):
            cache.incr("n")

    # when
    threads = [threading.Thread(target=bump) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then
    assert cache.get("n") == 200
