"""The trail in the database: append-only, same transaction as the action, verifiable."""

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from harbour.audit.actions import NotInTransaction, SystemActor, record_event
from harbour.audit.models import AuditEvent
from harbour.audit.queries import verify
from harbour.cases import actions as case_actions
from harbour.cases.models import Case, Survivor

pytestmark = pytest.mark.django_db
ACTOR = SystemActor("tests")


def _events(n: int) -> None:
    with transaction.atomic():
        for i in range(n):
            record_event(by=ACTOR, action="test.event", target_type="t", target_id=i)


@pytest.mark.django_db(transaction=True)
def test_record_event_refuses_to_run_outside_a_transaction() -> None:
    with pytest.raises(NotInTransaction):
        record_event(by=ACTOR, action="test.event")


def test_events_are_append_only_through_the_orm() -> None:
    _events(1)
    event = AuditEvent.objects.get()
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(action="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


def test_context_refuses_free_text() -> None:
    with transaction.atomic(), pytest.raises(ValueError):
        record_event(by=ACTOR, action="test.event", context={"note": "Élodie Tremblay called"})


def _raw(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_verify_detects_a_row_edited_by_hand() -> None:
    _events(4)
    assert verify() == (4, [])
    second = AuditEvent.objects.order_by("id")[1]
    _raw("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["case.deleted", second.id])
    checked, problems = verify()
    assert checked == 4 and [(p.seq, p.kind) for p in problems] == [(2, "altered")]


def test_verify_detects_a_removed_row_and_a_removed_tail() -> None:
    _events(4)
    ids = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [ids[1]])
    assert {p.kind for p in verify()[1]} >= {"gap", "broken_link"}
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [ids[3]])
    assert "head_mismatch" in {p.kind for p in verify()[1]}


def test_verify_detects_reordered_rows() -> None:
    _events(3)
    a, b = AuditEvent.objects.order_by("id")[:2]
    _raw("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [99, a.id])
    _raw("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [1, b.id])
    _raw("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [2, a.id])
    assert verify()[1]


def test_the_command_fails_loudly_on_tampering(capsys: pytest.CaptureFixture[str]) -> None:
    _events(2)
    call_command("audit_verify")
    assert "intact" in capsys.readouterr().out
    first = AuditEvent.objects.order_by("id").first()
    assert first is not None
    _raw("UPDATE audit_auditevent SET fields = %s WHERE id = %s", ['["password"]', first.id])
    with pytest.raises(CommandError, match="NOT intact"):
        call_command("audit_verify")


def test_an_action_fails_when_its_audit_event_cannot_be_written(
    caseworker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Invariant 2: the audit write shares the action's transaction."""

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(case_actions, "record_event", broken)
    monkeypatch.setattr(case_actions, "record_events", broken)  # an intake appends two at once
    before = (Case.objects.count(), Survivor.objects.count(), AuditEvent.objects.count())
    with pytest.raises(RuntimeError):
        case_actions.start_intake(
            by=caseworker,
            survivor_values={"given_name": "Ana"},
            case_values={
                "intake_date": "2026-01-05",
                "intake_province": "CA-QC",
                "consent_to_record": True,
            },
        )
    after = (Case.objects.count(), Survivor.objects.count(), AuditEvent.objects.count())
    assert after == before


def test_an_action_and_its_event_roll_back_together(caseworker) -> None:
    events_before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        case_actions.start_intake(
            by=caseworker,
            survivor_values={},
            case_values={
                "intake_date": "2026-01-05",
                "intake_province": "CA-QC",
                "consent_to_record": False,
            },
        )
        raise RuntimeError("the caller's transaction fails later")
    assert AuditEvent.objects.count() == events_before
    assert Case.objects.count() == 0


def test_org_admin_sees_the_trail_and_a_caseworker_does_not(
    client_for, org_admin, caseworker, case
) -> None:
    page = client_for(org_admin).get("/audit/")
    assert page.status_code == 200
    assert "case.created" in page.content.decode()
    assert "Élodie" not in page.content.decode()
    assert client_for(caseworker).get("/audit/").status_code == 404


def _legacy_events(chain: str, n: int) -> None:
    """Events as Harbour wrote them before ADR 35: plain SHA-256, no key id."""
    import datetime as dt

    from harbour.audit.chain import GENESIS, event_hash
    from harbour.audit.models import ChainHead

    prev = GENESIS
    for seq in range(1, n + 1):
        event = AuditEvent(
            chain=chain,
            seq=seq,
            occurred_at=dt.datetime(2026, 1, 1, 0, 0, seq, tzinfo=dt.UTC),
            actor_role="system:old",
            action="case.created",
            prev_hash=prev,
        )
        event.hash = prev = event_hash(event.hashed_content())
        event.save(force_insert=True)
    ChainHead.objects.create(chain=chain, seq=n, hash=prev)


def test_the_migration_anchors_old_chains_with_a_keyed_event() -> None:
    import importlib

    from django.apps import apps

    anchor = importlib.import_module("harbour.audit.migrations.0003_anchor_legacy_chains").anchor
    _legacy_events("old-chain", 3)
    assert [p.kind for p in verify()[1]] == ["unanchored_legacy"]
    anchor(apps, None)
    assert verify() == (4, [])
    keyed = AuditEvent.objects.get(chain="old-chain", seq=4)
    assert keyed.action == "audit.chain_keyed" and keyed.context["legacy_events"] == 3
    anchor(apps, None)  # idempotent
    assert AuditEvent.objects.filter(chain="old-chain").count() == 4
    # The old stretch is now pinned: rewriting it consistently still breaks the keyed link.
    from harbour.audit.chain import GENESIS, event_hash

    prev = GENESIS
    for event in AuditEvent.objects.filter(chain="old-chain", seq__lte=3).order_by("seq"):
        event.action, event.prev_hash = "case.viewed", prev
        prev = event_hash(event.hashed_content())
        _raw(
            "UPDATE audit_auditevent SET action = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [event.action, event.prev_hash, prev, event.id],
        )
    assert [(p.seq, p.kind) for p in verify()[1]] == [(4, "broken_link")]
