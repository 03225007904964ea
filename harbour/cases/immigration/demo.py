"""Demo immigration timelines: the intake snapshot a demo story holds becomes a dated timeline
(status noted, then the TRP path that leads to the stage the story gave), written through the
real action so every step is validated and audited. A few permits end soon, so the reminders have
something to say."""

import datetime as dt
import random
from typing import Any

from harbour.cases.actions import add_record
from harbour.cases.models import Case, ImmigrationStep

SNAPSHOT = ("immigration_status", "trp_stage")

# The steps leading to each TRP stage, in order (after the "status noted" at intake).
PATHS: dict[str, tuple[str, ...]] = {
    "application_pending": ("trp_applied",),
    "initial_trp_issued": ("trp_applied", "trp_issued_initial"),
    "subsequent_trp_issued": (
        "trp_applied", "trp_issued_initial", "trp_renewal_requested", "trp_renewed",
    ),
    "refused": ("trp_applied", "trp_refused"),
    "expired": ("trp_applied", "trp_issued_initial", "trp_expired"),
    "permanent_residence_applied": (
        "trp_applied", "trp_issued_initial", "trp_renewal_requested", "trp_renewed", "pr_applied",
    ),
    "permanent_residence_granted": (
        "trp_applied", "trp_issued_initial", "trp_renewal_requested", "trp_renewed", "pr_applied",
        "pr_granted",
    ),
}  # fmt: skip
REFUSALS = ["criminality_forced_by_trafficker"] * 3 + [
    "not_found_victim", "insufficient_documents", "officer_unaware", "other_criminality", "other",
]  # fmt: skip
GAP_DAYS = {"trp_applied": (3, 30), "trp_issued_initial": (20, 120), "trp_refused": (30, 150),
            "trp_renewal_requested": (200, 300), "trp_renewed": (20, 90), "pr_applied": (60, 400),
            "pr_granted": (150, 500)}  # fmt: skip


def split(survivor_values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The survivor's values without the snapshot (no longer typed at intake), and the snapshot."""
    kept = {k: v for k, v in survivor_values.items() if k not in SNAPSHOT}
    return kept, {k: survivor_values[k] for k in SNAPSHOT if survivor_values.get(k)}


def record(*, by: Any, case: Case, snapshot: dict[str, Any], today: dt.date) -> int:
    """Write the timeline of a first episode; a returning survivor already has one."""
    if not snapshot or ImmigrationStep.objects.filter(case__survivor=case.survivor).exists():
        return 0
    rows = timeline(random.Random(str(case.pk)), snapshot, case.intake_date, today)
    for values in rows:
        add_record(by=by, case=case, model=ImmigrationStep, values=values)
    return len(rows)


def timeline(
    rng: random.Random, snapshot: dict[str, Any], start: dt.date, today: dt.date
) -> list[dict[str, Any]]:
    stage = snapshot.get("trp_stage")
    path = PATHS.get(stage or "", ())
    status = snapshot.get("immigration_status")
    if stage in LATER_APPLICANTS and rng.random() < 0.5:  # applied after intake
        return [_noted(start, status, stage), *_path(rng, PATHS[rng.choice(LATER)], start, today)]
    if not path:
        return [_noted(start, status, stage)]
    noted = _noted(start, "no_status" if status == "vtip_trp_holder" else status, None)
    return [noted, *_path(rng, path, start, today)]


LATER_APPLICANTS = frozenset({"eligible_not_applied", "not_considered"})
LATER = ["application_pending", "initial_trp_issued", "initial_trp_issued", "refused", "refused",
         "subsequent_trp_issued", "expired"]  # fmt: skip


def _path(
    rng: random.Random, path: tuple[str, ...], start: dt.date, today: dt.date
) -> list[dict[str, Any]]:
    rows = []
    day, until = start, None
    for kind in path:
        day = _next_day(rng, kind, day, until)
        if day > today:
            break
        row, until = _step(rng, kind, day, until, today)
        rows.append(row)
    return rows


def _noted(day: dt.date, status: Any, stage: Any) -> dict[str, Any]:
    values = {"step": "status_noted", "step_date": day, "status": status or "unknown"}
    return values | ({"trp_stage": stage} if stage else {})


def _next_day(rng: random.Random, kind: str, day: dt.date, until: dt.date | None) -> dt.date:
    if kind == "trp_expired" and until is not None:
        return until + dt.timedelta(days=1)
    low, high = GAP_DAYS.get(kind, (10, 60))
    return day + dt.timedelta(days=rng.randint(low, high))


def _step(
    rng: random.Random, kind: str, day: dt.date, until: dt.date | None, today: dt.date
) -> tuple[dict[str, Any], dt.date | None]:
    values: dict[str, Any] = {"step": kind, "step_date": day}
    if kind == "trp_applied":
        values["family_members_covered"] = rng.choice([0, 0, 0, 1, 1, 2, 3])
    if kind in {"trp_issued_initial", "trp_renewed"}:
        length = 365 if kind == "trp_issued_initial" else 3 * 365
        until = day + dt.timedelta(days=length)
        if rng.random() < 0.25 and until > today:  # some end soon: the reminders show them
            until = today + dt.timedelta(days=rng.randint(5, 80))
        values["valid_until"] = until
        values["document_reference"] = f"T{rng.randint(10**7, 10**8 - 1)}"
    if kind == "trp_refused":
        values["refusal_reason"] = rng.choice(REFUSALS)
    return values, until


# The demo's transfer carries this journey (with the survivor's consent to "immigration"): from
# the status noted at intake to permanent residence, each step at a fraction of the time between
# the intake and today (so it fits however recent the intake).
JOURNEY: tuple[tuple[float, dict[str, Any]], ...] = (
    (0.03, {"step": "trp_applied", "family_members_covered": 1}),
    (0.10, {"step": "trp_issued_initial", "document_reference": "T1047733"}),
    (0.12, {"step": "work_permit_issued"}),
    (0.12, {"step": "health_coverage_issued"}),
    (0.45, {"step": "trp_renewal_requested"}),
    (0.50, {"step": "trp_renewed", "document_reference": "T1047733-R"}),
    (0.70, {"step": "pr_applied", "family_members_covered": 1}),
    (0.97, {"step": "pr_granted"}),
)
PERMIT_DAYS = {"trp_issued_initial": 365, "work_permit_issued": 365,
               "health_coverage_issued": 365, "trp_renewed": 3 * 365}  # fmt: skip
OPEN_STAGES = ["", "not_considered", "eligible_not_applied", "unknown"]
SECURE = ["canadian_citizen", "permanent_resident", "prefers_not_to_say"]


def story_case(org: Any) -> Case | None:
    """An open, named case of a survivor without status whose timeline holds only what was
    noted at intake: the one whose journey the demo transfer carries."""
    noted = ImmigrationStep.objects.filter(step="status_noted", trp_stage__in=OPEN_STAGES)
    busy = ImmigrationStep.objects.exclude(step="status_noted").values("case__survivor_id")
    cases = (
        Case.objects.filter(org=org, status="active", survivor__in=noted.values("case__survivor"))
        .exclude(survivor__sealed="")
        .exclude(survivor__in=busy)
        .exclude(
            survivor__in=ImmigrationStep.objects.filter(status__in=SECURE).values("case__survivor")
        )
        .order_by("intake_date", "reference")
    )
    return cases.first()


def record_story(*, by: Any, case: Case, today: dt.date) -> int:
    """Write the journey after the intake, unless the survivor's timeline already goes further
    than what was noted at intake."""
    steps = ImmigrationStep.objects.filter(case__survivor=case.survivor)
    if steps.exclude(step="status_noted").exists():
        return 0
    noted: list[dt.date] = [d for d in steps.values_list("step_date", flat=True) if d]
    start: dt.date = max([case.intake_date, *noted])
    span = (today - start).days
    for fraction, values in JOURNEY:
        day = start + dt.timedelta(days=round(span * fraction))
        row = values | {"step_date": day}
        if values["step"] in PERMIT_DAYS:
            row["valid_until"] = day + dt.timedelta(days=PERMIT_DAYS[values["step"]])
        add_record(by=by, case=case, model=ImmigrationStep, values=row)
    return len(JOURNEY)
