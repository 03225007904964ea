"""What happens in a demo case after intake: services, support plans, follow-ups, notes, and
where the case stands now (mostly active or in follow-up; older cases more often closed).

Everything is dated between the intake and the load's "today" (and before the notional closure
of a closed case), because the standard refuses future dates.
"""

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from harbour.demo import texts
from harbour.demo.profiles import Person, pick

SERVICE_FOR_NEED = {
    "immediate_safety": "crisis_line", "emergency_shelter": "emergency_shelter",
    "safe_housing": "safe_house", "transitional_housing": "transitional_housing",
    "long_term_housing": "long_term_housing", "detox_addiction_treatment": "detox_addiction",
    "harm_reduction": "detox_addiction", "mental_health": "mental_health",
    "trauma_care": "trauma_therapy", "physical_health": "medical_sexual_health",
    "sexual_reproductive_health": "medical_sexual_health", "legal": "legal_aid",
    "criminal_record_help": "legal_aid", "immigration_trp": "immigration_trp",
    "victim_services_court_support": "victim_services_court_support", "income": "income_support",
    "financial_literacy_debt": "income_support", "employment": "employment_training",
    "education_training": "education", "child_care": "child_care",
    "interpretation": "interpretation", "indigenous_cultural_supports": "indigenous_cultural",
    "peer_support": "survivor_peer_support", "identity_documents": "case_management",
    "phone_technology_safety": "case_management", "family_reunification": "case_management",
    "repatriation": "case_management", "case_management": "case_management",
}  # fmt: skip
PLAN_TYPES = {
    "sexual": {"safety": 0.3, "housing": 0.2, "sexual_exploitation_recovery": 0.2, "health": 0.1,
               "livelihood": 0.05, "education": 0.05, "legal": 0.1},
    "labour": {"immigration": 0.3, "labour_exploitation_recovery": 0.25, "livelihood": 0.2,
               "legal": 0.15, "housing": 0.1},
    "other": {"safety": 0.35, "housing": 0.2, "legal": 0.15, "immigration": 0.1,
              "financial": 0.1, "health": 0.1},
}  # fmt: skip
FOLLOW_UP_OUTCOME = {
    "reached_no_change": 0.45, "reached_needs_changed": 0.2, "reached_safety_concern": 0.08,
    "not_reached": 0.2, "reached_no_further_contact": 0.05, "other": 0.02,
}  # fmt: skip
CONTACT_METHOD = {"phone": 0.35, "text_message": 0.3, "in_person": 0.25, "video": 0.05,
                  "messaging_app": 0.05}  # fmt: skip
CLOSURE_REASON = {
    "goals_met": 0.35, "lost_contact": 0.2, "survivor_ended_services": 0.15, "moved_away": 0.1,
    "returned_to_home_country": 0.05, "not_trafficking": 0.05, "opened_in_error": 0.02,
    "other": 0.03,
}  # fmt: skip


@dataclass
class Care:
    status: str  # case_status code the case ends in
    end: dt.date  # the last day anything happened (notional closure for closed cases)
    transitions: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)
    follow_ups: list[dict[str, Any]] = field(default_factory=list)
    notes: list[tuple[dt.date, str]] = field(default_factory=list)  # (written on, body)


def case_status(rng: random.Random, intake: dt.date, today: dt.date) -> str:
    days = (today - intake).days
    if days < 90:
        weights = {"active": 0.85, "follow_up": 0.10, "closed": 0.05}
    elif days < 365:
        weights = {"active": 0.50, "follow_up": 0.30, "closed": 0.20}
    else:
        weights = {"active": 0.25, "follow_up": 0.35, "closed": 0.40}
    return pick(rng, weights)


def closure(
    rng: random.Random, person: Person, trafficking: str, *, french: bool
) -> tuple[str, str | None]:
    weights = dict(CLOSURE_REASON)
    if not person.foreign:
        weights.pop("returned_to_home_country")
    if trafficking == "not_trafficked":
        weights["not_trafficking"] = 2.0
    reason = pick(rng, weights)
    details = texts.choose(rng, texts.CLOSURE_DETAILS, french) if rng.random() < 0.3 else None
    return reason, details


def plan_care(
    rng: random.Random,
    person: Person,
    case: dict[str, Any],
    *,
    intake: dt.date,
    today: dt.date,
    status: str,
    staff: tuple[Any, ...],
    french: bool,
) -> Care:
    end = today
    if status == "closed" and (today - intake).days > 30:
        end = intake + dt.timedelta(days=rng.randint(30, (today - intake).days))
    care = Care(status=status, end=end)
    if status == "follow_up":
        care.transitions.append(("to_follow_up", None, None))
    elif status == "closed":
        reason, details = closure(rng, person, case.get("trafficking_status", ""), french=french)
        if rng.random() < 0.5:
            care.transitions.append(("to_follow_up", None, None))
        care.transitions.append(("close", reason, details))
    care.services = _services(rng, person, case.get("current_needs", []), intake, end, staff)
    care.plans = _plans(rng, person, intake, end, status, french=french)
    care.follow_ups = _follow_ups(rng, intake, end, status, french=french)
    care.notes = _dated(_notes(rng, person, french=french), intake, end)
    return care


def _days_between(rng: random.Random, start: dt.date, end: dt.date, count: int) -> list[dt.date]:
    span = max(0, (end - start).days)
    return sorted(start + dt.timedelta(days=rng.randint(0, span)) for _ in range(count))


def _services(
    rng: random.Random,
    person: Person,
    needs: list[str],
    intake: dt.date,
    end: dt.date,
    staff: tuple[Any, ...],
) -> list[dict[str, Any]]:
    if rng.random() < 0.05:
        return []
    count = min(len(needs) + 1, 1 + (end - intake).days // 90, 4)
    wanted = rng.sample(needs, k=min(len(needs), count))
    if rng.random() < 0.6:
        wanted = ["case_management", *wanted][:count]
    services = []
    for need, day in zip(wanted, _days_between(rng, intake, end, len(wanted)), strict=True):
        service: dict[str, Any] = {
            "service_type": SERVICE_FOR_NEED.get(need, "other"),
            "provided_on": day,
        }
        if need != "case_management":
            service["need_addressed"] = need
        if staff and rng.random() < 0.65:
            service["provided_by"] = rng.choice(staff)
        else:
            service["external_provider"] = rng.choice(texts.EXTERNAL_PROVIDERS)
        services.append(service)
    if person.minor and rng.random() < 0.5:
        services.append({"service_type": "youth", "provided_on": intake,
                         "external_provider": "Youth drop-in centre"})  # fmt: skip
    return services


def _plans(
    rng: random.Random,
    person: Person,
    intake: dt.date,
    end: dt.date,
    status: str,
    *,
    french: bool,
) -> list[dict[str, Any]]:
    count = pick(rng, {"0": 0.3, "1": 0.55, "2": 0.15})
    family = person.kind if person.kind in PLAN_TYPES else "other"
    plans = []
    for _ in range(int(count)):
        plan_type = pick(rng, PLAN_TYPES[family])
        objectives_en, objectives_fr, action_en, action_fr = texts.PLANS[plan_type]
        plan: dict[str, Any] = {
            "plan_type": plan_type,
            "objectives": objectives_fr if french else objectives_en,
            "action_plan": action_fr if french else action_en,
            "planned_end_date": intake + dt.timedelta(days=rng.randint(90, 360)),
            "status": _plan_status(rng, status),
        }
        if plan["status"] in {"completed", "ended_early"}:
            plan["actual_end_date"] = _days_between(rng, intake, end, 1)[0]
        plans.append(plan)
    return plans


def _plan_status(rng: random.Random, case_status: str) -> str:
    if case_status == "closed":
        return pick(rng, {"completed": 0.6, "ended_early": 0.4})
    if case_status == "follow_up":
        return pick(rng, {"completed": 0.5, "active": 0.5})
    return pick(rng, {"active": 0.6, "draft": 0.2, "on_hold": 0.2})


def _follow_ups(
    rng: random.Random, intake: dt.date, end: dt.date, status: str, *, french: bool
) -> list[dict[str, Any]]:
    first = intake + dt.timedelta(days=14)
    if first > end:
        return []
    most = {"follow_up": 4, "closed": 3}.get(status, 2)
    count = min(rng.randint(0 if status == "active" else 1, most), 1 + (end - first).days // 45)
    follow_ups = []
    for day in _days_between(rng, first, end, count):
        entry: dict[str, Any] = {
            "follow_up_date": day,
            "method": pick(rng, CONTACT_METHOD),
            "outcome": pick(rng, FOLLOW_UP_OUTCOME),
        }
        if status != "closed":
            entry["next_follow_up_date"] = day + dt.timedelta(days=rng.randint(14, 60))
        if rng.random() < 0.4:
            entry["details"] = texts.choose(rng, texts.FOLLOW_UPS, french)
        follow_ups.append(entry)
    return follow_ups


def _dated(bodies: list[str], start: dt.date, end: dt.date) -> list[tuple[dt.date, str]]:
    """Notes spread evenly over the case's life (no random draw: the rest of the story stays
    what the seed made it)."""
    span = max(0, (end - start).days)
    step = span / (len(bodies) + 1)
    return [(start + dt.timedelta(days=round(step * (i + 1))), b) for i, b in enumerate(bodies)]


def _notes(rng: random.Random, person: Person, *, french: bool) -> list[str]:
    count = pick(rng, {"0": 0.15, "1": 0.45, "2": 0.3, "3": 0.1})
    themed = texts.NOTES.get("labour" if person.kind in {"labour", "servitude"} else "sexual", ())
    options = texts.NOTES["any"] + themed
    return [texts.choose(rng, options, french) for _ in range(int(count))]
