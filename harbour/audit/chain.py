"""The hash chain, as pure functions: no Django, so the rules are easy to read and to re-implement
in an external verifier.

Each event's hash covers its own content and the previous event's hash, so altering, removing or
reordering any event breaks every hash after it. Chains are per organisation, which keeps
concurrent writers of different organisations from contending for one head.

Since ADR 35 the hash is an HMAC-SHA256 under the audit key (`key_id` names which one), so
someone who can write to the database but does not hold the key cannot recompute a valid chain
after altering an event. Events written before (`key_id` empty) keep their plain SHA-256 and
verify under that old scheme, but only as the opening stretch of a chain that a keyed event
follows: the first keyed event's HMAC covers the last old hash, which pins the whole old stretch.
"""

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64

HASHED_FIELDS = (
    "chain",
    "seq",
    "occurred_at",
    "actor_id",
    "actor_org_id",
    "actor_role",
    "action",
    "outcome",
    "target_type",
    "target_id",
    "org_id",
    "fields",
    "context",
    "prev_hash",
)
# A keyed event also covers its key id, so it cannot be passed off as an event of another key
# (or of the old, keyless scheme).
KEYED_FIELDS = (*HASHED_FIELDS, "key_id")


def content_of(event: Any) -> dict[str, Any]:
    """The hashed fields of an event object (a model instance, also a historical one in a
    migration), as JSON-able values."""

    def text(value: Any) -> str | None:
        return str(value) if value else None

    return {
        "chain": event.chain,
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": text(event.actor_id),
        "actor_org_id": text(event.actor_org_id),
        "actor_role": event.actor_role,
        "action": event.action,
        "outcome": event.outcome,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "org_id": text(event.org_id),
        "fields": event.fields,
        "context": event.context,
        "prev_hash": event.prev_hash,
        "key_id": event.key_id,
    }


class UnknownKey(LookupError):
    """An event keyed with a key this installation does not hold."""


def canonical(event: Mapping[str, Any]) -> bytes:
    names = KEYED_FIELDS if event.get("key_id") else HASHED_FIELDS
    body = {name: event[name] for name in names}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def event_hash(event: Mapping[str, Any], keys: Mapping[str, bytes] | None = None) -> str:
    """HMAC-SHA256 under the event's key; plain SHA-256 for an event of the old scheme."""
    key_id = event.get("key_id") or ""
    if not key_id:
        return hashlib.sha256(canonical(event)).hexdigest()
    key = (keys or {}).get(key_id)
    if key is None:
        raise UnknownKey(key_id)
    return hmac.new(key, canonical(event), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Problem:
    chain: str
    seq: int
    kind: str
    event_id: int | None = None
    action: str = ""

    def __str__(self) -> str:
        what = f"event #{self.seq}"
        if self.event_id is not None:
            what += f" (id {self.event_id}, {self.action})"
        return f"chain {self.chain}: {what}: {DESCRIPTIONS.get(self.kind, self.kind)}"


# What each kind of problem means, for the person reading `harbour audit verify`.
DESCRIPTIONS = {
    "gap": "sequence number out of order: an event before it was removed, inserted or moved",
    "broken_link": "does not point to the event before it: removed, inserted or reordered events",
    "altered": "content does not match its hash: altered (or re-hashed without the audit key)",
    "unknown_key": "keyed with an audit key this installation does not hold",
    "unkeyed_after_keyed": "an unkeyed event after keyed ones: forged in the old scheme",
    "unanchored_legacy": "old, unkeyed events from here on that no keyed event follows: not "
    "protected (the keyed events after them were removed, or they were forged)",
    "head_mismatch": "the chain's head does not name its last event: events removed at the end",
    "missing_head": "the chain has events but no head: its head row was removed",
    "chain_missing": "the chain is gone: it was in the checkpoint",
    "truncated": "the chain now ends before the checkpointed event: events removed at the end",
    "rewritten": "no longer has the hash the checkpoint signed: the trail up to it was rewritten",
}


def verify_chain(
    chain: str,
    events: Iterable[Mapping[str, Any]],
    head: tuple[int, str] | None,
    keys: Mapping[str, bytes] | None = None,
    start: tuple[int, str] = (0, GENESIS),
) -> list[Problem]:
    """Check one chain, given its events in stored order and its head (last seq and hash).

    `head` None means the head row is missing. `start` resumes after an event already proven
    good (a signed checkpoint's; those are keyed). Problems come in chain order, so the first one
    names the first bad event.
    """
    problems: list[Problem] = []
    expected_seq, prev = start[0] + 1, start[1]
    keyed_seen, legacy_from = start[0] > 0, 0
    for event in events:
        seq = int(event["seq"])
        keyed = bool(event.get("key_id"))
        kinds = [
            *(["gap"] if seq != expected_seq else []),
            *(["broken_link"] if event["prev_hash"] != prev else []),
            *(["unkeyed_after_keyed"] if keyed_seen and not keyed else []),
            *_hash_problem(event, keys),
        ]
        problems += [
            Problem(chain, seq, k, event.get("id"), event.get("action", "")) for k in kinds
        ]
        keyed_seen = keyed_seen or keyed
        legacy_from = 0 if keyed_seen else legacy_from or seq
        expected_seq, prev = seq + 1, event["hash"]
    last = (expected_seq - 1, prev)
    if legacy_from:
        problems.append(Problem(chain, legacy_from, "unanchored_legacy"))
    # The head remembers the last event, so a removed tail is noticed too.
    if head is None and last[0] > 0:
        problems.append(Problem(chain, last[0], "missing_head"))
    elif head is not None and head != last:
        problems.append(Problem(chain, last[0], "head_mismatch"))
    return problems


def _hash_problem(event: Mapping[str, Any], keys: Mapping[str, bytes] | None) -> list[str]:
    try:
        return [] if event_hash(event, keys) == event["hash"] else ["altered"]
    except UnknownKey:
        return ["unknown_key"]
