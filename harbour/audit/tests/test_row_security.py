"""The audit trail under PostgreSQL row-level security (ADR 40, amended 2026-12-06).

An organisation's connection reads its own chain and what its own people did in other chains;
nothing with no organisation set; the platform chain only for the scope `all`. The app's own
writes into another organisation's chain (a referral's answer, a refusal, a linkage hint) still
work as the application role, and verification still reads every chain. Run as an ordinary
role: superusers bypass row-level security.
"""

import io

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from harbour.audit.actions import SYSTEM_CHAIN, SystemActor, record_event
from harbour.audit.models import AuditEvent, ChainHead, Checkpoint, RefusalTally
from harbour.audit.queries import events_for_org
from harbour.core import tenancy
from harbour.core.testing import application_role, raw_count, set_scope
from harbour.sharing import actions as sharing
from harbour.sharing.models import Referral

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row-level security is PostgreSQL's"
    ),
]

AUDIT_TABLES = {"audit_auditevent", "audit_chainhead", "audit_checkpoint", "audit_refusaltally"}


def _raw_chains(table: str = "audit_auditevent") -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT chain FROM {table}")  # noqa: S608
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def three_chains(caseworker, outsider) -> tuple[str, str]:
    """An event in each organisation's chain and one in the platform chain."""
    with transaction.atomic():
        record_event(by=caseworker, action="test.mine", org_id=caseworker.org_id)
        record_event(by=outsider, action="test.theirs", org_id=outsider.org_id)
        record_event(by=SystemActor("test"), action="test.platform")
        call_command("audit_checkpoint", stdout=io.StringIO())  # a checkpoint of every chain
    return str(caseworker.org_id), str(outsider.org_id)


def test_the_audit_tables_are_under_a_forced_policy() -> None:
    assert set(tenancy.secured_tables()) >= AUDIT_TABLES
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relrowsecurity AND relforcerowsecurity"
            " AND relname = ANY(%s)",
            [sorted(AUDIT_TABLES)],
        )
        assert {row[0] for row in cursor.fetchall()} == AUDIT_TABLES
        cursor.execute(
            "SELECT tablename FROM pg_policies WHERE policyname = %s AND tablename = ANY(%s)",
            [tenancy.POLICY, sorted(AUDIT_TABLES)],
        )
        assert {row[0] for row in cursor.fetchall()} == AUDIT_TABLES


def test_a_raw_query_without_an_organisation_set_returns_no_audit_row(three_chains) -> None:
    mine, theirs = three_chains
    assert {mine, theirs, SYSTEM_CHAIN} <= _raw_chains()  # the events are there
    with application_role():
        set_scope("", "")
        for table in sorted(AUDIT_TABLES):
            assert raw_count(table) == 0, table


def test_an_organisation_reads_its_chain_and_no_other(three_chains) -> None:
    mine, theirs = three_chains
    with application_role():
        set_scope(mine, "org")
        assert _raw_chains() == {mine}
        assert _raw_chains("audit_chainhead") == {mine}
        assert raw_count("audit_checkpoint") == 0  # the checkpoint of every chain is not its
        set_scope(theirs, "org")
        assert _raw_chains() == {theirs}
        set_scope("", tenancy.ALL)
        assert {mine, theirs, SYSTEM_CHAIN} <= _raw_chains()


def test_writing_into_another_organisations_chain_directly_is_refused(three_chains) -> None:
    mine, theirs = three_chains
    with application_role():
        set_scope(mine, "org")
        forged = AuditEvent(
            chain=theirs, seq=99, occurred_at=timezone.now(), action="test.forged", hash="x"
        )
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            forged.save(force_insert=True)
        # Nothing of theirs to move or remove: no row of theirs is visible to UPDATE or DELETE.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE audit_chainhead SET seq = 0 WHERE chain = %s", [theirs])
            assert cursor.rowcount == 0
            cursor.execute("DELETE FROM audit_auditevent WHERE chain = %s", [theirs])
            assert cursor.rowcount == 0


def test_an_event_for_another_organisation_is_appended_as_that_organisation(
    three_chains, caseworker, outsider
) -> None:
    """A linkage hint's shape: asked at A, written by the system into B's chain."""
    mine, theirs = three_chains
    before = ChainHead.objects.get(chain=theirs).seq
    with application_role():
        set_scope(mine, "org")
        with transaction.atomic():
            event = record_event(
                by=SystemActor("linkage-hint"),
                action="linkage.hint_about",
                org_id=outsider.org_id,
                target_type="survivor",
                target_id="s-1",
            )
        assert event.chain == theirs and event.seq == before + 1
        assert _raw_chains() == {mine}  # A's scope is back, and A still does not see it
        set_scope(theirs, "org")
        assert ChainHead.objects.get(chain=theirs).seq == event.seq
        assert AuditEvent.objects.filter(chain=theirs, action="linkage.hint_about").exists()


def test_a_referral_answered_by_the_receiver_goes_into_the_senders_chain(
    case, caseworker, org_admin, make_user, outsider, client_for
) -> None:
    receiver_admin = make_user("org_admin", outsider.org)
    agreement = sharing.propose_agreement(
        by=org_admin,
        title="Protocol",
        partners=[outsider.org],
        categories=["identity_contact", "needs"],
        purposes=["referral"],
        valid_from=case.intake_date,
    )
    sharing.accept_agreement(by=receiver_admin, agreement=agreement)
    sharing.record_consent(
        by=caseworker,
        survivor=case.survivor,
        recipient_kind="organisation",
        recipient_org=outsider.org,
        categories=["identity_contact", "needs"],
        purposes=["referral"],
        method="verbal",
    )
    with application_role():
        tenancy.reset()
        sender = client_for(caseworker)
        sent = sender.post(
            f"/sharing/cases/{case.pk}/refer/",
            {
                "receiving_org": str(outsider.org_id),
                "kind": "referral",
                "confirm": "1",
                "referral__referral_date": case.intake_date.isoformat(),
                "referral__reason": "other",
            },
        )
        assert sent.status_code == 302
        referral = Referral.objects.get(case=case)
        answered = client_for(outsider).post(f"/sharing/referrals/{referral.pk}/accept/")
        assert answered.status_code == 302
        referral.refresh_from_db()
        assert referral.status == "accepted"
        accepted = AuditEvent.objects.get(action="referral.accept")
        assert accepted.chain == str(caseworker.org_id)
        assert accepted.actor_org_id == outsider.org_id
        # Each side's trail page shows it (the sender's chain; the receiver's own person's act).
        set_scope(outsider.org_id, "org")
        assert accepted in events_for_org(outsider.org_id)
        assert not AuditEvent.objects.filter(action="referral.sent").exists()
        set_scope(caseworker.org_id, "org")
        assert {"referral.sent", "referral.accept"} <= set(
            events_for_org(caseworker.org_id).values_list("action", flat=True)
        )
        set_scope("", tenancy.ALL)
        out = io.StringIO()
        call_command("audit_verify", stdout=out)
        assert "audit trail intact" in out.getvalue()


def test_a_refused_read_is_written_in_both_chains_as_the_application_role(
    make_case, caseworker, outsider, client_for
) -> None:
    theirs = make_case(outsider)
    with application_role():
        tenancy.reset()
        assert client_for(caseworker).get(f"/cases/{theirs.pk}/").status_code == 404
        refused = AuditEvent.objects.filter(action="access.refused_reads")
        assert set(refused.values_list("chain", flat=True)) == {
            str(caseworker.org_id),
            str(outsider.org_id),
        }
        assert RefusalTally.objects.get().actor_org_id == caseworker.org_id


def test_an_organisation_signs_and_checks_its_own_checkpoint_as_the_application_role(
    three_chains, org_admin, client_for
) -> None:
    mine, _theirs = three_chains
    with application_role():
        tenancy.reset()
        web = client_for(org_admin)
        signed = web.post("/audit/checkpoints/sign/")
        assert signed.status_code == 200
        assert list(Checkpoint.objects.filter(scope=mine).values_list("scope", flat=True)) == [mine]
        checked = web.post("/audit/checkpoints/", {"text": signed.content.decode()})
        assert checked.status_code == 200
        set_scope("", "")
        assert ChainHead.objects.count() == 0
