"""Checkpoints of the audit trail, as pure functions (no Django): their text and its checks.

A checkpoint states, at one moment, the last event (sequence number and hash) of every chain, or
of one organisation's chain, and is signed (audit/note.py). Because each hash covers everything
before it, a trail that still has those hashes at those positions extends the checkpoint: nothing
the checkpoint saw was altered, removed or reordered since. Kept outside the database, it catches
what the keyed chain alone cannot: the end of a chain cut off with its head, a whole chain
deleted, or history rewritten by someone holding the audit key.

    harbour.example.ca/audit
    Harbour audit checkpoint v1
    issued 2026-12-01T10:00:00Z
    scope all
    <chain> <seq> <hash>
    ...
"""

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from harbour.audit.chain import Problem

FORMAT_LINE = "Harbour audit checkpoint v1"
MAX_CHAINS = 100_000
_CHAIN = re.compile(r"^[\w:.-]{1,64}$")
_HASH = re.compile(r"^[0-9a-f]{64}$")
# A checkpoint dated later than now (beyond clock drift between machines) is refused.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


class CheckpointError(ValueError):
    """Not a checkpoint this verifier can accept; `code` says why, for messages and tests."""

    def __init__(self, code: str, detail: str = "") -> None:
        self.code, self.detail = code, detail
        super().__init__(f"{code}: {detail}" if detail else code)


@dataclass(frozen=True)
class Body:
    origin: str
    issued_at: dt.datetime
    scope: str  # "" = every chain
    heads: dict[str, tuple[int, str]]

    def text(self) -> str:
        lines = [
            self.origin,
            FORMAT_LINE,
            f"issued {self.issued_at.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%SZ}",
            f"scope chain {self.scope}" if self.scope else "scope all",
            *(f"{chain} {seq} {h}" for chain, (seq, h) in sorted(self.heads.items())),
        ]
        return "\n".join(lines) + "\n"


def parse(text: str, *, now: dt.datetime) -> Body:
    """The checkpoint a (verified) note's text states; CheckpointError naming what is wrong."""
    lines = text.splitlines()
    if len(lines) < 4 or lines[1] != FORMAT_LINE:
        raise CheckpointError("malformed", "not a Harbour audit checkpoint")
    issued = _issued(lines[2])
    if issued > now + FUTURE_TOLERANCE:
        raise CheckpointError("future", f"dated {issued:%Y-%m-%d %H:%M} UTC, later than now")
    scope = _scope(lines[3])
    if len(lines) - 4 > MAX_CHAINS:
        raise CheckpointError("malformed", "too many chains")
    heads = dict(_head(line, n) for n, line in enumerate(lines[4:], start=5))
    if len(heads) != len(lines) - 4 or (scope and set(heads) != {scope}):
        raise CheckpointError("malformed", "the chains listed do not match the scope")
    return Body(lines[0], issued, scope, heads)


def _issued(line: str) -> dt.datetime:
    if not line.startswith("issued "):
        raise CheckpointError("malformed", "line 3 must give the issue time")
    try:
        when = dt.datetime.strptime(line[7:], "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise CheckpointError("malformed", "the issue time is not a UTC timestamp") from None
    return when.replace(tzinfo=dt.UTC)


def _scope(line: str) -> str:
    if line == "scope all":
        return ""
    parts = line.split(" ")
    if len(parts) == 3 and parts[:2] == ["scope", "chain"] and _CHAIN.match(parts[2]):
        return parts[2]
    raise CheckpointError("malformed", "line 4 must give the scope")


def _head(line: str, number: int) -> tuple[str, tuple[int, str]]:
    parts = line.split(" ")
    if (
        len(parts) != 3
        or not _CHAIN.match(parts[0])
        or not parts[1].isdigit()
        or not _HASH.match(parts[2])
    ):
        raise CheckpointError("malformed", f"line {number} must read: chain seq hash")
    return parts[0], (int(parts[1]), parts[2])


def compare(
    body: Body, current: Mapping[str, tuple[int, dict[int, tuple[str, int, str]]]]
) -> list[Problem]:
    """Does the trail extend the checkpoint? `current` maps each chain to its last sequence
    number and, for the checkpointed one, (hash, event id, action) of the event stored there."""
    problems = []
    for chain, (seq, signed_hash) in sorted(body.heads.items()):
        if seq == 0:
            continue
        if chain not in current:
            problems.append(Problem(chain, seq, "chain_missing"))
            continue
        last, stored = current[chain]
        found = stored.get(seq)
        if last < seq or found is None:
            problems.append(Problem(chain, seq, "truncated"))
        elif found[0] != signed_hash:
            problems.append(Problem(chain, seq, "rewritten", found[1], found[2]))
    return problems
