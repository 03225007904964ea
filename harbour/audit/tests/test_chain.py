"""The hash chain detects any altered, removed or reordered event."""

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from harbour.audit.chain import GENESIS, event_hash, verify_chain


def _chain(n: int) -> list[dict[str, Any]]:
    events, prev = [], GENESIS
    for seq in range(1, n + 1):
        event: dict[str, Any] = {
            "chain": "c",
            "seq": seq,
            "occurred_at": f"2026-01-01T00:00:{seq:02d}+00:00",
            "actor_id": None,
            "actor_org_id": None,
            "actor_role": "system:test",
            "action": f"thing.{seq}",
            "outcome": "ok",
            "target_type": "t",
            "target_id": str(seq),
            "org_id": None,
            "fields": ["a"],
            "context": {},
            "prev_hash": prev,
        }
        event["hash"] = event_hash(event)
        prev = event["hash"]
        events.append(event)
    return events


def _head(events: list[dict[str, Any]]) -> tuple[int, str]:
    return (events[-1]["seq"], events[-1]["hash"]) if events else (0, GENESIS)


def test_an_intact_chain_verifies() -> None:
    events = _chain(5)
    assert verify_chain("c", events, _head(events)) == []


@given(st.integers(2, 12), st.data())
def test_any_altered_field_is_detected(n: int, data: st.DataObject) -> None:
    events = _chain(n)
    head = _head(events)
    victim = data.draw(st.integers(0, n - 1))
    key = data.draw(st.sampled_from(["action", "target_id", "fields", "occurred_at", "actor_role"]))
    altered = copy.deepcopy(events)
    altered[victim][key] = ["x"] if key == "fields" else "tampered"
    assert verify_chain("c", altered, head)


@given(st.integers(2, 12), st.data())
def test_any_removed_event_is_detected(n: int, data: st.DataObject) -> None:
    events = _chain(n)
    head = _head(events)
    victim = data.draw(st.integers(0, n - 1))
    assert verify_chain("c", events[:victim] + events[victim + 1 :], head)


@given(st.integers(2, 12), st.data())
def test_any_reordering_is_detected(n: int, data: st.DataObject) -> None:
    events = _chain(n)
    head = _head(events)
    i = data.draw(st.integers(0, n - 2))
    swapped = [*events[:i], events[i + 1], events[i], *events[i + 2 :]]
    assert verify_chain("c", swapped, head)


def test_rehashing_an_altered_event_still_breaks_the_next_link() -> None:
    events = _chain(3)
    head = _head(events)
    events[0]["action"] = "forged"
    events[0]["hash"] = event_hash(events[0])
    kinds = {p.kind for p in verify_chain("c", events, head)}
    assert "broken_link" in kinds
