"""Immigration nationally (issue 14): the status and TRP stage each person's timeline gives on
the day of the release, and the paths they went through, by province, under the releases'
disclosure control like any other variable."""

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from harbour.cases import actions as case_actions
from harbour.cases.models import ImmigrationStep
from harbour.stats import actions, queries
from harbour.stats.tables import ALL, Table

pytestmark = pytest.mark.django_db


def _trp_journey(by: Any, case: Any, *, refused: bool = False) -> None:
    today = timezone.localdate()
    steps: list[dict[str, Any]] = [
        {"step": "status_noted", "status": "no_status"},
        {"step": "trp_applied", "family_members_covered": 1},
        {"step": "trp_refused", "refusal_reason": "criminality_forced_by_trafficker"}
        if refused
        else {"step": "trp_issued_initial", "valid_until": today + dt.timedelta(days=200)},
    ]
    for n, values in enumerate(steps):
        day = today - dt.timedelta(days=90 - 10 * n)
        case_actions.add_record(
            by=by, case=case, model=ImmigrationStep, values=values | {"step_date": day}
        )


def test_each_person_carries_the_standing_their_timeline_gives_today(
    counted_cases, caseworker
) -> None:
    _trp_journey(caseworker, counted_cases[0])
    _trp_journey(caseworker, counted_cases[1], refused=True)
    people, _linked = queries.person_rows(queries.statistics_cases())
    by_survivor = {p["survivor_id"]: p for p in people}
    issued, refused = (by_survivor[c.survivor_id] for c in counted_cases[:2])
    assert (issued["immigration_status"], issued["trp_stage"]) == (
        "vtip_trp_holder",
        "initial_trp_issued",
    )
    assert issued["immigration_path"] == ["issued"]
    assert set(refused["immigration_path"]) == {"refused", "refused_forced_criminality"}
    untouched = by_survivor[counted_cases[5].survivor_id]
    assert untouched["immigration_path"] == [] and untouched["trp_stage"] is None


def test_a_release_by_province_and_trp_stage_withholds_small_cells(
    counted_cases, caseworker, analyst, reviewer
) -> None:
    for case in counted_cases[:12]:
        _trp_journey(caseworker, case)
    draft = actions.create_release(
        by=analyst,
        title="TRP by province",
        row_variable="province",
        col_variable="trp_stage",
        method="suppression",
    )
    table = Table.from_json(actions.publish_release(by=reviewer, release=draft).result)
    figures = [*table.cells.values(), *table.row_totals.values(), table.total]
    assert all(v is None or v == 0 or v >= 10 for v in figures)
    assert table.cells[("CA-ON", "initial_trp_issued")] == 12
    assert table.cells.get(("CA-MB", "initial_trp_issued")) in (None, 0)
    assert ALL not in {col for _row, col in table.cells}
