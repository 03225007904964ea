"""The one-statement second-factor step against the Python functions it stands for, over every
state (issue #9): each role x the organisation's policy (none, off, on) x the account's factors
(none, an unconfirmed authenticator, a confirmed one, a passkey, both) x the session (passed, a
pass recorded for another account, no pass). For each, the hand-written SQL of
`second_factor_step`, `has_second_factor` with `second_factor_required`, and what a real page
request does (SecondFactorMiddleware) must agree. Runs on SQLite and PostgreSQL (also as the
application role under row-level security: HARBOUR_TEST_DB_ROLE)."""

import itertools
import uuid
from typing import Any

import pytest
from django.test import Client

from harbour.accounts import actions
from harbour.accounts.middleware import (
    SECOND_FACTOR_PASSED,
    mark_second_factor_passed,
    second_factor_step,
)
from harbour.accounts.models import Passkey, SecondFactorPolicy, TotpDevice, User
from harbour.accounts.policy import Role, second_factor_required
from harbour.orgs.models import Organisation

pytestmark = pytest.mark.django_db

POLICIES = (None, False, True)
FACTORS = ("none", "unconfirmed", "totp", "passkey", "both")
SESSIONS = ("passed", "passed_by_another", "none")


def _give(user: User, factors: str) -> None:
    if factors in ("unconfirmed", "totp", "both"):
        device, _secret = actions.start_totp(by=user, name="Phone")
        if factors != "unconfirmed":
            TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=device.created_at)
    if factors in ("passkey", "both"):
        Passkey.objects.create(user=user, name="Key", credential_id=f"c-{user.pk}", public_key="k")


def _python_step(user: User) -> str | None:
    """The answer the step must give, from the functions the rest of the code uses."""
    if actions.has_second_factor(user):
        return "verify"
    return "enrol" if second_factor_required(user) else None


def _expected_from_the_table(role: str, policy: bool | None, factors: str) -> str | None:
    """The rule as ADR 38 states it, independent of both implementations."""
    if factors in ("totp", "passkey", "both"):
        return "verify"
    if role != Role.CASEWORKER or policy:
        return "enrol"
    return None


def _client(user: User, session_state: str) -> Client:
    client = Client()
    client.force_login(user)  # marks the session passed (conftest); undone below as needed
    session = client.session
    if session_state == "none":
        session.pop(SECOND_FACTOR_PASSED, None)
    elif session_state == "passed_by_another":
        someone: Any = type("Someone", (), {"pk": uuid.uuid4()})()
        mark_second_factor_passed(session, someone, "totp")
    session.save()
    return client


def _where_the_page_sends(client: Client) -> str | None:
    response = client.get("/")
    location = response.get("Location", "") if response.status_code in (301, 302) else ""
    if location.startswith("/accounts/second-factor/"):
        return "verify"
    if location.startswith("/accounts/security/"):
        return "enrol"
    return None


@pytest.mark.parametrize(
    ("role", "policy", "factors"), list(itertools.product(list(Role), POLICIES, FACTORS))
)
def test_the_sql_step_the_functions_and_the_middleware_agree(
    make_user: Any, make_org: Any, role: str, policy: bool | None, factors: str
) -> None:
    org: Organisation = make_org()
    if policy is not None:
        SecondFactorPolicy.objects.create(org=org, caseworkers_required=policy)
    # Another organisation requiring it, and a colleague with a factor: neither may count.
    SecondFactorPolicy.objects.create(org=make_org(), caseworkers_required=True)
    _give(make_user("caseworker", org), "both")
    user = make_user(role, org)
    _give(user, factors)

    expected = _expected_from_the_table(role, policy, factors)
    assert second_factor_step(user) == _python_step(user) == expected
    for session_state in SESSIONS:
        sent_to = _where_the_page_sends(_client(user, session_state))
        wanted = None if session_state == "passed" else expected
        assert sent_to == wanted, (role, policy, factors, session_state)
