"""Two transactions of two organisations crossing each other's audit chains at once, on real
PostgreSQL connections (one thread each), for the lock order rule of ADR 35: each is held up
just before its second chain is written, after its first; written in turn, each then waits for
the chain the other holds and PostgreSQL aborts one ("deadlock detected"). With every chain
locked first in one order, the second waits for the first before writing anything, and both
finish. The pattern of the hint's test (harbour/linkage/tests/test_hint.py)."""

import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from django.db import connection

from harbour.core import tenancy


def skip_unless_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers by itself")


def cross(
    monkeypatch: pytest.MonkeyPatch,
    module: Any,
    hold: Callable[[Mapping[str, Any]], bool],
    calls: Mapping[str, tuple[Any, Callable[[], Any]]],
) -> tuple[dict[str, Any], list[BaseException]]:
    """Run each call (name: (user, call)) in its own thread and connection, scoped to the user
    as a request is; `module.record_event` is held up for the events `hold` picks until both
    threads have reached one, or one waits for a lock. Returns what each call returned (or
    raised) and the unexpected errors."""
    arrived = {name: threading.Event() for name in calls}
    go = threading.Event()
    results: dict[str, Any] = {}
    errors: list[BaseException] = []
    record_event = module.record_event

    def held_up(**kwargs: Any) -> Any:
        if hold(kwargs):
            arrived[threading.current_thread().name].set()
            go.wait(30)
        return record_event(**kwargs)

    monkeypatch.setattr(module, "record_event", held_up)
    role = os.environ.get("HARBOUR_TEST_DB_ROLE", "")

    def run(name: str, user: Any, call: Callable[[], Any]) -> None:
        try:
            if role:  # as the application would connect: row-level security applies
                with connection.cursor() as cursor:
                    cursor.execute(f"SET ROLE {connection.ops.quote_name(role)}")
            tenancy.for_user(user)
            results[name] = call()
        except Exception as exc:
            errors.append(exc)
        finally:
            arrived[name].set()
            connection.close()

    threads = [
        threading.Thread(target=run, args=(name, user, call), name=name)
        for name, (user, call) in calls.items()
    ]
    for thread in threads:
        thread.start()
    for _ in range(300):
        if all(e.is_set() for e in arrived.values()) or _a_query_waits_for_a_lock():
            break
        time.sleep(0.1)
    go.set()
    for thread in threads:
        thread.join(60)
    return results, errors


def _a_query_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
        return bool(cursor.fetchone()[0])


def chains_taken(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The chains whose heads are locked from now on, each in the order first taken: for an
    action run after this, sorted means no transaction following the rule can cross it (a
    check for jobs that write many organisations' chains, on either database)."""
    from harbour.audit import actions

    taken: list[str] = []
    locked_head, head_in_scope = actions._locked_head, actions._head_in_scope

    def recording(chain: str) -> Any:
        if chain not in taken:
            taken.append(chain)
        return locked_head(chain)

    def recording_in_scope(by: Any, chain: str) -> Any:
        head = head_in_scope(by, chain)
        if head is not None and chain not in taken:  # locked there, in one statement
            taken.append(chain)
        return head

    monkeypatch.setattr(actions, "_locked_head", recording)
    monkeypatch.setattr(actions, "_head_in_scope", recording_in_scope)
    return taken
