"""Every route x every role -> the expected status. Routes are read from the URL conf, so a new
endpoint without a row here fails the first test instead of being forgotten."""

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from chatbot import services as chat
from diagnosis import services as diagnosis
from diagnosis.models import Prediction, Submission
from tests.factories import AdminFactory, NurseFactory, PatientFactory
from tests.images import png_bytes, upload_file
from triage import services as triage
from triage.models import CaseEvent
from triage.seed import seed as seed_levels

pytestmark = pytest.mark.django_db
ROLES = ("anon", "owner", "other", "nurse", "admin")


def _statuses(anon, owner, other, nurse, admin):
    return dict(zip(ROLES, (anon, owner, other, nurse, admin), strict=True))


PATIENT_PAGE = _statuses(302, 200, 200, 403, 403)
OWNED_PAGE = _statuses(302, 200, 404, 200, 200)
STAFF_PAGE = _statuses(302, 403, 403, 200, 200)
STAFF_ACTION = _statuses(302, 403, 403, 302, 302)
OWNED_API = _statuses(401, 200, 404, 200, 200)
STAFF_API = _statuses(401, 403, 403, 200, 200)
PUBLIC = _statuses(200, 200, 200, 200, 200)
LOGGED_IN = _statuses(302, 200, 200, 200, 200)
ANON_ONLY = _statuses(200, 302, 302, 302, 302)

# name -> (method, url args key, expected statuses)
MATRIX = {
    "home": ("get", None, _statuses(200, 200, 200, 302, 200)),  # nurses are sent on to their queue
    "limits": ("get", None, PUBLIC),
    "healthz": ("get", None, None),  # the same answer for everyone; its status depends on the services
    "signup": ("get", None, ANON_ONLY),
    "login": ("get", None, ANON_ONLY),
    "logout": ("post", None, _statuses(302, 302, 302, 302, 302)),
    "profile": ("get", None, LOGGED_IN),
    "privacy": ("get", None, PUBLIC),
    "consent": ("get", None, PATIENT_PAGE),
    # A give/withdraw without a valid kind changes nothing and goes back to the profile.
    "consent_change": ("post", None, _statuses(302, 302, 302, 403, 403)),
    "my_data": ("get", None, LOGGED_IN),
    "data_export": ("get", None, LOGGED_IN),
    "account_delete": ("post", None, _statuses(302, 400, 400, 400, 400)),
    "password_change": ("get", None, LOGGED_IN),
    "password_change_done": ("get", None, LOGGED_IN),
    "password_reset": ("get", None, PUBLIC),
    "password_reset_done": ("get", None, PUBLIC),
    "password_reset_confirm": ("get", "reset", PUBLIC),
    "password_reset_complete": ("get", None, PUBLIC),
    "set_language": ("post", None, _statuses(302, 302, 302, 302, 302)),
    "diagnosis:history": ("get", None, PATIENT_PAGE),
    "diagnosis:upload": ("get", None, PATIENT_PAGE),
    "diagnosis:compare": ("get", None, _statuses(302, 200, 404, 403, 403)),
    "diagnosis:result": ("get", "submission", OWNED_PAGE),
    "diagnosis:result_panel": ("get", "submission", OWNED_PAGE),
    "diagnosis:report": ("get", "submission", OWNED_PAGE),
    "diagnosis:image": ("get", "submission", OWNED_PAGE),
    "diagnosis:thumbnail": ("get", "submission", OWNED_PAGE),
    "diagnosis:extra_image": ("get", "extra", OWNED_PAGE),
    "diagnosis:heatmap": ("get", "submission", OWNED_PAGE),
    "triage:dashboard": ("get", None, STAFF_PAGE),
    "triage:dashboard_rows": ("get", None, STAFF_PAGE),
    "triage:case": ("get", "case", STAFF_PAGE),
    "triage:claim": ("post", "case", STAFF_ACTION),
    "triage:release": ("post", "case", STAFF_ACTION),
    "triage:level": ("post", "case", STAFF_ACTION),
    "triage:close": ("post", "case", STAFF_ACTION),
    "chatbot:list": ("get", None, PATIENT_PAGE),
    "chatbot:start": ("post", None, _statuses(302, 302, 302, 403, 403)),
    "chatbot:chat": ("get", "conversation", OWNED_PAGE),
    "chatbot:send": ("post", "conversation", _statuses(302, 302, 404, 403, 403)),
    "submission-list": ("get", None, _statuses(401, 200, 200, 403, 403)),
    "submission-detail": ("get", "pk", OWNED_API),
    "submission-image": ("get", "pk", OWNED_API),
    "submission-heatmap": ("get", "pk", OWNED_API),
    "submission-extra": ("get", "extra", OWNED_API),
    "api-conversations": ("post", None, _statuses(401, 201, 201, 403, 403)),
    "api-conversation": ("get", "conversation", OWNED_API),
    "api-conversation-messages": ("post", "conversation", _statuses(401, 200, 404, 403, 403)),
    "api-triage-queue": ("get", None, STAFF_API),
    "api-triage-case": ("get", "case", STAFF_API),
    "api-triage-claim": ("post", "case", STAFF_API),
    "api-triage-release": ("post", "case", STAFF_API),
    "api-triage-level": ("post", "case", STAFF_API),
    "api-triage-close": ("post", "case", STAFF_API),
    "api-register": ("get", None, _statuses(405, 405, 405, 405, 405)),
    "api-token": ("get", None, _statuses(405, 405, 405, 405, 405)),
    # Log-out revokes the token the request carries; a session has none (portal/tests/test_api_tokens.py).
    "api-logout": ("post", None, _statuses(401, 401, 401, 401, 401)),
    "api-logout-all": ("post", None, _statuses(401, 401, 401, 401, 401)),
    "api-consents": ("get", None, _statuses(401, 200, 200, 403, 403)),
    "api-schema": ("get", None, STAFF_API),
    "api-docs": ("get", None, STAFF_API),
    # The test client calls from loopback, the default monitoring network; outsiders get 403
    # unless staff (ops/tests/test_metrics.py). Aggregates only, no patient's data.
    "ops:metrics": ("get", None, PUBLIC),
    "ops:dashboard": ("get", None, _statuses(302, 403, 403, 403, 200)),
}
# Staff reads of patient data -> what the VIEWED audit row on the case says was read.
AUDITED_READS = {
    "diagnosis:result": "result",
    "diagnosis:result_panel": "result",
    "diagnosis:report": "report",
    "diagnosis:image": "photo",
    "diagnosis:thumbnail": "photo",
    "diagnosis:extra_image": "photo",
    "diagnosis:heatmap": "heatmap",
    "triage:case": "case",
    "chatbot:chat": "chat",
    "submission-detail": "result",
    "submission-image": "photo",
    "submission-heatmap": "heatmap",
    "submission-extra": "photo",
    "api-conversation": "chat",
    "api-triage-case": "case",
}
# Routes staff may GET that are not a read of one patient's data, so write no VIEWED row:
# the queue lists (the case is audited when it is opened) and the staff member's own pages.
UNAUDITED_STAFF_GETS = {
    "limits",
    "privacy",
    "profile",
    "my_data",
    "data_export",
    "password_change",
    "password_change_done",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "triage:dashboard",
    "triage:dashboard_rows",
    "api-triage-queue",
    "api-schema",
    "api-docs",
    "ops:metrics",
}
POST_DATA = {
    "triage:level": {"level": 2, "reason": "matrix"},
    "triage:close": {"outcome": "self_care"},
    "api-triage-level": {"level": 2, "reason": "matrix"},
    "api-triage-close": {"outcome": "self_care"},
    "chatbot:send": {"text": "it has been there for 3 weeks"},
    "api-conversation-messages": {"text": "it has been there for 3 weeks"},
    "set_language": {"language": "en"},
}


def _routes(patterns, ns=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, f"{ns}{p.namespace}:" if p.namespace else ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{ns}{p.name}"


ALL_ROUTES = sorted(set(_routes(get_resolver().url_patterns)))
APP_ROUTES = [r for r in ALL_ROUTES if not r.startswith("admin:")]


def test_every_route_has_a_row_in_the_matrix():
    assert sorted(APP_ROUTES) == sorted(MATRIX), "add the new route to MATRIX with its expected statuses"


def test_every_route_staff_can_read_is_audited_or_named_as_not_patient_data():
    readable = {
        n for n, (method, _, expected) in MATRIX.items() if method == "get" and expected and expected["nurse"] == 200
    }
    assert readable - set(AUDITED_READS) == UNAUDITED_STAFF_GETS, "audit the new staff read or say why not"


@pytest.fixture
def world(db):
    seed_levels()
    owner, other = PatientFactory(username="owner"), PatientFactory(username="other")
    users = {
        "anon": None,
        "owner": owner,
        "other": other,
        "nurse": NurseFactory(username="nurse1"),
        "admin": AdminFactory(username="admin1"),
    }
    submission = diagnosis.submission_create(
        patient=owner, image=upload_file(), body_site="back", extra_images=[upload_file()]
    )
    prediction = Prediction(
        submission=submission, model_version="t", ranked=[["nevus", 1.0]], top="nevus", inference_ms=1.0
    )
    prediction.heatmap.save("h.png", ContentFile(png_bytes()), save=False)
    prediction.save()
    Submission.objects.filter(pk=submission.pk).update(status="done")
    submission.refresh_from_db()
    case = triage.case_assess_submission(submission=submission)
    conversation = chat.conversation_start(patient=owner, submission=submission)
    args = {
        None: [],
        "submission": [submission.pk],
        "pk": [submission.pk],
        "extra": [submission.pk, 1],
        "case": [case.pk],
        "conversation": [conversation.pk],
        "reset": ["MQ", "bad-token"],
    }
    return users, args, submission


def _client(user, api: bool):
    from django.test import Client
    from rest_framework.test import APIClient

    client = APIClient() if api else Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", [n for n in sorted(MATRIX) if MATRIX[n][2] is not None])
def test_route_answers_each_role_as_expected(world, name, role):
    users, args, submission = world
    method, key, expected = MATRIX[name]
    url = reverse(name, args=args[key])
    if name == "diagnosis:compare":
        url += f"?a={submission.pk}&b={submission.pk}"
    is_api = url.startswith("/api/")
    client = _client(users[role], api=is_api)
    data = POST_DATA.get(name, {})
    response = (
        client.post(url, data, format="json") if is_api and method == "post" else getattr(client, method)(url, data)
    )
    assert response.status_code == expected[role], f"{method.upper()} {url} as {role}"
    # and: a staff read of patient data is on record (who, what, when); nothing else is
    viewed = list(CaseEvent.objects.filter(kind=CaseEvent.Kind.VIEWED).values_list("actor__username", "to_value"))
    if role in ("nurse", "admin") and name in AUDITED_READS:
        assert viewed == [(users[role].username, AUDITED_READS[name])], f"{method.upper()} {url} as {role}"
    else:
        assert viewed == [], f"{method.upper()} {url} as {role}"


ADMIN_INDEXES = [r for r in ALL_ROUTES if r.startswith("admin:") and r.endswith(("_changelist", "index"))]


@pytest.mark.parametrize("name", ADMIN_INDEXES)
def test_django_admin_is_for_admins_only(world, name):
    users, _, _ = world
    url = reverse(name)
    for role in ("anon", "owner", "nurse"):
        response = _client(users[role], api=False).get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], role
    assert _client(users["admin"], api=False).get(url).status_code == 200
