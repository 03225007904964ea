"""No request the API documents may cause a server error (issue 7).

Schemathesis generates requests from the committed OpenAPI documents (the case API and the HSDS
API) — valid ones and, in a second pass, ones that break the schema (wrong types, missing
fields, hostile strings) — and sends them in-process to Harbour's WSGI application, as two roles
of one organisation. Path ids are drawn both at random and from records that really exist, so
the generated calls reach the code behind the 404. Any 5xx fails. The default run is bounded
(three examples per operation); CI (HARBOUR_SLOW=1) sends many more.
"""

import os
from collections.abc import Iterator
from functools import cache
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from harbour.accounts.actions import issue_token
from harbour.sharing import actions as sharing

pytestmark = pytest.mark.django_db

# Requests per operation and role: three at a desk (every operation is still called), 50 in CI.
EXAMPLES = 50 if os.environ.get("HARBOUR_SLOW") == "1" else 3


@cache
def _schemas() -> dict[str, Any]:
    """The two documents, generated and parsed once per process: the routes do not change while
    the tests run, and building them once per operation took most of the sweep's time."""
    from harbour.api.api import api
    from harbour.directory.api import hsds_api

    return {
        "api": schemathesis.openapi.from_dict(api.get_openapi_schema()),
        "hsds": schemathesis.openapi.from_dict(hsds_api.get_openapi_schema()),
    }


@pytest.fixture
def real_ids(case, caseworker, org_admin, make_org, make_user) -> dict[str, str]:
    """Ids of records that exist, under the path parameter names the API uses."""
    partner = make_org(province="CA-NS")
    consent = sharing.record_consent(
        by=caseworker,
        survivor=case.survivor,
        recipient_kind="organisation",
        recipient_org=partner,
        categories=["case_summary"],
        purposes=["referral"],
        method="verbal",
    )
    agreement = sharing.propose_agreement(
        by=org_admin,
        title="A-B",
        partners=[partner],
        categories=["case_summary"],
        purposes=["referral"],
        valid_from=consent.starts_on,
    )
    sharing.accept_agreement(by=make_user("org_admin", partner), agreement=agreement)
    referral = sharing.send_referral(
        by=caseworker, case=case, receiving_org=partner, values={"referral_date": case.intake_date}
    )
    return {
        "case_id": str(case.pk),
        "survivor_id": str(case.survivor_id),
        "consent_id": str(consent.pk),
        "agreement_id": str(agreement.pk),
        "referral_id": str(referral.pk),
        "kind": "case_note",
        "entity_id": "case",
        "list_id": "province",
        "move": "accept",
    }


@pytest.fixture
def app() -> Iterator[WSGIHandler]:
    """The real WSGI handler, minus closing "old" connections at each request's end (as Django's
    test client does): a run longer than CONN_MAX_AGE would otherwise close the connection that
    holds the test's transaction, and every later request would fail."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _operations() -> list[tuple[str, str, str]]:
    found = []
    for name, schema in _schemas().items():
        for result in schema.get_all_operations():
            operation = result.ok()
            found.append((name, operation.method.upper(), operation.path))
    return found


def _operation(name: str, method: str, path: str) -> Any:
    return _schemas()[name][path][method]


@pytest.mark.parametrize("role", ["caseworker", "org_admin"])
def test_no_generated_request_gets_a_server_error(
    role: str, real_ids: dict[str, str], make_user, org, app: WSGIHandler
) -> None:
    user = make_user(role, org)
    _token, plain = issue_token(by=user, name="fuzz")
    headers = {"Authorization": f"Bearer {plain}"}
    for api, method, path in _operations():
        _fuzz(_operation(api, method, path), app, headers, real_ids)


def _fuzz(operation: Any, app: Any, headers: dict[str, str], real_ids: dict[str, str]) -> None:
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @given(case=strategy, data=st.data())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any, data: st.DataObject) -> None:
        for name in list(case.path_parameters or {}):
            if name in real_ids and data.draw(st.booleans(), label=f"real {name}"):
                case.path_parameters[name] = real_ids[name]
        response = case.call(app=app, headers=headers)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:300]}"
        )

    check()


HOSTILE = [
    "951473832028663808",
    "-1",
    "0",
    "1e308",
    "9" * 40,
    "x",
    "%00",
    "' OR 1=1 --",
    "\u202eevil",
    '=HYPERLINK("http://x")',
    "2026-02-30",
    "00000000-0000-0000-0000-000000000000",
    "not-a-uuid",
]


def _parameters(operation: Any) -> list[tuple[str, str]]:
    found = []
    for parameter in operation.definition.raw.get("parameters", []):
        found.append((parameter["in"], parameter["name"]))
    return found


def test_hostile_values_in_every_parameter_are_refused_cleanly(
    real_ids: dict[str, str], caseworker
) -> None:
    """Every path and query parameter of every operation, one at a time, set to a hostile value."""
    from django.test import Client

    _token, plain = issue_token(by=caseworker, name="hostile")
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {plain}")
    failures = []
    for api, method, path in _operations():
        operation = _operation(api, method, path)
        for url in _hostile_urls(path, _parameters(operation), real_ids):
            status = client.generic(method, url, b"{}", "application/json").status_code
            if status >= 500:
                failures.append(f"{method} {url} → {status}")
    assert failures == []


def _hostile_urls(
    path: str, parameters: list[tuple[str, str]], real_ids: dict[str, str]
) -> Iterator[str]:
    for where, name in parameters:
        for value in HOSTILE:
            url = path
            for other in (n for w, n in parameters if w == "path" and n != name):
                url = url.replace("{" + other + "}", real_ids.get(other, "x"))
            if where == "path":
                yield url.replace("{" + name + "}", quote(value, safe=""))
            else:
                yield f"{url}?{name}={quote(value, safe='')}"
