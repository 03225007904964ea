"""The keyed hash chain detects any altered, removed, inserted or reordered event, and an event
re-hashed without the audit key; old keyless events verify only in front of a keyed one."""

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from harbour.audit.chain import GENESIS, event_hash, verify_chain

KEYS = {"k1": b"k" * 32}


def _chain(n: int, *, legacy: int = 0, key_id: str = "k1") -> list[dict[str, Any]]:
    """n events; the first `legacy` in the old keyless scheme."""
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
            "key_id": "" if seq <= legacy else key_id,
        }
        event["hash"] = event_hash(event, KEYS | {"k2": b"2" * 32})
        prev = event["hash"]
        events.append(event)
    return events


def _head(events: list[dict[str, Any]]) -> tuple[int, str]:
    return (events[-1]["seq"], events[-1]["hash"]) if events else (0, GENESIS)


def _kinds(events: list[dict[str, Any]], head: tuple[int, str] | None) -> list[str]:
    return [p.kind for p in verify_chain("c", events, head, KEYS)]


def test_an_intact_chain_verifies() -> None:
    events = _chain(5)
    assert verify_chain("c", events, _head(events), KEYS) == []


def test_the_hash_is_keyed() -> None:
    event = _chain(1)[0]
    assert event_hash(event, KEYS) != event_hash(event, {"k1": b"x" * 32})
    assert event_hash(event | {"key_id": ""}) != event["hash"]


@given(st.integers(2, 12), st.data())
def test_any_altered_field_is_detected(n: int, data: st.DataObject) -> None:
    events = _chain(n)
    head = _head(events)
    victim = data.draw(st.integers(0, n - 1))
    key = data.draw(st.sampled_from(["action", "target_id", "fields", "occurred_at", "actor_role"]))
    altered = copy.deepcopy(events)
    altered[victim][key] = ["x"] if key == "fields" else "tampered"
    assert _kinds(altered, head)[0] == "altered"


@given(st.integers(2, 12), st.data())
def test_any_removed_event_is_detected(n: int, data: st.DataObject) -> None:
    events = _chain(n)
    head = _head(events)
    victim = data.draw(st.integers(0, n - 1))
    assert _kinds(events[:victim] + events[victim + 1 :], head)


@given(st.integers(2, 12), st.data())
def test_any_reordering_is_detected(n: int, data: st.DataObject) -> None:
    events = _chain(n)
    head = _head(events)
    i = data.draw(st.integers(0, n - 2))
    swapped = [*events[:i], events[i + 1], events[i], *events[i + 2 :]]
    assert _kinds(swapped, head)


@given(st.integers(1, 10), st.data())
def test_rewriting_from_any_event_without_the_key_is_detected(n: int, data: st.DataObject) -> None:
    """Alter an event and recompute it, every later hash and the head, with a guessed key or
    with plain SHA-256: the first rewritten event is named."""
    events = _chain(n)
    victim = data.draw(st.integers(0, n - 1))
    wrong = data.draw(st.sampled_from([{"k1": b"guess" * 8}, {}]))
    forged = copy.deepcopy(events)
    forged[victim]["action"] = "forged"
    prev = forged[victim]["prev_hash"]
    for event in forged[victim:]:
        event["prev_hash"] = prev
        event["key_id"] = "k1" if wrong else ""
        event["hash"] = prev = event_hash(event, wrong)
    problems = verify_chain("c", forged, _head(forged), KEYS)
    assert problems and problems[0].seq == victim + 1
    assert problems[0].kind in {"altered", "unkeyed_after_keyed", "unanchored_legacy"}


def test_old_keyless_events_verify_in_front_of_a_keyed_one() -> None:
    events = _chain(5, legacy=3)
    assert verify_chain("c", events, _head(events), KEYS) == []


def test_old_keyless_events_alone_are_not_trusted() -> None:
    """Cut the keyed end off an old chain and fix the head: nothing pins the old events now."""
    events = _chain(5, legacy=3)[:3]
    assert _kinds(events, _head(events)) == ["unanchored_legacy"]


def test_a_keyless_event_after_keyed_ones_is_a_forgery() -> None:
    events = _chain(4)
    events[2]["key_id"] = ""
    events[2]["hash"] = event_hash(events[2])
    assert _kinds(events, _head(events))[:1] == ["unkeyed_after_keyed"]


def test_rewriting_the_old_stretch_breaks_the_first_keyed_link() -> None:
    events = _chain(5, legacy=3)
    prev = GENESIS
    for event in events[:3]:
        event["action"] = "forged"
        event["prev_hash"] = prev
        event["hash"] = prev = event_hash(event)
    problems = verify_chain("c", events, _head(events), KEYS)
    assert [(p.seq, p.kind) for p in problems] == [(4, "broken_link")]


def test_an_event_of_an_unknown_key_is_reported() -> None:
    events = _chain(3, key_id="k2")
    assert _kinds(events, _head(events)) == ["unknown_key"] * 3


def test_a_missing_head_and_a_stale_head_are_reported() -> None:
    events = _chain(3)
    assert _kinds(events, None) == ["missing_head"]
    assert _kinds(events[:2], _head(events)) == ["head_mismatch"]


def test_verification_resumes_after_a_proven_event() -> None:
    events = _chain(6)
    start = (3, events[2]["hash"])
    assert verify_chain("c", events[3:], _head(events), KEYS, start=start) == []
    assert verify_chain("c", events[4:], _head(events), KEYS, start=start)
