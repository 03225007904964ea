"""The hash chain, as pure functions: no Django, so the rules are easy to read and to re-implement
in an external verifier.

Each event's hash covers its own content and the previous event's hash, so altering, removing or
reordering any event breaks every hash after it. Chains are per organisation, which keeps
concurrent writers of different organisations from contending for one head.
"""

import hashlib
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


def canonical(event: Mapping[str, Any]) -> bytes:
    body = {name: event[name] for name in HASHED_FIELDS}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def event_hash(event: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


@dataclass(frozen=True)
class Problem:
    chain: str
    seq: int
    kind: str  # "gap", "broken_link", "altered", "head_mismatch"

    def __str__(self) -> str:
        return f"chain {self.chain}: event #{self.seq}: {self.kind.replace('_', ' ')}"


def verify_chain(
    chain: str, events: Iterable[Mapping[str, Any]], head: tuple[int, str] | None
) -> list[Problem]:
    """Check one chain, given its events in stored order and its head (last seq and hash)."""
    problems: list[Problem] = []
    expected_seq, prev = 1, GENESIS
    for event in events:
        seq = int(event["seq"])
        if seq != expected_seq:
            problems.append(Problem(chain, seq, "gap"))
        if event["prev_hash"] != prev:
            problems.append(Problem(chain, seq, "broken_link"))
        if event_hash(event) != event["hash"]:
            problems.append(Problem(chain, seq, "altered"))
        expected_seq, prev = seq + 1, event["hash"]
    # The head remembers the last event, so a removed tail is noticed too.
    last = (expected_seq - 1, prev)
    if head is not None and head != last:
        problems.append(Problem(chain, last[0], "head_mismatch"))
    return problems
