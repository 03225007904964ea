"""Under PostgreSQL row-level security (ADR 40): the funding map and the referral figures read
across organisations on purpose, and only there."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from harbour.core import tenancy
from harbour.core.testing import application_role
from harbour.grants import actions, queries
from harbour.grants.models import Award
from harbour.grants.tests.conftest import SYSTEM
from harbour.sharing import actions as sharing

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row-level security"),
]


def _referral(case: Any, caseworker: Any, org_admin: Any, partner: Any, make_user: Any) -> None:
    consent = sharing.record_consent(
        by=caseworker,
        survivor=case.survivor,
        recipient_kind="organisation",
        recipient_org=partner,
        categories=["identity_contact", "case_summary"],
        purposes=["referral"],
        method="verbal",
    )
    agreement = sharing.propose_agreement(
        by=org_admin,
        title="A-B",
        partners=[partner],
        categories=["identity_contact", "case_summary"],
        purposes=["referral"],
        valid_from=consent.starts_on,
    )
    sharing.accept_agreement(by=make_user("org_admin", partner), agreement=agreement)
    sharing.send_referral(
        by=caseworker,
        case=case,
        receiving_org=partner,
        values={"referral_date": consent.starts_on, "reason": "other"},
    )


def test_a_third_organisation_sees_the_public_figures(
    case: Any,
    caseworker: Any,
    org_admin: Any,
    make_org: Callable[..., Any],
    make_user: Callable[..., Any],
    program: Any,
) -> None:
    partner = make_org(province="CA-QC")
    _referral(case, caseworker, org_admin, partner, make_user)
    actions.save_award(
        by=SYSTEM,
        org=partner,
        program=program,
        values_in={
            "amount": 5000,
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "province": "CA-QC",
            "purpose_en": "Beds",
        },
    )
    viewer = make_user("caseworker", make_org(province="CA-NS"))
    with application_role():
        tenancy.for_user(viewer)
        try:
            assert queries.referral_records([partner.pk])[partner.pk].received == 1
            assert [(e.source, e.target) for e in queries.network_edges()] == [
                (case.org_id, partner.pk)
            ]
            assert queries.funding(Award.objects.all()).by_province["CA-QC"] == 5000
            # The referral itself stays out of reach outside the widened reads.
            from harbour.sharing.models import Referral

            assert not Referral.objects.exists()
        finally:
            tenancy.reset()
