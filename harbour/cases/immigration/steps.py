"""A survivor's immigration timeline as pure functions: which steps may follow which, what a step
must and must not hold, and the current status and TRP stage computed from the steps.

No database here: the actions feed it the survivor's steps (cases/actions.py), the reports and
reminders read it, and the property tests drive it directly. The status is never typed twice: it
is always this fold over the dated steps, as of a given day (a permit lapses by itself).
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Step:
    """One dated step (the values of an ImmigrationStep record, or of one being recorded)."""

    step: str
    on: dt.date
    valid_until: dt.date | None = None
    status: str | None = None
    trp_stage: str | None = None
    refusal_reason: str | None = None
    family_members: int | None = None
    key: Any = None  # the record's id (None for the one being recorded)
    order: float = 0  # recording order, to order steps of the same day


def from_values(values: dict[str, Any], *, key: Any = None, order: float = 0) -> Step:
    """A Step from a record's dictionary values (validated, so the types are right)."""
    return Step(
        step=values.get("step") or "",
        on=values["step_date"],
        valid_until=values.get("valid_until"),
        status=values.get("status") or None,
        trp_stage=values.get("trp_stage") or None,
        refusal_reason=values.get("refusal_reason") or None,
        family_members=values.get("family_members_covered"),
        key=key,
        order=order,
    )


# --- what each step needs ---------------------------------------------------------------------

TRP_ISSUES = frozenset({"trp_issued_initial", "trp_issued_subsequent", "trp_renewed"})
PERMITS = TRP_ISSUES | {"work_permit_issued", "health_coverage_issued"}
REFUSALS = frozenset({"trp_refused", "pr_refused"})
APPLICATIONS = frozenset({"trp_applied", "trp_renewal_requested", "pr_applied"})
DECISIONS = {
    "trp_applied": frozenset({"trp_issued_initial", "trp_issued_subsequent", "trp_refused"}),
    "trp_renewal_requested": frozenset({"trp_renewed", "trp_issued_subsequent", "trp_refused"}),
    "pr_applied": frozenset({"pr_granted", "pr_refused"}),
}
PR_STAGES = frozenset({"permanent_residence_applied", "permanent_residence_granted"})


def field_errors(step: Step) -> dict[str, list[Any]]:
    """What this one step must or must not hold, whatever comes before it."""
    errors: dict[str, list[Any]] = {}
    if step.step in PERMITS and step.valid_until is None:
        errors["valid_until"] = [_("Enter the last day of the permit or coverage.")]
    if step.step not in PERMITS and step.valid_until is not None:
        errors["valid_until"] = [
            _("Only a permit or coverage that was issued or renewed has an end date.")
        ]
    if step.valid_until is not None and step.valid_until <= step.on:
        errors["valid_until"] = [_("A permit cannot end on or before the day it was issued.")]
    if step.step in REFUSALS and not step.refusal_reason:
        errors["refusal_reason"] = [_("Choose the reason for the refusal.")]
    if step.step not in REFUSALS and step.refusal_reason:
        errors["refusal_reason"] = [_("Only a refusal has a reason for the refusal.")]
    if step.step == "status_noted" and not (step.status or step.trp_stage):
        errors["status"] = [_("Choose the status or the TRP stage noted on that date.")]
    if step.step != "status_noted" and (step.status or step.trp_stage):
        errors["status"] = [_('A status or TRP stage is noted only with a "status noted" step.')]
    return errors


# --- the two tracks: the TRP and permanent residence ---------------------------------------------

# Internal TRP stages are trp_stage codes, plus a renewal waiting for its decision.
RENEWAL_PENDING = "renewal_pending"
HELD = frozenset({"initial_trp_issued", "subsequent_trp_issued"})
NOT_HELD = frozenset(
    {
        None,
        "not_applicable",
        "not_considered",
        "eligible_not_applied",
        "refused",
        "expired",
        "unknown",
    }
)

# step → (stages it may follow, the stage it leads to, the message when it may not)
MSG_NO_APPLICATION = _(
    "%(step)s on %(date)s: no application was pending on that date (a decision cannot come "
    "before its application)."
)
MSG_NO_PERMIT = _("%(step)s on %(date)s: no permit had been issued before that date.")
MSG_ALREADY = _(
    "%(step)s on %(date)s: a permit was held or an application pending on that date; record a "
    "renewal request instead."
)
MSG_NO_PR_APPLICATION = _(
    "%(step)s on %(date)s: no application for permanent residence was pending on that date."
)
MSG_PR_ALREADY = _(
    "%(step)s on %(date)s: permanent residence was already applied for or granted by then."
)

PENDING = frozenset({"application_pending", RENEWAL_PENDING})
TRP_RULES: dict[str, tuple[frozenset[Any], str, Any]] = {
    "trp_applied": (NOT_HELD, "application_pending", MSG_ALREADY),
    "trp_issued_initial": (
        frozenset({"application_pending"}), "initial_trp_issued", MSG_NO_APPLICATION
    ),
    "trp_issued_subsequent": (
        HELD | {"application_pending", RENEWAL_PENDING},
        "subsequent_trp_issued",
        MSG_NO_APPLICATION,
    ),
    "trp_renewal_requested": (HELD, RENEWAL_PENDING, MSG_NO_PERMIT),
    "trp_renewed": (HELD | {RENEWAL_PENDING}, "subsequent_trp_issued", MSG_NO_PERMIT),
    "trp_refused": (PENDING, "refused", MSG_NO_APPLICATION),
    "trp_expired": (HELD | {RENEWAL_PENDING}, "expired", MSG_NO_PERMIT),
}  # fmt: skip
PR_RULES: dict[str, tuple[frozenset[Any], str, Any]] = {
    "pr_applied": (frozenset({None, "pr_refused"}), "pr_applied", MSG_PR_ALREADY),
    "pr_granted": (frozenset({"pr_applied"}), "pr_granted", MSG_NO_PR_APPLICATION),
    "pr_refused": (frozenset({"pr_applied"}), "pr_refused", MSG_NO_PR_APPLICATION),
}


def ordered(steps: Iterable[Step]) -> list[Step]:
    return sorted(steps, key=lambda s: (s.on, s.order))


@dataclass(frozen=True)
class SequenceError:
    step: Step
    message: Any


def sequence_errors(
    steps: Iterable[Step], labels: dict[str, str] | None = None
) -> list[SequenceError]:
    """Steps that do not follow from the ones before them (in date order)."""
    trp: Any = None
    pr: Any = None
    errors: list[SequenceError] = []
    for s in ordered(steps):
        if s.step == "status_noted" and s.trp_stage:
            if s.trp_stage in PR_STAGES:
                pr = "pr_granted" if s.trp_stage == "permanent_residence_granted" else "pr_applied"
            else:
                trp = s.trp_stage
            continue
        rules = TRP_RULES.get(s.step) or PR_RULES.get(s.step)
        if rules is None:
            continue
        sources, target, message = rules
        current = trp if s.step in TRP_RULES else pr
        if current not in sources:
            errors.append(SequenceError(s, _named(message, s, labels)))
            continue
        if s.step in TRP_RULES:
            trp = target
        else:
            pr = target
    return errors


def _named(message: Any, step: Step, labels: dict[str, str] | None) -> str:
    name = (labels or {}).get(step.step, step.step)
    return str(message) % {"step": name, "date": step.on.isoformat()}


# --- the current standing ------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """What the timeline says on a given day."""

    status: str | None
    trp_stage: str | None
    trp_valid_until: dt.date | None
    pending_since: dt.date | None  # the oldest application still waiting for its decision

    @property
    def known(self) -> bool:
        return self.status is not None or self.trp_stage is not None


SECURE_OR_UNKNOWN = frozenset({None, "no_status", "unknown", "visitor", "prefers_not_to_say"})


def standing(steps: Iterable[Step], today: dt.date) -> Standing:
    """Fold the steps up to `today` into the current status and TRP stage."""
    status: str | None = None
    trp: str | None = None
    pr: str | None = None
    trp_until: dt.date | None = None
    work_until: dt.date | None = None
    for s in ordered(x for x in steps if x.on <= today):
        status, trp, pr = _apply(s, status, trp, pr)
        if s.step in TRP_ISSUES:
            trp_until = s.valid_until
        elif s.step == "work_permit_issued":
            work_until = s.valid_until
    status, trp = _lapse(status, trp, trp_until, work_until, today)
    return Standing(status, _stage_code(trp, pr), trp_until if trp in HELD else None,
                    _pending_since(steps, today))  # fmt: skip


def _apply(s: Step, status: Any, trp: Any, pr: Any) -> tuple[Any, Any, Any]:
    if s.step == "status_noted":
        status = s.status or status
        if s.trp_stage in PR_STAGES:
            pr = "pr_granted" if s.trp_stage == "permanent_residence_granted" else "pr_applied"
        elif s.trp_stage:
            trp = s.trp_stage
    elif s.step in TRP_RULES:
        trp = TRP_RULES[s.step][1]
        if s.step in TRP_ISSUES:
            status = "vtip_trp_holder"
        elif s.step == "trp_expired" and status == "vtip_trp_holder":
            status = "no_status"
    elif s.step in PR_RULES:
        pr = PR_RULES[s.step][1]
        if s.step == "pr_granted":
            status = "permanent_resident"
    elif s.step == "work_permit_issued" and status in SECURE_OR_UNKNOWN:
        status = "work_permit"
    return status, trp, pr


def _lapse(
    status: Any, trp: Any, trp_until: Any, work_until: Any, today: dt.date
) -> tuple[Any, Any]:
    """A permit past its last day has lapsed, whether or not anyone recorded its expiry."""
    trp_lapsed = trp_until is not None and trp_until < today
    if trp in HELD | {RENEWAL_PENDING} and trp_lapsed:
        trp = "expired" if trp in HELD else trp
        if status == "vtip_trp_holder":
            status = "no_status"
    if status == "work_permit" and work_until is not None and work_until < today:
        status = "no_status"
    return status, trp


def _stage_code(trp: Any, pr: Any) -> str | None:
    if pr == "pr_granted":
        return "permanent_residence_granted"
    if pr == "pr_applied":
        return "permanent_residence_applied"
    return "application_pending" if trp == RENEWAL_PENDING else trp


def _pending_since(steps: Iterable[Step], today: dt.date) -> dt.date | None:
    waiting = [s.on for s in pending_applications(steps, today)]
    return min(waiting) if waiting else None


def pending_applications(steps: Iterable[Step], today: dt.date) -> list[Step]:
    """Applications with no decision after them (up to today)."""
    done = ordered(x for x in steps if x.on <= today)
    return [
        s
        for i, s in enumerate(done)
        if s.step in APPLICATIONS
        and not any(later.step in DECISIONS[s.step] for later in done[i + 1 :])
    ]


def waiting_days(steps: Sequence[Step]) -> list[int]:
    """Days each decided application waited for its decision (first decision after it)."""
    done = ordered(steps)
    found: list[int] = []
    for i, s in enumerate(done):
        if s.step not in APPLICATIONS:
            continue
        decision = next((d for d in done[i + 1 :] if d.step in DECISIONS[s.step]), None)
        if decision is not None:
            found.append((decision.on - s.on).days)
    return found


def current_permits(steps: Iterable[Step]) -> list[Step]:
    """The latest permit or coverage of each kind (TRP, work permit, health coverage), unless a
    later expiry or permanent residence ended it: the ones whose end date matters."""
    latest: dict[str, Step] = {}
    for s in ordered(steps):
        if s.step in TRP_ISSUES:
            latest["trp"] = s
        elif s.step in {"work_permit_issued", "health_coverage_issued"}:
            latest[s.step] = s
        elif s.step in {"trp_expired", "pr_granted"}:
            latest.pop("trp", None)
    return list(latest.values())


# --- reminders -----------------------------------------------------------------------------------


def expiry_lead_due(
    valid_until: dt.date, today: dt.date, leads: Sequence[int], reminded: int | None
) -> int | None:
    """The lead time (days) whose reminder is due now for a permit ending on `valid_until`, or
    None. Each lead time reminds once; a later run never repeats a longer lead already sent,
    and a permit that already ended is no longer announced as ending."""
    left = (valid_until - today).days
    if left < 0:
        return None
    reached = [lead for lead in leads if left <= lead]
    if not reached:
        return None
    lead = min(reached)
    return lead if reminded is None or lead < reminded else None
