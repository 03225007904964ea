"""Refused reads of another organisation's records are seen, and a sweep is a few legible events.

ADR 8: the 1st, 10th, 100th... refusal of a day by one person at one organisation is written to
both organisations' chains; the owner's names the record, the viewer's does not.
"""

import re
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harbour.audit.actions import _worth_an_event
from harbour.audit.models import AuditEvent, RefusalTally
from harbour.audit.queries import verify

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, True), (2, False), (9, False), (10, True), (11, False), (20, False), (100, True),
     (1000, True), (1001, False), (10_000, True)],
)  # fmt: skip
def test_which_refusals_of_the_day_are_written(count: int, expected: bool) -> None:
    assert _worth_an_event(count) is expected


@given(st.integers(min_value=1, max_value=3000))
def test_a_sweep_of_n_refusals_writes_one_event_per_power_of_ten(n: int) -> None:
    written = sum(_worth_an_event(k) for k in range(1, n + 1))
    assert written == len(str(n))  # 1, 10, 100, 1000: one per digit of n


def _page(response) -> str:
    return re.sub(r'(nonce|value)="[^"]*"', "", response.content.decode())


def _refused_events(org_id: uuid.UUID) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action="access.refused_reads", org_id=org_id).order_by("seq")
    )


def test_a_sweep_over_another_organisations_cases_is_counted_and_audited_in_both_chains(
    case, outsider, client_for, api_for
) -> None:
    web, api = client_for(outsider), api_for(outsider)
    unknown = uuid.uuid4()
    missing = web.get(f"/cases/{unknown}/")
    for _ in range(12):
        web_answer = web.get(f"/cases/{case.pk}/")
        assert web_answer.status_code == 404
        # A refusal never says the record exists: the page is the unknown id's, but for tokens.
        assert _page(web_answer) == _page(missing)
        assert api.get(f"/api/v1/cases/{case.pk}").status_code == 404

    tally = RefusalTally.objects.get()
    assert (tally.actor_id, tally.owner_org_id, tally.count) == (outsider.pk, case.org_id, 24)
    owner_events = _refused_events(case.org_id)
    assert [e.context["count"] for e in owner_events] == [1, 10]
    assert all(e.target_id == str(case.pk) and e.outcome == "refused" for e in owner_events)
    assert all(e.context["viewer_org"] == str(outsider.org_id) for e in owner_events)
    viewer_events = _refused_events(outsider.org_id)
    assert [e.context["count"] for e in viewer_events] == [1, 10]
    assert all(e.target_id == "" for e in viewer_events)  # the viewer's chain holds no foreign id
    assert all(e.context["owner_org"] == str(case.org_id) for e in viewer_events)
    assert verify()[1] == []


def test_survivors_referrals_and_shared_cases_count_too(case, outsider, api_for) -> None:
    api = api_for(outsider)
    assert api.get(f"/api/v1/survivors/{case.survivor_id}").status_code == 404
    assert api.get(f"/api/v1/shared/cases/{case.pk}").status_code == 404
    assert RefusalTally.objects.get().count == 2
    types = {e.target_type for e in _refused_events(case.org_id)}
    assert types == {"survivor"}  # only the first of the day is written


def test_ids_that_exist_nowhere_and_refusals_inside_ones_own_organisation_are_not_counted(
    case, make_user, client_for
) -> None:
    auditor = make_user("auditor", case.org)  # may not open cases, but it is their own organisation
    assert client_for(auditor).get(f"/cases/{case.pk}/").status_code == 404
    assert client_for(auditor).get(f"/cases/{uuid.uuid4()}/").status_code == 404
    assert not RefusalTally.objects.exists()
    assert not AuditEvent.objects.filter(action="access.refused_reads").exists()
