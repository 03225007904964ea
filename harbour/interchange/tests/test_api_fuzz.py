"""No generated request to the interchange API gets a server error, as a supervisor (who may
import and export) — the project-wide fuzz run signs in as roles that only get 404 here."""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
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


def test_no_generated_request_gets_a_server_error(supervisor) -> None:
    _token, plain = issue_token(by=supervisor, name="fuzz")
    headers = {"Authorization": f"Bearer {plain}"}
    app = WSGIHandler()
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
