"""An import job's lifecycle as one explicit table: which status may follow which."""

from harbour.interchange.models import JobStatus

S = JobStatus
TRANSITIONS: dict[str, frozenset[str]] = {
    S.QUEUED: frozenset({S.CHECKING}),
    # A dry run stops at CHECKED; a real import goes on writing.
    S.CHECKING: frozenset({S.CHECKED, S.IMPORTING, S.FAILED}),
    S.CHECKED: frozenset({S.QUEUED, S.DISCARDED}),  # commit re-queues it (checked again)
    S.IMPORTING: frozenset({S.DONE, S.FAILED}),
    S.DONE: frozenset(),
    # A failed check keeps its file (sealed) for a while, so the columns can be chosen again.
    S.FAILED: frozenset({S.DISCARDED}),
    S.DISCARDED: frozenset(),
}


def allowed(source: str, target: str) -> bool:
    return target in TRANSITIONS.get(source, frozenset())
