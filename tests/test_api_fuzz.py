"""Fuzz the API with schemathesis from our own OpenAPI schema: whatever it sends, no 500."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from portal.wsgi import application
from tests.factories import NurseFactory, PatientFactory

pytestmark = pytest.mark.django_db
EXAMPLES_PER_OPERATION = 15


@pytest.fixture
def api_schema(db):
    # Requests go straight into the WSGI app; like Django's test client, keep the test's database
    # connection (and its transaction) open across them.
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(db):
    """A patient's and a nurse's token: every generated request is sent as both."""
    from rest_framework.authtoken.models import Token

    users = [PatientFactory(username="fuzz-patient"), NurseFactory(username="fuzz-nurse")]
    return [Token.objects.get_or_create(user=u)[0].key for u in users]


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
                response = case.call(headers={"Authorization": f"Token {token}"})
                case.validate_response(response, checks=[not_a_server_error])
                seen.append(response.status_code)

        fuzz()
    print(f"{len(operations)} operations, {len(seen)} requests, statuses {sorted(set(seen))}")
    assert seen and max(seen) < 500
