"""Fixtures for grants: a national coordinator, a funder and a program, built through actions."""

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from harbour.audit.actions import SystemActor
from harbour.grants import actions
from harbour.grants.models import Funder, Program

SYSTEM = SystemActor("tests")
TODAY = dt.date(2027, 3, 1)

PROGRAM = {
    "code": "safe-futures",
    "name_en": "Safe Futures Fund",
    "name_fr": "Fonds Avenirs sûrs",
    "description_en": "Housing and outreach for survivors.",
    "description_fr": "Logement et approche de proximité pour les personnes survivantes.",
    "pillars": ["protection"],
    "populations": ["youth"],
    "provinces": ["CA-ON", "CA-MB"],
    "org_types": ["ngo", "shelter"],
    "amount_min": 10000,
    "amount_max": 150000,
    "term_years": 2,
    "opens_on": "2027-01-15",
    "deadline": "2027-04-30",
    "recurrence": "annual",
    "url": "https://example.org/safe-futures",
}


@pytest.fixture
def national(make_org: Callable[..., Any]) -> Any:
    return make_org(type="national_coordinating_body", province="CA-ON")


@pytest.fixture
def analyst(make_user: Callable[..., Any], national: Any) -> Any:
    return make_user("national_analyst", national)


@pytest.fixture
def funder(db: Any) -> Funder:
    return actions.save_funder(
        by=SYSTEM,
        values_in={
            "short_name": "wage-fund",
            "name_en": "Women and Gender Equality Fund",
            "name_fr": "Fonds Femmes et Égalité des genres",
            "kind": "federal",
        },
    )


@pytest.fixture
def make_program(funder: Funder) -> Callable[..., Program]:
    def make(**values: Any) -> Program:
        return actions.save_program(by=SYSTEM, funder=funder, values_in=PROGRAM | values)

    return make


@pytest.fixture
def program(make_program: Callable[..., Program]) -> Program:
    return make_program()
