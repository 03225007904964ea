"""Accepting a transfer writes the sender's chain and the receiver's: both heads are taken
first, in one order (ADR 35), so two transfers accepted across each other at once never
deadlock (a 500). Threaded, on PostgreSQL."""

import pytest

from harbour.audit.models import AuditEvent
from harbour.audit.tests.crossing import cross, skip_unless_postgresql
from harbour.cases import actions as case_actions
from harbour.cases.models import Case
from harbour.sharing import actions


def _transfer(by, case, to):
    actions.record_consent(
        by=by,
        survivor=case.survivor,
        recipient_kind="organisation",
        recipient_org=to,
        categories=["identity_contact", "needs"],
        purposes=["continuity_of_care"],
        method="written",
    )
    return actions.send_referral(
        by=by, case=case, receiving_org=to, kind="transfer", values={"referral_date": "2026-11-03"}
    )


@pytest.mark.django_db(transaction=True)
def test_transfers_accepted_across_two_organisations_at_once_do_not_deadlock(
    monkeypatch, make_case, make_user, caseworker, outsider, org, other_org, org_admin
):
    """B accepts A's transfer while A accepts B's: each writes the sender's chain (the answer),
    then the receiver's (the new survivor). Both are held up before the new survivor's event;
    written in turn, each held the other's chain and waited for its own."""
    skip_unless_postgresql()
    ours = make_case(caseworker, survivor={"given_name": "Noor"})
    theirs = make_case(outsider, survivor={"given_name": "Amal"})
    agreement = actions.propose_agreement(
        by=org_admin,
        title="Transfers",
        partners=[other_org],
        categories=["identity_contact", "needs"],
        purposes=["continuity_of_care"],
        valid_from=ours.intake_date,
    )
    actions.accept_agreement(by=make_user("org_admin", other_org), agreement=agreement)
    to_b, to_a = _transfer(caseworker, ours, other_org), _transfer(outsider, theirs, org)

    results, errors = cross(
        monkeypatch,
        case_actions,
        hold=lambda event: event["action"] == "survivor.created",
        calls={
            "b": (outsider, lambda: actions.accept_referral(by=outsider, referral=to_b).status),
            "a": (caseworker, lambda: actions.accept_referral(by=caseworker, referral=to_a).status),
        },
    )
    assert errors == []
    assert results == {"a": "accepted", "b": "accepted"}
    assert {c.status for c in Case.objects.filter(pk__in=[ours.pk, theirs.pk])} == {
        "closed_referred"
    }
    new = Case.objects.exclude(pk__in=[ours.pk, theirs.pk])
    assert sorted(str(c.org_id) for c in new) == sorted([str(org.pk), str(other_org.pk)])
    assert AuditEvent.objects.filter(action="referral.accept").count() == 2
