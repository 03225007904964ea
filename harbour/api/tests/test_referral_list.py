"""GET /api/v1/referrals: its cost does not grow with the referrals received (issue 9's load run
found it the slowest request: it opened, decrypted and audited each received referral's shared
record). The shared record is opened one referral at a time. The list is paginated like /cases
(issue 12: it was cut at 200 rows, so an organisation with more lost the rest)."""

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
        response.json()["results"],
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


def _read_pages(api, box, page_size):
    """Every page of a box, following next_page; with the queries each page cost."""
    rows, costs, page = [], [], 1
    while page is not None:
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"/api/v1/referrals?box={box}&page={page}&page_size={page_size}")
        assert response.status_code == 200
        body = response.json()
        assert body["page"] == page and body["page_size"] == page_size
        rows += body["results"]
        costs.append(len(queries))
        page = body["next_page"]
    return body["count"], rows, costs


def test_every_referral_is_reachable_page_by_page_in_both_boxes(
    caseworker, make_case, partner, agreement, make_user, api_for
):
    sent = {str(_refer(caseworker, make_case(caseworker), partner).pk) for _ in range(7)}
    for box, reader in (("received", make_user("caseworker", partner)), ("sent", caseworker)):
        api = api_for(reader)
        api.get("/api/v1/referrals")  # the token's first use is recorded once, not per page
        count, rows, costs = _read_pages(api, box, page_size=3)
        assert count == 7
        assert {row["id"] for row in rows} == sent and len(rows) == 7, "a row lost or repeated"
        assert costs[0] == costs[1], f"{costs}: a page's queries grow with its rows"
        assert costs[2] <= costs[0]
        times = [row["sent_at"] for row in rows]
        assert times == sorted(times, reverse=True), "newest first across pages"


def test_the_page_size_is_bounded_and_the_default_is_50(caseworker, api_for):
    api = api_for(caseworker)
    body = api.get("/api/v1/referrals?box=sent").json()
    assert body == {"count": 0, "page": 1, "page_size": 50, "next_page": None, "results": []}
    assert api.get("/api/v1/referrals?page_size=201").status_code == 422
    assert api.get("/api/v1/referrals?page_size=0").status_code == 422
    assert api.get("/api/v1/referrals?page=0").status_code == 422
    assert api.get("/api/v1/referrals?box=elsewhere").status_code == 404
