"""The load run's API reads (issue 9): GET /cases (a page of 50), /cases/{id} and /referrals.

The case list's rows are read from one values_list query (api/routers/cases.py, _case_rows), not
through Case instances and read_values: each row must be what `_case_out(case)` makes of that case
(same keys in the same order, same values once written as JSON). And each request's queries are
pinned: a fixed number whatever the rows, the domain tables read in as many statements as
below, the referral list without the joins it made for nothing (its cases' every column)."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from ninja.responses import NinjaJSONEncoder

from harbour.api.routers.cases import _case_out
from harbour.cases.models import Case, CaseStatus
from harbour.sharing import actions
from harbour.sharing.tests.test_actions import consent_to, refer

pytestmark = pytest.mark.django_db


def _as_json(value):
    return json.loads(json.dumps(value, cls=NinjaJSONEncoder))


def _queries(api, url):
    """The statements of a second request (the first also records the token's use)."""
    api.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url)
    assert response.status_code == 200, response.content
    return response, [q["sql"] for q in queries]


def _reading(statements, table):
    return [s for s in statements if f'"{table}"' in s]


def test_case_list_rows_are_case_out(caseworker, make_case, make_org, api_for) -> None:
    referrer = make_org()
    make_case(
        caseworker,
        case={
            "exploitation_types": ["forced_criminality", "sexual_exploitation"],
            "recruitment_methods": [],
            "referred_by_org": referrer.pk,
            "incoming_referral_date": dt.date(2026, 1, 2),
            "age_when_trafficked": 17,
            "consent_to_record": True,
        },
    )
    make_case(caseworker, case={"exploitation_types": []})
    closed = make_case(caseworker)
    Case.objects.filter(pk=closed.pk).update(
        status=CaseStatus.CLOSED, owner=None, closed_at=timezone.now(), closure_reason="other"
    )
    response = api_for(caseworker).get("/api/v1/cases?page_size=200")
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 3
    for row in results:
        case = Case.objects.select_related("survivor").get(pk=row["id"])
        expected = _as_json(_case_out(case))
        assert row == expected
        assert list(row) == list(expected)  # the same keys in the same order
    # the row written as the renderer writes _case_out's dict: byte for byte
    body = response.content.decode()
    for case in Case.objects.select_related("survivor").filter(org_id=caseworker.org_id):
        assert json.dumps(_case_out(case), cls=NinjaJSONEncoder) in body


def test_case_list_queries_do_not_grow_with_the_page(caseworker, make_case, api_for) -> None:
    api = api_for(caseworker)
    make_case(caseworker)
    _r, few = _queries(api, "/api/v1/cases?page_size=50")
    for _ in range(6):
        make_case(caseworker)
    response, many = _queries(api, "/api/v1/cases?page_size=50")
    assert response.json()["count"] == 7
    assert len(many) == len(few)
    cases = _reading(many, "cases_case")
    assert len(cases) == 2  # the count and the page
    assert "cases_survivor" not in cases[0]  # counted without the row's join
    assert not _reading(many, "accounts_user")[1:]  # only the token's own look-up, if any


def test_one_case_queries(caseworker, case, api_for) -> None:
    _r, statements = _queries(api_for(caseworker), f"/api/v1/cases/{case.pk}")
    assert len(_reading(statements, "cases_case")) == 1


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


def _refer(caseworker, case, partner):
    consent_to(caseworker, case, partner)
    return refer(caseworker, case, partner)


def test_referral_list_queries(caseworker, make_case, partner, agreement, api_for) -> None:
    api = api_for(caseworker)
    _refer(caseworker, make_case(caseworker), partner)
    _r, few = _queries(api, "/api/v1/referrals?box=sent")
    for _ in range(4):
        _refer(caseworker, make_case(caseworker), partner)
    response, many = _queries(api, "/api/v1/referrals?box=sent")
    assert response.json()["count"] == 5
    assert len(many) == len(few)
    referrals = _reading(many, "sharing_referral")
    assert len(referrals) == 2  # the count and the page
    for statement in referrals:  # no join: a row needs none of the case's or orgs' columns
        assert "JOIN" not in statement
        assert '"sharing_referral"."sealed"' not in statement


def test_referral_list_rows_are_referral_out(
    caseworker, make_case, make_user, partner, agreement, api_for
) -> None:
    """The rows, read as named tuples, are what _referral_out makes of each Referral: overdue,
    expired, answered, sent and received."""
    from harbour.api.routers.sharing import _referral_out
    from harbour.sharing.models import Referral

    receiver = make_user("caseworker", partner)
    sent = [_refer(caseworker, make_case(caseworker), partner) for _ in range(4)]
    actions.accept_referral(by=receiver, referral=sent[0])
    now = timezone.now()
    Referral.objects.filter(pk=sent[1].pk).update(created_at=now - dt.timedelta(days=10))
    Referral.objects.filter(pk=sent[2].pk).update(created_at=now - dt.timedelta(days=40))
    seen = {"overdue": 0, "expired": 0, "responded_at": 0}
    for user, box in ((caseworker, "sent"), (receiver, "received")):
        response = api_for(user).get(f"/api/v1/referrals?box={box}")
        assert response.status_code == 200
        results = response.json()["results"]
        assert len(results) == 4
        for row in results:
            referral = Referral.objects.get(pk=row["id"])
            expected = _as_json(_referral_out(referral, user, open_shared=False))
            assert row == expected  # (the order of the keys is ReferralOut's)
            seen = {k: n + bool(row[k]) for k, n in seen.items()}
    assert seen == {"overdue": 2, "expired": 2, "responded_at": 2}  # sent, received
