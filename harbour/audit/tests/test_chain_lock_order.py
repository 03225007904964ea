"""Transactions that append to two organisations' chains take both heads first, in one order
(ADR 35): two crossing each other never deadlock (a 500). Threaded, on PostgreSQL."""

import pytest

from harbour.audit import actions as audit_actions
from harbour.audit.models import AuditEvent
from harbour.audit.tests.crossing import cross, skip_unless_postgresql
from harbour.cases.models import Case
from harbour.core.errors import NotFound


@pytest.mark.django_db(transaction=True)
def test_refusals_crossing_two_organisations_at_once_do_not_deadlock(
    monkeypatch, make_case, caseworker, outsider
):
    """A's caseworker is refused B's case while B's is refused A's: each refusal writes the
    owner's chain, then the viewer's. Both are held up before the viewer's event; written in
    turn, each held the other's chain and waited for its own."""
    skip_unless_postgresql()
    ours, theirs = make_case(caseworker), make_case(outsider)

    def refused(user, case):
        def call():
            try:
                audit_actions.refuse_read(by=user, model=Case, record_id=case.pk)
            except NotFound:
                return "refused"
            return "read"

        return call

    results, errors = cross(
        monkeypatch,
        audit_actions,
        hold=lambda event: event["org_id"] == event["by"].org_id,  # the viewer's, second
        calls={
            "a": (caseworker, refused(caseworker, theirs)),
            "b": (outsider, refused(outsider, ours)),
        },
    )
    assert errors == []
    assert results == {"a": "refused", "b": "refused"}
    events = AuditEvent.objects.filter(action="access.refused_reads")
    assert sorted((str(e.chain), str(e.actor_org_id)) for e in events) == sorted(
        (str(chain), str(user.org_id))
        for user in (caseworker, outsider)
        for chain in (ours.org_id, theirs.org_id)
    )
