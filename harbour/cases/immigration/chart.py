"""The immigration timeline drawn for the case page: numbered steps on a dated axis and the
permits as bars from issue to their last day, with today marked. Only geometry here (whole
numbers, so a French locale never writes "12,5" into the SVG); the template draws it, and the
numbered list under it says the same in words for screen readers and print."""

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from harbour.cases.immigration import steps as im

WIDTH, LEFT, RIGHT = 640, 16, 16
AXIS_Y, ROW_H, FIRST_ROW_Y = 64, 22, 86
# Steps closer than this (in drawing units) are stacked above the axis, up to three high.
CROWDED, LEVEL_H, LEVELS = 16, 16, 3
# Permit bars, one row each.
ROWS = {"trp": 0, "work_permit_issued": 1, "health_coverage_issued": 2}


@dataclass(frozen=True)
class Mark:
    number: int
    x: int
    step: im.Step
    kind: str  # css class: application | decision | refusal | noted | permit
    y: int = AXIS_Y


@dataclass(frozen=True)
class Bar:
    x: int
    width: int
    y: int
    kind: str
    step: im.Step
    lapsed: bool


@dataclass
class Track:
    start: dt.date
    end: dt.date
    today_x: int
    marks: list[Mark] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    years: list[tuple[int, int]] = field(default_factory=list)  # (x, year)
    width: int = WIDTH
    height: int = FIRST_ROW_Y + len(ROWS) * ROW_H


def track(steps: Sequence[im.Step], today: dt.date) -> Track | None:
    if not steps:
        return None
    ordered = im.ordered(steps)
    start = min(ordered[0].on, today)
    ends = [s.valid_until for s in ordered if s.valid_until] + [today, ordered[-1].on]
    end = max(ends) + dt.timedelta(days=30)
    span = max((end - start).days, 1)

    def x(day: dt.date) -> int:
        return LEFT + round((day - start).days * (WIDTH - LEFT - RIGHT) / span)

    found = Track(start, end, x(today))
    found.marks = _stacked([Mark(i + 1, x(s.on), s, _kind(s.step)) for i, s in enumerate(ordered)])
    found.bars = [_bar(s, x, today) for s in ordered if s.valid_until]
    found.years = [(x(dt.date(y, 1, 1)), y) for y in range(start.year + 1, end.year + 1)]
    return found


def _stacked(marks: list[Mark]) -> list[Mark]:
    """Lift a step above the one before it when they would overlap, so every number shows."""
    out: list[Mark] = []
    level = 0
    for mark in marks:
        crowded = out and mark.x - out[-1].x < CROWDED
        level = (level + 1) % LEVELS if crowded else 0
        out.append(dataclasses.replace(mark, y=AXIS_Y - level * LEVEL_H))
    return out


def _bar(s: im.Step, x: Any, today: dt.date) -> Bar:
    row = ROWS["trp" if s.step in im.TRP_ISSUES else s.step]
    assert s.valid_until is not None
    left = x(s.on)
    return Bar(
        left,
        max(x(s.valid_until) - left, 2),
        FIRST_ROW_Y + row * ROW_H,
        "trp" if row == 0 else "work" if row == 1 else "health",
        s,
        s.valid_until < today,
    )


def _kind(step: str) -> str:
    if step in im.APPLICATIONS:
        return "application"
    if step in im.REFUSALS or step == "trp_expired":
        return "refusal"
    if step == "status_noted":
        return "noted"
    return "decision"
