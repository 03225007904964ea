"""Writing audit events. Only actions call this, inside their own transaction (invariant 2)."""

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from harbour.audit import keys, note
from harbour.audit.chain import GENESIS, Problem, event_hash
from harbour.audit.checkpoint import Body
from harbour.audit.models import AuditEvent, ChainHead, Checkpoint, Outcome, RefusalTally
from harbour.core import tenancy
from harbour.core.errors import Conflict, NotFound

SYSTEM_CHAIN = "system"

# Context values are ids and codes only: no spaces, so free text (a name, a note) cannot ride along.
_CODE = re.compile(r"^[\w.:@/-]{0,80}$")


class Actor(Protocol):
    @property
    def pk(self) -> Any: ...

    @property
    def org_id(self) -> Any: ...

    @property
    def role(self) -> str: ...


@dataclass(frozen=True)
class SystemActor:
    """A command or job acting without a person (the demo loader, a scheduled expiry)."""

    name: str
    pk: None = None
    org_id: None = None

    @property
    def role(self) -> str:
        return f"system:{self.name}"


class NotInTransaction(RuntimeError):
    pass


def record_event(
    *,
    by: Actor,
    action: str,
    org_id: uuid.UUID | None = None,
    target_type: str = "",
    target_id: Any = "",
    fields: Iterable[str] = (),
    outcome: str = Outcome.OK,
    context: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain of the organisation that owns the target.

    Must run inside the caller's transaction: if the caller rolls back, so does the event, and if
    the event cannot be written, the caller's change is rolled back with it.
    """
    if not transaction.get_connection().in_atomic_block:
        raise NotInTransaction(f"audit event {action!r} written outside a transaction")
    chain = str(org_id or by.org_id or SYSTEM_CHAIN)
    with _appending(by, chain, action) as head:
        spec = EventSpec(action, target_type, target_id, tuple(fields), context, str(outcome))
        event = _next_event(by, chain, org_id, head.seq, head.hash, spec)
        event.save(force_insert=True)
        ChainHead.objects.filter(chain=chain).update(seq=event.seq, hash=event.hash)
    return event


@contextmanager
def _appending(by: Actor | None, chain: str, action: str) -> Iterator[ChainHead]:
    """The chain's head, locked until the transaction ends, for the length of an append.

    Row-level security (ADR 40): an event belongs to its chain's organisation, and the
    append reads and moves that chain's head, so a connection scoped to another organisation
    (a referral's receiver, the organisation a hint was about) appends as the chain's
    organisation, for these three statements only and never seeing a third organisation's;
    the platform chain widens. The caller's code never runs in the crossing: what it writes
    there is this one event, and the event is the record of the crossing."""
    head = _head_in_scope(by, chain)
    if head is not None:  # the connection already appends as the chain's organisation
        yield head
        return
    reason = f"audit: {action} appended to chain {chain}"
    org = _org_of_chain(chain)
    with tenancy.widened(reason) if org is None else tenancy.as_organisation(org, reason):
        yield _locked_head(chain)


def _head_in_scope(by: Actor | None, chain: str) -> ChainHead | None:
    """PostgreSQL, most appends (a member of staff writing their own organisation's chain, a
    command writing with every organisation in scope): the head locked and the connection's
    scope read in one statement, instead of reading the scope, then locking. The head when
    the scope is already what `_appending` would switch to (the chain's organisation, or
    every organisation: `tenancy.as_organisation` and `widened` change nothing then); None
    otherwise, and `_appending` switches. A chain that is not the actor's own (nor the
    system's) costs no statement here; one that is, but whose head is missing, not visible or
    not in scope, costs this one statement more than before."""
    if by is None or connection.vendor != "postgresql":
        return None
    if chain not in (str(by.org_id), SYSTEM_CHAIN):
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT seq, hash, coalesce(current_setting('harbour.org', true), ''),"  # noqa: S608 (the model's table)
            " coalesce(current_setting('harbour.scope', true), '')"
            f" FROM {ChainHead._meta.db_table} WHERE chain = %s FOR UPDATE",
            [chain],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    seq, last_hash, org, scope = row
    if scope != tenancy.ALL and org != chain:
        return None  # visible but not in scope (a role that bypasses the policies): switch
    return ChainHead(chain=chain, seq=seq, hash=last_hash)


@dataclass(frozen=True)
class EventSpec:
    """One event of a bulk append (see `record_events`)."""

    action: str
    target_type: str = ""
    target_id: Any = ""
    fields: Iterable[str] = ()
    context: Mapping[str, Any] | None = None
    outcome: str = Outcome.OK


def record_events(
    *, by: Actor, org_id: uuid.UUID | None, events: Iterable[EventSpec], batch_size: int = 1000
) -> int:
    """Append many events of one actor to one chain, in order, under one lock of its head:
    each event is hashed over its predecessor exactly as `record_event` would, then the events
    are inserted in batches and the head moved once. For bulk writes (an import of thousands of
    intakes) where one `record_event` per row costs three queries each. Returns how many."""
    if not transaction.get_connection().in_atomic_block:
        raise NotInTransaction("audit events written outside a transaction")
    chain = str(org_id or by.org_id or SYSTEM_CHAIN)
    with _appending(by, chain, "bulk") as head:
        seq, last_hash, batch, count = head.seq, head.hash, [], 0
        for spec in events:
            event = _next_event(by, chain, org_id, seq, last_hash, spec)
            seq, last_hash = event.seq, event.hash
            batch.append(event)
            if len(batch) >= batch_size:
                AuditEvent.objects.bulk_create(batch)
                count, batch = count + len(batch), []
        if batch:
            AuditEvent.objects.bulk_create(batch)
            count += len(batch)
        if count:
            ChainHead.objects.filter(chain=chain).update(seq=seq, hash=last_hash)
    return count


def _next_event(
    by: Actor, chain: str, org_id: Any, seq: int, prev_hash: str, spec: EventSpec
) -> AuditEvent:
    event = AuditEvent(
        chain=chain,
        seq=seq + 1,
        occurred_at=timezone.now(),
        actor_id=by.pk,
        actor_org_id=by.org_id,
        actor_role=str(by.role),
        action=spec.action,
        outcome=str(spec.outcome),
        target_type=spec.target_type,
        target_id=str(spec.target_id or ""),
        org_id=org_id,
        fields=sorted(set(spec.fields)),
        context=_clean_context(spec.context or {}),
        prev_hash=prev_hash,
    )
    key = keys.current_key()
    event.key_id = key.key_id
    event.hash = event_hash(event.hashed_content(), {key.key_id: key.hmac_key})
    return event


def lock_chain(org_id: uuid.UUID | None, *, by: Actor | None = None) -> None:
    """Hold the organisation's chain head until the transaction ends. Every write of that
    organisation appends to its chain, so it waits: a bulk write that takes the lock first sees
    everything committed before it (two imports of one file do not both write it)."""
    lock_chains([org_id], by=by)


def lock_chains(org_ids: Iterable[uuid.UUID | None], *, by: Actor | None = None) -> None:
    """Hold the chain heads of several organisations until the transaction ends, taken in one
    order (by chain name: the organisation's id, then the platform's). A transaction that
    appends to several chains (a hint: the asker's and each matched organisation's) takes
    them all here first: two taking them in the order they write could each hold the chain
    the other waits for, and PostgreSQL would abort one of them (a deadlock). `by`, the actor
    who will append, when known: their own chain is then locked in one statement less."""
    for chain in sorted({str(org_id or SYSTEM_CHAIN) for org_id in org_ids}):
        with _appending(by, chain, "lock"):
            pass


def _locked_head(chain: str) -> ChainHead:
    head = ChainHead.objects.select_for_update().filter(chain=chain).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            ChainHead.objects.create(chain=chain, seq=0, hash=GENESIS)
    except IntegrityError:
        pass  # another writer created it first; lock theirs
    return ChainHead.objects.select_for_update().get(chain=chain)


def _clean_context(context: Mapping[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in context.items():
        values = value if isinstance(value, list | tuple) else [value]
        for item in values:
            if isinstance(item, bool | int) or item is None:
                continue
            if not _CODE.match(str(item)):
                raise ValueError(f"audit context {key!r} must hold ids or codes, not free text")
        clean[key] = (
            [_plain(v) for v in value] if isinstance(value, list | tuple) else _plain(value)
        )
    return clean


def _plain(value: Any) -> Any:
    return value if isinstance(value, bool | int) or value is None else str(value)


# --- checkpoints ------------------------------------------------------------------------------


class TrailNotIntact(Conflict):
    """The trail has problems: signing it would vouch for tampered history."""

    code = "audit_not_intact"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__(
            _(
                "The audit trail is not intact (first bad event: chain %(chain)s, event "
                "#%(seq)s): nothing was signed. Run `harbour audit verify` and investigate."
            )
            % {"chain": first.chain, "seq": first.seq}
        )


def signer_name() -> str:
    """The checkpoint's origin and signer name: this Harbour's address, without the scheme."""
    host = urlsplit(settings.HARBOUR_SITE_URL).netloc or "harbour"
    return f"{host}/audit"


@transaction.atomic
def sign_checkpoint(
    *, by: Actor, scope: str = "", delivery: str = "file", full: bool = False
) -> Checkpoint:
    """Sign the head of every chain (scope "") or of one chain, after checking the trail since
    the last checkpoint it extends (everything with `full`); the signed note is stored and
    returned for `delivery` (file, email or download: where the copy that protects the trail
    goes). Events before the last checkpoint are not re-read by default: their heads are what
    was signed, so a checkpoint never vouches for a change to them, and `audit verify` (daily,
    or `full`) reads them all."""
    from harbour.audit import queries

    chains = [scope] if scope else None
    # One organisation's chain is checked whole: it is signed on demand, for that organisation.
    since = {} if full or scope else _proven_heads(scope)
    _checked, problems = queries.verify(chains=chains, since=since)
    if problems:
        raise TrailNotIntact(queries.first_problems(problems))
    current = queries.heads(chains)
    if scope:
        current.setdefault(scope, (0, GENESIS))
    key = keys.current_key()
    now = timezone.now().replace(microsecond=0)
    body = Body(signer_name(), now, scope, current)
    signed = note.sign(body.text(), signer_name(), key.signing_key)
    checkpoint = Checkpoint.objects.create(
        issued_at=now, scope=scope, key_id=key.key_id, note=signed
    )
    record_event(
        by=by,
        action="audit.checkpoint_signed",
        org_id=_org_of_chain(scope),
        target_type="checkpoint",
        target_id=checkpoint.pk,
        context={"scope": scope or "all", "chains": len(current), "delivery": delivery},
    )
    return checkpoint


def _proven_heads(scope: str) -> dict[str, tuple[int, str]]:
    """The heads of the latest stored checkpoint covering these chains whose signature still
    verifies and whose events are still where it saw them: verification resumes after them."""
    from harbour.audit import queries
    from harbour.audit.checkpoint import CheckpointError, compare

    for candidate in (queries.latest_checkpoint(scope), queries.latest_checkpoint("")):
        if candidate is None:
            continue
        try:
            body = queries.open_checkpoint(candidate.note)
        except CheckpointError:
            return {}
        heads = {c: h for c, h in body.heads.items() if not scope or c == scope}
        narrowed = Body(body.origin, body.issued_at, scope, heads)
        if compare(narrowed, queries.current_state(narrowed)):
            return {}  # the trail no longer extends it: verify everything, which will say why
        return heads
    return {}


def _org_of_chain(chain: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(chain)
    except ValueError:
        return None


@transaction.atomic
def record_checkpoint_check(*, by: Actor, result: Any, refusal: str) -> None:
    """An organisation checked a checkpoint it kept: the outcome goes in its own chain, so a
    failed check is itself on the record."""
    if refusal:
        outcome, found = Outcome.REFUSED, "refused"
    else:
        outcome, found = Outcome.OK, "not_intact" if result.problems else "intact"
    record_event(
        by=by,
        action="audit.checkpoint_checked",
        org_id=by.org_id,
        target_type="checkpoint",
        outcome=outcome,
        context={"result": found, "problems": 0 if refusal else len(result.problems)},
    )


# Which refusal of the day is written to the trail: the first, then each power of ten, so a
# sweep of 5,000 ids is four events whose count says how wide it was.
def _worth_an_event(count: int) -> bool:
    while count % 10 == 0:
        count //= 10
    return count == 1


@transaction.atomic
def record_refused_read(*, by: Actor, owner_org_id: Any, target_type: str, target_id: Any) -> int:
    """Count a read refused on another organisation's record; audit it in both organisations'
    chains when the day's count reaches 1, 10, 100... Returns the day's count.

    The viewer's chain names the owner organisation but not the record, so the viewer's own
    auditors learn nothing about another organisation's ids.
    """
    day = timezone.localdate()
    tally, _created = RefusalTally.objects.select_for_update().get_or_create(
        actor_id=by.pk,
        owner_org_id=owner_org_id,
        day=day,
        defaults={"actor_org_id": by.org_id},
    )
    tally.count += 1
    tally.last_target_type, tally.last_target_id = target_type, str(target_id)
    tally.save(update_fields=["count", "last_target_type", "last_target_id"])
    if _worth_an_event(tally.count):
        _refusal_events(by, tally)
    return tally.count


def _refusal_events(by: Actor, tally: RefusalTally) -> None:
    context = {"count": tally.count, "day": tally.day.isoformat()}
    if by.org_id is not None:
        # Both chains first, in one order: written in turn (the owner's, then the viewer's), a
        # refusal at B of A's staff and one at A of B's each held one and waited for the other.
        lock_chains([tally.owner_org_id, by.org_id])
    record_event(
        by=by,
        action="access.refused_reads",
        org_id=tally.owner_org_id,
        target_type=tally.last_target_type,
        target_id=tally.last_target_id,
        outcome=Outcome.REFUSED,
        context={**context, "viewer_org": str(by.org_id or "")},
    )
    if by.org_id is not None:
        record_event(
            by=by,
            action="access.refused_reads",
            org_id=by.org_id,
            outcome=Outcome.REFUSED,
            context={**context, "owner_org": str(tally.owner_org_id)},
        )


# A day's refusal tally is only counted into while its day lasts; after that it is kept a while
# for whoever investigates a sweep (its exact count, its last record), then deleted: the trail
# keeps the day's 1st, 10th, 100th... refusal for good (ADR 8).
REFUSAL_TALLY_KEEP_DAYS = 30


@transaction.atomic
def prune_refusal_tallies(*, by: Actor, keep_days: int = REFUSAL_TALLY_KEEP_DAYS) -> int:
    """Delete every organisation's refusal tallies of days more than `keep_days` days ago (at
    least 1: today's tally is still being counted). Returns how many were deleted."""
    if keep_days < 1:
        raise ValueError("keep_days must be at least 1")
    before = timezone.localdate() - dt.timedelta(days=keep_days)
    with tenancy.widened("refusal tallies past their retention"):
        old = RefusalTally.objects.filter(day__lt=before)
        # Per organisation of the person refused (whose rows they are, ADR 40). Only today's
        # rows are written, so none of these changes between the count and the delete.
        per_org = _refusals_per_org(old)
    # Each organisation's auditors see their own chain only (ADR 4): the deletion of their
    # people's counts is written there; the system chain keeps the whole run. The chains are
    # taken first, in ADR 35's order, before anything is deleted.
    orgs = sorted(org for org, n in per_org.items() if org is not None and n)
    lock_chains([*orgs, None])
    with tenancy.widened("refusal tallies past their retention"):
        # Counted again under the locks: a prune running at the same moment may have deleted
        # some first, and each chain must say only what this one deleted.
        per_org = _refusals_per_org(old)
        deleted, _by_model = old.delete()
    orgs = [org for org in orgs if per_org.get(org)]
    for org in orgs:
        record_event(
            by=by,
            action="audit.refusal_tallies_pruned",
            org_id=org,
            target_type="refusal_tally",
            context={"before": before.isoformat(), "deleted": per_org[org]},
        )
    record_event(
        by=by,
        action="audit.refusal_tallies_pruned",
        target_type="refusal_tally",
        context={"before": before.isoformat(), "deleted": deleted, "organisations": len(orgs)},
    )
    return deleted


def _refusals_per_org(tallies: Any) -> dict[Any, int]:
    return dict(tallies.values_list("actor_org_id").annotate(n=models.Count("id")).order_by())


def refuse_read(*, by: Actor, model: type[Any], record_id: Any) -> NoReturn:
    """Refuse a lookup that found nothing the user may see: a 404 either way, but when the id is
    another organisation's record, the refusal is counted and audited (record_refused_read)."""
    with tenancy.widened("whose record was refused"):  # only its organisation is read
        owner = model.objects.filter(pk=record_id).values_list("org_id", flat=True).first()
    if owner is not None and owner != by.org_id and by.pk is not None:
        record_refused_read(
            by=by, owner_org_id=owner, target_type=model._meta.model_name, target_id=record_id
        )
    raise NotFound()


@transaction.atomic
def record_trail_export(*, by: Actor, org_id: uuid.UUID, filters: Iterable[str], rows: int) -> None:
    """Exporting the trail is itself on the trail: who took a copy, of how much, filtered how
    (the names of the filters used, not their values)."""
    record_event(
        by=by,
        action="audit.trail_exported",
        org_id=org_id,
        target_type="chain",
        target_id=str(org_id),
        context={"filters": sorted(filters), "rows": rows},
    )
