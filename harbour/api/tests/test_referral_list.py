"""GET /api/v1/referrals: its cost does not grow with the referrals received (issue 9's load run
found it the slowest request: it opened, decrypted and audited each received referral's shared
record). The shared record is opened one referral at a time."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from harbour.audit.models import AuditEvent
from harbour.sharing import actions

pytestmark = pytest.mark.django_db


def _refer(caseworker, case, partner):
    actions.record_consent(
        by=caseworker,
        survivor=case.survivor,
        recipient_kind="organisation",
        recipient_org=partner,
        categories=["identity_contact", "needs"],
        purposes=["referral"],
        method="verbal",
    )
    return actions.send_referral(
        by=caseworker,
        case=case,
        receiving_org=partner,
        values={"referral_date": case.intake_date, "reason": "other"},
    )


@pytest.fixture
def partner(make_org):
    return make_org(province="CA-NS", type="shelter")


@pytest.fixture
def agreement(org_admin, make_user, partner, case):
    proposed = actions.propose_agreement(
        by=org_admin,
        title="Protocol",
        partners=[partner],
        categories=["identity_contact", "needs", "case_summary"],
        purposes=["referral", "continuity_of_care"],
        valid_from=case.intake_date,
    )
    actions.accept_agreement(by=make_user("org_admin", partner), agreement=proposed)
    return proposed


def _read_list(api):
    """The received list: its rows, its queries and the disclosures it audited (measured on a
    second read: the first one also records the token's use)."""
    api.get("/api/v1/referrals")
    viewed = AuditEvent.objects.filter(action="sharing.case_viewed").count()
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/referrals")
    assert response.status_code == 200
    return (
        response.json(),
        len(queries),
        AuditEvent.objects.filter(action="sharing.case_viewed").count() - viewed,
    )


def test_the_received_list_costs_the_same_for_3_and_30_referrals(
    caseworker, make_case, partner, agreement, make_user, api_for
):
    api = api_for(make_user("caseworker", partner))
    cases = [make_case(caseworker) for _ in range(30)]
    for case in cases[:3]:
        _refer(caseworker, case, partner)
    rows, few, audited = _read_list(api)
    assert len(rows) == 3
    assert audited == 0
    for case in cases[3:]:
        _refer(caseworker, case, partner)
    rows, many, audited = _read_list(api)
    assert len(rows) == 30
    assert audited == 0
    assert many == few, f"{few} queries for 3 referrals, {many} for 30: one or more per row"
    assert all(row["shared"] is None for row in rows)


def test_one_referral_still_opens_its_shared_record(
    caseworker, case, partner, agreement, make_user, api_for
):
    referral = _refer(caseworker, case, partner)
    api = api_for(make_user("caseworker", partner))
    viewed = AuditEvent.objects.filter(action="sharing.case_viewed").count()
    body = api.get(f"/api/v1/referrals/{referral.pk}").json()
    assert body["shared"] is not None
    assert set(body["shared"]["categories"]) == {"identity_contact", "needs"}
    assert AuditEvent.objects.filter(action="sharing.case_viewed").count() == viewed + 1
