"""Fuzz the API with schemathesis from our own OpenAPI schema: whatever it sends, no 500.

Besides schemathesis' generated cases, every operation gets the bodies a hostile tester sent
(issue 16): 1,000 nested arrays, and Unicode that breaks naive code (full-width, combining marks,
right-to-left, NUL, lone surrogates written as JSON escapes) in every field and query parameter.
"""

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from portal.accounts.services import api_token_create
from portal.wsgi import application
from tests.factories import NurseFactory, PatientFactory

pytestmark = pytest.mark.django_db
EXAMPLES_PER_OPERATION = 15


DEPTH = 1_000
NESTED_ARRAYS = b"[" * DEPTH + b"]" * DEPTH
# JSON text, so that lone surrogates can be written (as escapes): Python cannot encode them.
HOSTILE_STRINGS = {
    "full-width": r'"\uff2e\uff35\uff32\uff33\uff25 bleeding"',
    "combining marks": r'"ble\u0301e\u0308ding' + r"\u0300" * 60 + '"',
    "right-to-left": r'"\u202eevil\u202c \u0646\u0632\u064a\u0641 \u05d3\u05d9\u05de\u05d5\u05dd"',
    "NUL": r'"it\u0000bleeds"',
    "lone surrogates": r'"\ud800 and \udfff alone"',
}


LOGOUT_PATHS = {"/api/v1/auth/logout/", "/api/v1/auth/logout-all/"}


@pytest.fixture
def tokens(db):
    """A patient's and a nurse's token: every generated request is sent as both."""
    users = [PatientFactory(username="fuzz-patient"), NurseFactory(username="fuzz-nurse")]
    return [api_token_create(user=u)[0] for u in users]


def _auth(operation, token: str) -> dict:
    """The Authorization header; a log-out gets a throwaway user's token, or it would revoke ours."""
    if operation.path in LOGOUT_PATHS:
        token, _ = api_token_create(user=PatientFactory())
    return {"Authorization": f"Token {token}"}


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings):
    """Rate limits would answer 429 long before the fuzzed text reaches the code behind a route."""
    settings.RATE_LIMITS = dict.fromkeys(settings.RATE_LIMITS, "100000/m")


@pytest.fixture
def api_schema(db, tokens):
    # Requests go straight into the WSGI app; like Django's test client, keep the test's database
    # connection (and its transaction) open across them.
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    # The schema is for staff only: read it as the nurse.
    headers = {"Authorization": f"Token {tokens[1]}"}
    yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, headers=headers)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_api_never_answers_500(api_schema, tokens):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15, "the schema should list every API operation"
    seen = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def fuzz(case):
            for token in tokens:
                response = case.call(headers=_auth(case.operation, token))
                case.validate_response(response, checks=[not_a_server_error])
                seen.append(response.status_code)

        fuzz()
    print(f"{len(operations)} operations, {len(seen)} requests, statuses {sorted(set(seen))}")
    assert seen and max(seen) < 500


@pytest.fixture
def real_ids(tokens):
    """Ids of real objects of the fuzz patient, so hostile text reaches the code behind each route."""
    from chatbot import services as chat
    from diagnosis import services as diagnosis
    from diagnosis.models import Prediction, Submission
    from portal.accounts.models import User
    from tests.images import upload_file
    from triage import services as triage
    from triage.seed import seed as seed_levels

    seed_levels()
    patient = User.objects.get(username="fuzz-patient")
    submission = diagnosis.submission_create(patient=patient, image=upload_file(), body_site="back")
    Prediction.objects.create(
        submission=submission, model_version="t", ranked=[["nevus", 1.0]], top="nevus", inference_ms=1.0
    )
    Submission.objects.filter(pk=submission.pk).update(status="done")
    submission.refresh_from_db()
    case = triage.case_assess_submission(submission=submission)
    conversation = chat.conversation_start(patient=patient, submission=submission)
    return {"id": submission.pk, "case_id": case.pk, "conversation_id": conversation.pk}


def _json_fields(raw_schema: dict, operation) -> list[str] | None:
    """The property names of the operation's JSON body, or None when it takes no JSON body."""
    definition = raw_schema["paths"][operation.path][operation.method.lower()]
    content = definition.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    schema = content["application/json"]["schema"]
    if "$ref" in schema:
        schema = raw_schema["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return sorted(schema.get("properties", {}))


def _query_names(raw_schema: dict, operation) -> list[str]:
    definition = raw_schema["paths"][operation.path][operation.method.lower()]
    return [p["name"] for p in definition.get("parameters", []) if p.get("in") == "query"]


def test_nested_json_and_hostile_unicode_never_answer_500(api_schema, tokens, real_ids):
    # given: every operation of the schema, with real objects behind its path parameters
    operations = [result.ok() for result in api_schema.get_all_operations()]
    raw = api_schema.raw_schema
    seen, sent_json = [], 0
    for operation in operations:
        path_parameters = {name: real_ids.get(name, 1) for name in re.findall(r"{(\w+)}", operation.path)}
        fields = _json_fields(raw, operation)
        cases = [
            operation.Case(path_parameters=path_parameters, query={q: v for q in _query_names(raw, operation)})
            for v in ("\uff11\uff12", "\u202e1", "a\x00", "\u0301")
        ]
        if fields is not None:
            bodies = [NESTED_ARRAYS]
            for text in HOSTILE_STRINGS.values():
                bodies.append(("{" + ", ".join(f'"{f}": {text}' for f in fields) + "}").encode())
                bodies.append(
                    ("{" + ", ".join(f'"{f}": [{text}, ' + NESTED_ARRAYS.decode() + "]" for f in fields) + "}").encode()
                )
            cases += [
                operation.Case(path_parameters=path_parameters, body=body, media_type="application/json")
                for body in bodies
            ]
            sent_json += len(bodies)
        # when
        for case in cases:
            for token in tokens:
                response = case.call(headers=_auth(operation, token))
                # then
                assert response.status_code < 500, (case.method, case.formatted_path, case.body, response.text[:300])
                if response.status_code >= 400:
                    # schemathesis keeps headers as lists under lower-case names
                    kind = response.headers.get("content-type", [""])[0]
                    assert kind.startswith("application/json"), (case.method, case.formatted_path, response.status_code)
                seen.append(response.status_code)
    print(f"{len(operations)} operations, {sent_json} hostile JSON bodies, statuses {sorted(set(seen))}")
    # register, token, conversations, messages, level, close (uploads are multipart)
    assert sent_json >= 6 * (1 + 2 * len(HOSTILE_STRINGS)), "every JSON operation should get the hostile bodies"
    assert 429 not in seen, "a rate limit stopped the hostile text before the code behind it"
