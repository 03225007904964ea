"""An organisation bound by a statistics agreement with cases, a second one not bound, two
national analysts (publishing takes two people) and a researcher."""

import datetime as dt
from typing import Any

import pytest

from harbour.sharing import actions as sharing
from harbour.stats import actions


@pytest.fixture
def national(make_org: Any) -> Any:
    return make_org(type="national_coordinating_body", province="CA-ON")


@pytest.fixture
def analyst(make_user: Any, national: Any) -> Any:
    return make_user("national_analyst", national)


@pytest.fixture
def reviewer(make_user: Any, national: Any) -> Any:
    return make_user("national_analyst", national)


@pytest.fixture
def researcher(make_user: Any, national: Any) -> Any:
    return make_user("researcher", national)


@pytest.fixture
def statistics_agreement(make_user: Any, national: Any, org: Any, org_admin: Any) -> Any:
    agreement = sharing.create_national_protocol(
        by=make_user("org_admin", national),
        title="Statistics",
        categories=["case_summary"],
        purposes=["statistics"],
        valid_from=dt.date(2020, 1, 1),
    )
    sharing.adopt_national_protocol(by=org_admin, agreement=agreement)
    return agreement


def intake(make_case: Any, worker: Any, n: int, **case: Any) -> list[Any]:
    made = []
    for i in range(n):
        survivor = {"given_name": f"P{i}", "estimated_age": 20 + i % 30, "birth_date": None}
        made.append(make_case(worker, survivor=survivor, case=case))
    return made


@pytest.fixture
def counted_cases(make_case: Any, caseworker: Any, statistics_agreement: Any) -> list[Any]:
    """25 persons in Ontario (sexual exploitation), 3 in Manitoba (forced labour)."""
    return intake(make_case, caseworker, 25) + intake(
        make_case,
        caseworker,
        3,
        intake_province="CA-MB",
        exploitation_types=["forced_labour"],
    )


@pytest.fixture
def budget(db: Any) -> Any:
    from harbour.audit.actions import SystemActor

    return actions.set_budget(by=SystemActor("tests"), epsilon_total="2")
