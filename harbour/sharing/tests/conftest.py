"""Organisation A (the conftest's org, caseworker and case), a partner B and their agreement."""

import pytest

from harbour.sharing import actions


@pytest.fixture
def partner(make_org):
    return make_org(province="CA-NS", type="shelter")


@pytest.fixture
def partner_worker(make_user, partner):
    return make_user("caseworker", partner)


@pytest.fixture
def agreement(org_admin, make_user, partner, case):
    proposed = actions.propose_agreement(
        by=org_admin,
        title="Protocol",
        partners=[partner],
        categories=["identity_contact", "needs", "case_summary", "services_history"],
        purposes=["referral", "continuity_of_care"],
        valid_from=case.intake_date,
    )
    actions.accept_agreement(by=make_user("org_admin", partner), agreement=proposed)
    return proposed
