"""Hostile JSON bodies (1,000 nested arrays) get a clear 400 with a JSON body on every API route."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.urls import reverse

from chatbot import services as chat
from chatbot.models import Message
from diagnosis import services as diagnosis
from diagnosis.models import Prediction, Submission
from portal.urls import api_v1
from tests.factories import DEFAULT_PASSWORD
from tests.images import png_bytes, upload_file
from triage import services as triage
from triage.models import CaseEvent
from triage.seed import seed as seed_levels

User = get_user_model()
pytestmark = pytest.mark.django_db

DEPTH = 1_000
NESTED_ARRAYS = "[" * DEPTH + "]" * DEPTH
NESTED_IN_A_FIELD = '{"username": "eve", "password": "x", "text": ' + NESTED_ARRAYS + ', "level": 2, "reason": "r"}'

# Every API route that accepts POST -> who posts to it (the role that reaches the parser) and the
# url argument it needs. The completeness test below fails when a new POST route is missing here.
READS_BODY = {
    "api-register": ("anon", None),
    "api-token": ("anon", None),
    "submission-list": ("owner", None),
    "api-conversations": ("owner", None),
    "api-conversation-messages": ("owner", "conversation"),
    "api-triage-level": ("nurse", "case"),
    "api-triage-close": ("nurse", "case"),
    "api-consents": ("owner", None),
}
# Actions that take no body: whatever is sent is never parsed, and the action works as usual.
IGNORES_BODY = {
    "api-triage-claim": ("nurse", "case"),
    "api-triage-release": ("nurse", "case"),
}
# Log-outs take no body either, and only a token (not a session) reaches them.
LOGOUTS = {"api-logout", "api-logout-all"}
POST_ROUTES = READS_BODY | IGNORES_BODY | dict.fromkeys(LOGOUTS)


@pytest.fixture
def world(patient_alice, nurse_nina):
    seed_levels()
    submission = diagnosis.submission_create(patient=patient_alice, image=upload_file(), body_site="back")
    prediction = Prediction(
        submission=submission, model_version="t", ranked=[["nevus", 1.0]], top="nevus", inference_ms=1.0
    )
    prediction.heatmap.save("h.png", ContentFile(png_bytes()), save=False)
    prediction.save()
    Submission.objects.filter(pk=submission.pk).update(status="done")
    submission.refresh_from_db()
    case = triage.case_assess_submission(submission=submission)
    conversation = chat.conversation_start(patient=patient_alice, submission=submission)
    users = {"anon": None, "owner": patient_alice, "nurse": nurse_nina}
    args = {None: [], "case": [case.pk], "conversation": [conversation.pk], "pk": [submission.pk]}
    return users, args


def _accepts_post(pattern) -> bool:
    actions = getattr(pattern.callback, "actions", None)  # a viewset route: its method -> action map
    if actions is not None:
        return "post" in actions
    return hasattr(pattern.callback.view_class, "post")


def _snapshot() -> tuple:
    return (
        User.objects.count(),
        Submission.objects.count(),
        Message.objects.count(),
        CaseEvent.objects.count(),
    )


def test_every_api_post_route_is_covered():
    # given: every route of the API, read from its URL conf
    # when
    posting = sorted(p.name for p in api_v1 if _accepts_post(p))
    # then
    assert posting == sorted(POST_ROUTES), "add the new POST route to POST_ROUTES"


@pytest.mark.parametrize("body", [NESTED_ARRAYS, NESTED_IN_A_FIELD], ids=["top level", "inside a field"])
@pytest.mark.parametrize("name", sorted(READS_BODY))
def test_deeply_nested_json_is_refused_400_with_a_json_body(world, name, body, api):
    # given
    users, args = world
    role, key = READS_BODY[name]
    if users[role] is not None:
        api.force_authenticate(users[role])
    before = _snapshot()
    # when
    response = api.post(reverse(name, args=args[key]), body, content_type="application/json")
    # then
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert "JSON" in response.json()["detail"]
    assert _snapshot() == before


@pytest.mark.parametrize("name", sorted(IGNORES_BODY))
def test_deeply_nested_json_to_a_bodiless_action_is_ignored(world, name, api):
    # given
    users, args = world
    role, key = IGNORES_BODY[name]
    api.force_authenticate(users[role])
    # when
    response = api.post(reverse(name, args=args[key]), NESTED_ARRAYS, content_type="application/json")
    # then
    assert response.status_code == 200
    assert response.json()["id"] == args[key][0]


@pytest.mark.parametrize("name", sorted(LOGOUTS))
def test_deeply_nested_json_to_a_logout_is_ignored_and_the_token_revoked(name, patient_alice):
    # given
    from rest_framework.test import APIClient

    from portal.accounts.services import api_token_create

    token, _ = api_token_create(user=patient_alice)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    # when
    response = client.post(reverse(name), NESTED_ARRAYS, content_type="application/json")
    # then
    assert response.status_code == 204
    assert client.get(reverse("submission-list")).status_code == 401


def test_json_endpoint_still_works_after_a_nested_body(api, patient_alice):
    # given: a refused hostile body
    api.post("/api/v1/auth/token/", NESTED_ARRAYS, content_type="application/json")
    # when: an ordinary log-in follows
    response = api.post("/api/v1/auth/token/", {"username": "alice", "password": DEFAULT_PASSWORD}, format="json")
    # then
    assert response.status_code == 200
    assert response.json()["token"]
