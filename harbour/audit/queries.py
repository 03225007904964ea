"""Reading the audit trail: events, verification, and checks against signed checkpoints."""

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from harbour.audit import keys, note
from harbour.audit.chain import GENESIS, Problem, verify_chain
from harbour.audit.checkpoint import Body, CheckpointError, compare, parse
from harbour.audit.models import AuditEvent, ChainHead, Checkpoint


def events_for_org(org_id: uuid.UUID) -> QuerySet[AuditEvent]:
    """What happened to the organisation's records, and what its own people did elsewhere."""
    return AuditEvent.objects.filter(Q(org_id=org_id) | Q(actor_org_id=org_id)).order_by(
        "-occurred_at", "-id"
    )


@dataclass(frozen=True)
class TrailFilter:
    """What an auditor narrowed the trail to; `targets` are record ids (any of them matches the
    event's record or the case the event's record belongs to)."""

    actor_id: uuid.UUID | None = None
    action: str = ""
    since: dt.date | None = None
    until: dt.date | None = None
    targets: tuple[str, ...] = ()

    def used(self) -> list[str]:
        names = ("actor_id", "action", "since", "until", "targets")
        return [n for n in names if getattr(self, n)]


def filtered_events(org_id: uuid.UUID, wanted: TrailFilter) -> QuerySet[AuditEvent]:
    events = events_for_org(org_id)
    if wanted.actor_id:
        events = events.filter(actor_id=wanted.actor_id)
    if wanted.action:
        events = events.filter(action=wanted.action)
    if wanted.since:
        events = events.filter(occurred_at__date__gte=wanted.since)
    if wanted.until:
        events = events.filter(occurred_at__date__lte=wanted.until)
    if wanted.targets:
        events = events.filter(
            Q(target_id__in=wanted.targets) | Q(context__case__in=wanted.targets)
        )
    return events


def actions_of_org(org_id: uuid.UUID) -> list[str]:
    """The action codes present in the organisation's trail (for the filter's list)."""
    codes = events_for_org(org_id).order_by().values_list("action", flat=True).distinct()
    return sorted(codes)


def events_for_target(target_type: str, target_id: Any) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(target_type=target_type, target_id=str(target_id)).order_by(
        "occurred_at", "id"
    )


def heads(chains: Iterable[str] | None = None) -> dict[str, tuple[int, str]]:
    qs = ChainHead.objects.all() if chains is None else ChainHead.objects.filter(chain__in=chains)
    return {h.chain: (h.seq, h.hash) for h in qs}


def verify(
    batch_size: int = 5000,
    chains: Iterable[str] | None = None,
    since: dict[str, tuple[int, str]] | None = None,
) -> tuple[int, list[Problem]]:
    """Verify chains (all by default); returns how many events were checked and the problems,
    each chain's in order so the first names its first bad event.

    `since` starts a chain after an event already proven good (a checkpointed head), so a job
    that runs every hour does not re-read years of events.
    """
    wanted = None if chains is None else set(chains)
    stored = heads(wanted)
    found = AuditEvent.objects.values_list("chain", flat=True).distinct()
    if wanted is not None:
        found = found.filter(chain__in=wanted)
    hmac_keys = keys.hmac_keys()
    checked, problems = 0, []
    for chain in sorted(set(stored) | set(found)):
        start = (since or {}).get(chain, (0, GENESIS))
        events = list(_events_in_chain(chain, batch_size, after=start[0]))
        checked += len(events)
        problems += verify_chain(chain, events, stored.get(chain), hmac_keys, start=start)
    return checked, problems


def _events_in_chain(chain: str, batch_size: int, after: int = 0) -> Iterator[dict[str, Any]]:
    # Ordered by insertion id, not seq: swapping two events' contents must show as a break.
    qs = AuditEvent.objects.filter(chain=chain).order_by("id")
    if after:
        qs = qs.filter(id__gt=_id_at(chain, after))
    for event in qs.iterator(chunk_size=batch_size):
        yield event.hashed_content() | {
            "hash": event.hash,
            "id": event.id,
            "action": event.action,
        }


def _id_at(chain: str, seq: int) -> int:
    found = AuditEvent.objects.filter(chain=chain, seq=seq).values_list("id", flat=True).first()
    return found or 0


def first_problems(problems: list[Problem]) -> list[Problem]:
    """The first problem of each chain: the first bad event, which is what to investigate."""
    seen: dict[str, Problem] = {}
    for problem in problems:
        seen.setdefault(problem.chain, problem)
    return list(seen.values())


# --- checkpoints ------------------------------------------------------------------------------


def verifiers_for(signed: str, extra: Iterable[note.Verifier] = ()) -> list[note.Verifier]:
    """Our signing keys, under every name the note's signatures use (the name is only a label:
    the key hash and the signature decide), plus verifier keys given explicitly."""
    _text, signatures = note.split(signed)
    public = [k.public_bytes() for k in keys.known_keys().values()]
    return [note.Verifier(s.name, p) for s in signatures for p in public] + list(extra)


def open_checkpoint(
    signed: str, *, now: dt.datetime | None = None, extra: Iterable[note.Verifier] = ()
) -> Body:
    """The checkpoint a signed note states, once its signature and content are checked.
    Raises CheckpointError with a code: malformed, unknown_signer, bad_signature, future."""
    try:
        text, _verifier = note.verified_text(signed, verifiers_for(signed, extra))
    except note.UnknownSigner as exc:
        raise CheckpointError("unknown_signer", ", ".join(exc.hashes)) from exc
    except note.NoteError as exc:
        code = "bad_signature" if "signature does not match" in str(exc) else "malformed"
        raise CheckpointError(code, str(exc)) from exc
    return parse(text, now=now or timezone.now())


def current_state(body: Body) -> dict[str, tuple[int, dict[int, tuple[str, int, str]]]]:
    """For each chain of the checkpoint that still exists: its last sequence number and the
    event now stored at the checkpointed position."""
    state: dict[str, tuple[int, dict[int, tuple[str, int, str]]]] = {}
    stored = heads(body.heads)
    for chain, (seq, _hash) in body.heads.items():
        rows = AuditEvent.objects.filter(chain=chain).order_by("-seq")
        last = rows.values_list("seq", flat=True).first()
        if last is None and chain not in stored:
            continue
        at = rows.filter(seq=seq).values_list("hash", "id", "action").first()
        state[chain] = (max(last or 0, stored.get(chain, (0, ""))[0]), {seq: at} if at else {})
    return state


@dataclass
class CheckpointCheck:
    """What `audit verify --checkpoint` found: the checkpoints read and every problem."""

    checkpoints: list[Body] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    checked: int = 0


def check_against(bodies: list[Body], *, chains: Iterable[str] | None = None) -> CheckpointCheck:
    """Verify the trail (all chains, or those given) and that it extends every checkpoint."""
    result = CheckpointCheck(checkpoints=bodies)
    result.checked, result.problems = verify(chains=chains)
    for body in sorted(bodies, key=lambda b: b.issued_at):
        result.problems += compare(body, current_state(body))
    return result


def latest_checkpoint(scope: str = "") -> Checkpoint | None:
    return Checkpoint.objects.filter(scope=scope).order_by("-issued_at", "-id").first()


def checkpoints_for_chain(chain: str) -> QuerySet[Checkpoint]:
    return Checkpoint.objects.filter(scope=chain).order_by("-issued_at", "-id")


def check_chain_checkpoint(chain: str, signed: str) -> CheckpointCheck:
    """Check a checkpoint an organisation kept against its own chain (web and API). Refuses one
    that covers other chains: what it says about them is not the organisation's to learn."""
    body = open_checkpoint(signed)
    if set(body.heads) != {chain}:
        raise CheckpointError("other_chains")
    return check_against([body], chains=[chain])
