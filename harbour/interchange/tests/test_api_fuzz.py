"""No generated request to the interchange API gets a server error, as a supervisor (who may
import and export) — the project-wide fuzz run signs in as roles that only get 404 here."""

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from harbour.accounts.actions import issue_token

pytestmark = pytest.mark.django_db


def _operations() -> list:
    from harbour.api.api import api

    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    found = []
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        if operation.path.startswith("/api/v1/interchange"):
            found.append(operation)
    return found


@pytest.fixture
def app() -> Iterator[WSGIHandler]:
    """The real WSGI handler, minus closing "old" connections at each request's end (as the
    project-wide fuzz test does): that would close the connection holding the test's
    transaction once a run outlasts CONN_MAX_AGE."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_no_generated_request_gets_a_server_error(supervisor, app) -> None:
    _token, plain = issue_token(by=supervisor, name="fuzz")
    headers = {"Authorization": f"Bearer {plain}"}
    operations = _operations()
    assert len(operations) >= 6
    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )

        @given(case=strategy)
        @settings(
            max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def check(case) -> None:
            response = case.call(app=app, headers=headers)
            assert response.status_code < 500, (case.method, case.formatted_path, response.text)

        check()
