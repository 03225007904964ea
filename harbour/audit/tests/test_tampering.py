"""Every way of tampering with the trail in the database, replayed with raw SQL (as someone with
the database but not Harbour would), and caught by `harbour audit verify` (ADR 35).

The keyed chain alone catches whatever changes an event; a signed checkpoint kept outside the
database also catches what removes events without changing any (the end of a chain cut off
with its head, a whole chain deleted) and history rewritten by someone holding the audit key.
Runs on SQLite and PostgreSQL like every test.
"""

import hashlib
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from harbour.audit import keys
from harbour.audit.actions import SystemActor, record_event, sign_checkpoint
from harbour.audit.chain import canonical, event_hash
from harbour.audit.models import AuditEvent, ChainHead

pytestmark = pytest.mark.django_db
ACTOR = SystemActor("tests")
ORG_A, ORG_B = uuid.uuid4(), uuid.uuid4()
A, B = str(ORG_A), str(ORG_B)


def _sql(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _rows(chain: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(chain=chain).order_by("seq"))


def _rehash(event: AuditEvent, *, with_key: bool) -> str:
    """What an attacker writes as the hash: HMAC under the real key (an insider holding it), or
    plain SHA-256 of the content marked as an old keyless event (anyone else)."""
    if with_key:
        key = keys.current_key()
        return event_hash(event.hashed_content(), {key.key_id: key.hmac_key})
    return hashlib.sha256(canonical(event.hashed_content() | {"key_id": ""})).hexdigest()


def _rewrite_from(chain: str, seq: int, *, with_key: bool) -> None:
    """Alter event #seq, then recompute its hash, every later one and the chain's head."""
    prev = ""
    for event in _rows(chain):
        if event.seq < seq:
            prev = event.hash
            continue
        if event.seq == seq:
            event.action = "case.viewed"
        event.prev_hash = prev
        event.key_id = event.key_id if with_key else ""
        event.hash = prev = _rehash(event, with_key=with_key)
        _sql(
            "UPDATE audit_auditevent SET action = %s, prev_hash = %s, key_id = %s, hash = %s "
            "WHERE id = %s",
            [event.action, event.prev_hash, event.key_id, event.hash, event.id],
        )
    _sql("UPDATE audit_chainhead SET hash = %s WHERE chain = %s", [prev, chain])


def alter_one(chain: str) -> None:
    victim = _rows(chain)[2]
    _sql("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["case.viewed", victim.id])


def alter_and_rehash_it(chain: str) -> None:
    victim = _rows(chain)[2]
    victim.action = "case.viewed"
    _sql(
        "UPDATE audit_auditevent SET action = %s, hash = %s WHERE id = %s",
        [victim.action, _rehash(victim, with_key=False), victim.id],
    )


def alter_and_recompute_the_rest(chain: str) -> None:
    _rewrite_from(chain, 3, with_key=False)


def insider_rewrites_with_the_key(chain: str) -> None:
    _rewrite_from(chain, 3, with_key=True)


def delete_one(chain: str) -> None:
    _sql("DELETE FROM audit_auditevent WHERE id = %s", [_rows(chain)[2].id])


def delete_the_tail(chain: str) -> None:
    _sql("DELETE FROM audit_auditevent WHERE id = %s", [_rows(chain)[-1].id])


def delete_the_tail_with_its_head(chain: str) -> None:
    rows = _rows(chain)
    for event in rows[-2:]:
        _sql("DELETE FROM audit_auditevent WHERE id = %s", [event.id])
    last = rows[-3]
    _sql(
        "UPDATE audit_chainhead SET seq = %s, hash = %s WHERE chain = %s",
        [last.seq, last.hash, chain],
    )


def delete_the_whole_chain(chain: str) -> None:
    _sql("DELETE FROM audit_auditevent WHERE chain = %s", [chain])
    _sql("DELETE FROM audit_chainhead WHERE chain = %s", [chain])


def insert_one(chain: str) -> None:
    """A forged event slipped in as #3, later ones renumbered (from the end, for the unique
    constraint), linked to its neighbour and hashed as well as an outsider can."""
    rows = _rows(chain)
    for event in reversed(rows[2:]):
        _sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [event.seq + 1, event.id])
    forged = AuditEvent(
        chain=chain,
        seq=3,
        occurred_at=rows[2].occurred_at,
        actor_role="org_admin",
        action="consent.recorded",
        target_type="consent",
        target_id=str(uuid.uuid4()),
        org_id=rows[2].org_id,
        prev_hash=rows[1].hash,
    )
    forged.hash = _rehash(forged, with_key=False)
    forged.save(force_insert=True)


def reorder_two(chain: str) -> None:
    first, second = _rows(chain)[2:4]
    _sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [999, first.id])
    _sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [first.seq, second.id])
    _sql("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [second.seq, first.id])


@dataclass(frozen=True)
class Scenario:
    tamper: Callable[[str], None]
    first_bad: int  # the event verification names first (in chain A, of 6 events)
    kind: str  # how verification names it without a checkpoint ("" = cannot see it alone)
    with_checkpoint: str  # how the checkpoint check names it (the keyed chain's, if it sees it)


# The eight scenarios of the issue, plus two variants (a tail cut without touching the head, and
# a rewrite by someone who holds the audit key).
SCENARIOS = {
    "1 alter one event": Scenario(alter_one, 3, "altered", "altered"),
    "2 alter one event and recompute its hash": Scenario(
        alter_and_rehash_it, 3, "altered", "altered"
    ),
    "3 alter, recompute every later hash and the head": Scenario(
        alter_and_recompute_the_rest, 3, "unkeyed_after_keyed", "unkeyed_after_keyed"
    ),
    "4 delete one event": Scenario(delete_one, 4, "gap", "gap"),
    "5 delete the tail, head untouched": Scenario(
        delete_the_tail, 5, "head_mismatch", "head_mismatch"
    ),
    "6 delete the tail with its head": Scenario(delete_the_tail_with_its_head, 6, "", "truncated"),
    "7 delete a whole chain": Scenario(delete_the_whole_chain, 6, "", "chain_missing"),
    # Stored in insertion order, the forged event comes last: the renumbered #4 shows first.
    "8 insert an event": Scenario(insert_one, 4, "gap", "gap"),
    # Stored order is insertion order: the event now numbered #4 comes where #3 should.
    "9 reorder two events": Scenario(reorder_two, 4, "gap", "gap"),
    "10 an insider rewrites with the audit key": Scenario(
        insider_rewrites_with_the_key, 6, "", "rewritten"
    ),
}


@pytest.fixture
def trail_and_checkpoint(tmp_path: Path) -> Path:
    """Three chains (two organisations and the system's), six events in A, then a checkpoint
    written to a file: the copy auditors keep outside the database."""
    with transaction.atomic():
        for i in range(5):
            record_event(by=ACTOR, action="case.updated", org_id=ORG_A, target_id=i)
            record_event(by=ACTOR, action="case.updated", org_id=ORG_B, target_id=i)
        record_event(by=ACTOR, action="sharing.reminders_sent")
    checkpoint = sign_checkpoint(by=ACTOR)  # its own event is #6 of the system chain
    with transaction.atomic():
        record_event(by=ACTOR, action="case.closed", org_id=ORG_A)
    checkpoint = sign_checkpoint(by=ACTOR)
    path = tmp_path / "checkpoint.txt"
    path.write_text(checkpoint.note, encoding="utf-8")
    assert AuditEvent.objects.filter(chain=A).count() == 6
    return path


def _verify(*args: str) -> str:
    err = io.StringIO()
    try:
        call_command("audit_verify", *args, stdout=io.StringIO(), stderr=err)
    except CommandError as exc:
        return err.getvalue() + str(exc)
    return ""


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_tampering_is_detected_and_its_first_bad_event_named(
    name: str, trail_and_checkpoint: Path
) -> None:
    scenario = SCENARIOS[name]
    assert _verify("--checkpoint", str(trail_and_checkpoint)) == ""
    scenario.tamper(A)
    alone = _verify()
    if scenario.kind:
        assert f"first bad event in chain {A}: event #{scenario.first_bad}" in alone, alone
    else:
        assert alone == "", "the keyed chain alone cannot see this: only a checkpoint can"
    found = _verify("--checkpoint", str(trail_and_checkpoint))
    assert f"first bad event in chain {A}: event #{scenario.first_bad}" in found, found
    from harbour.audit.chain import DESCRIPTIONS

    assert DESCRIPTIONS[scenario.with_checkpoint] in found
    assert B not in found  # the other organisation's chain is untouched and not reported


def test_the_checkpoint_command_refuses_to_sign_a_tampered_trail(trail_and_checkpoint) -> None:
    """An hourly checkpoint checks the events since the last one; --full (daily) checks all."""
    with transaction.atomic():
        record_event(by=ACTOR, action="case.updated", org_id=ORG_A)
    delete_the_tail(A)  # an event after the last checkpoint
    with pytest.raises(CommandError, match="not intact"):
        call_command("audit_checkpoint", stdout=io.StringIO(), stderr=io.StringIO())
    assert ChainHead.objects.get(chain="system").seq == 3  # nothing signed since


def test_a_full_checkpoint_run_checks_events_before_the_last_checkpoint_too(
    trail_and_checkpoint, tmp_path
) -> None:
    alter_one(A)  # before the last checkpoint: its heads are still right, so hourly runs sign
    call_command("audit_checkpoint", "--out", str(tmp_path / "hourly"), stdout=io.StringIO())
    with pytest.raises(CommandError, match="not intact"):
        call_command("audit_checkpoint", "--full", stdout=io.StringIO(), stderr=io.StringIO())
    assert "event #3" in _verify("--checkpoint", str(tmp_path / "hourly"))
