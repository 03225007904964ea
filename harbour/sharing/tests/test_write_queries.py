"""The load run's writes (issue #9): an intake, a consent and a referral, their queries pinned.
Each is run as a request runs it, scoped to its user's organisation (ADR 40), so on PostgreSQL
the audit append finds the chain in scope and locks it with the scope read in one statement.
Counted inside the action, from its transaction's start to its commit: what the API adds
(authentication, its scope) is another pin's. A write that asks for more fails here."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection

from harbour.audit.models import AuditEvent
from harbour.cases import actions as case_actions
from harbour.core import tenancy
from harbour.sharing import actions
from harbour.sharing.tests.test_actions import consent_to

# Before issue #9's work on writes: intake 31 (PostgreSQL) and 28 (SQLite), consent 9 and 8,
# referral 13 and 12 (its e-mails, sent after the commit, are not counted: the test's
# transaction never commits).
INTAKE_QUERIES = {"sqlite": 17, "postgresql": 18}
CONSENT_QUERIES = {"sqlite": 7, "postgresql": 7}
REFERRAL_QUERIES = {"sqlite": 12, "postgresql": 12}


@contextmanager
def as_request(user: Any) -> Iterator[None]:
    tenancy.for_user(user)
    try:
        yield
    finally:
        tenancy.reset()


def _intake(caseworker: Any, n: int = 0) -> Any:
    case, created = case_actions.start_intake(
        by=caseworker,
        survivor_values={
            "given_name": "Maria",
            "family_name": f"Load{n}",
            "birth_date": "1990-03-15",
        },
        case_values={
            "intake_date": "2026-01-05",
            "intake_province": "CA-ON",
            "consent_to_record": True,
            "current_needs": ["safe_housing"],
        },
        submission_key=f"key-{n}",
    )
    assert created
    return case


@pytest.fixture
def counted(django_assert_max_num_queries: Callable[..., Any]) -> Callable[[dict], Any]:
    return lambda pins: django_assert_max_num_queries(pins[connection.vendor])


def test_an_intake_s_queries_are_pinned(caseworker, counted) -> None:
    _intake(caseworker, 1)  # the chain head and the organisation's keys exist from here
    with as_request(caseworker), counted(INTAKE_QUERIES):
        case = _intake(caseworker, 2)
    events = AuditEvent.objects.filter(target_id__in=[str(case.pk), str(case.survivor_id)])
    assert sorted(events.values_list("action", flat=True)) == ["case.created", "survivor.created"]


def test_a_consent_s_queries_are_pinned(caseworker, case, partner, counted) -> None:
    with as_request(caseworker), counted(CONSENT_QUERIES):
        consent = consent_to(caseworker, case, partner)
    assert consent.issued_code and consent.receipt_digest
    assert AuditEvent.objects.filter(action="consent.recorded", target_id=str(consent.pk)).exists()


def test_a_referral_s_queries_are_pinned(
    caseworker, case, partner, partner_worker, agreement, counted
) -> None:
    consent_to(caseworker, case, partner)
    with as_request(caseworker), counted(REFERRAL_QUERIES):
        referral = actions.send_referral(
            by=caseworker, case=case, receiving_org=partner, values={"referral_date": "2026-01-06"}
        )
    assert AuditEvent.objects.filter(action="referral.sent", target_id=str(referral.pk)).exists()
