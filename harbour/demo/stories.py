"""Planning the demo's cases: one Story per case, drawn from a seed without touching the database.

A story holds exactly the values the real actions will receive (start_intake, add_record, screen,
change_status), so the same seed and the same "today" always give the same dataset. About 10% of
intakes are anonymous (no consent to record, so no identifiers), and a few survivors come back to
the same organisation for a second episode after their first case was closed.
"""

import dataclasses
import datetime as dt
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from harbour.demo import situations
from harbour.demo.care import Care, case_status, plan_care
from harbour.demo.identities import dependants_of, survivor_values
from harbour.demo.journeys import Journey, Stop, event_values, make_journey
from harbour.demo.organisations import OrgSpec
from harbour.demo.profiles import Person, make_person
from harbour.demo.screening import (
    decided_by,
    indicators_met,
    screening_plan,
    trafficking_status,
)

ANONYMOUS = 0.11  # about 10% of all intakes, as returning survivors had consented
YEARS = 3
GROWTH = 0.8  # intakes per day rise by 80% over the three years
RETURN_AFTER_DAYS = 120


@dataclass(frozen=True)
class OrgContext:
    """What planning needs to know of one partner organisation (ids, not database objects)."""

    spec: OrgSpec
    pk: Any
    caseworkers: tuple[Any, ...]  # user ids that own cases
    staff: tuple[Any, ...]  # user ids that provide services
    referrers: tuple[Any, ...]  # ids of other partners that refer people here


@dataclass
class Story:
    org: int  # index into the OrgContext list
    owner: Any  # user id
    intake: dt.date
    person: Person
    survivor: dict[str, Any]
    case: dict[str, Any]
    events: list[dict[str, Any]]
    screening: dict[str, Any] | None
    care: Care
    returning_of: int | None = None  # index of the story whose survivor comes back
    comes_back: bool = False  # this survivor will return for a second episode


def intake_dates(rng: random.Random, count: int, today: dt.date) -> list[dt.date]:
    """Dates over the last three years, more of them recently, mostly on weekdays."""
    span = YEARS * 365
    start = today - dt.timedelta(days=span)
    dates = []
    for _ in range(count):
        u = rng.random()  # inverse of the CDF of a density rising linearly by GROWTH
        x = (-1 + math.sqrt(1 + 2 * GROWTH * u * (1 + GROWTH / 2))) / GROWTH
        day = start + dt.timedelta(days=round(x * span))
        if day.weekday() >= 5 and rng.random() < 0.7:
            day -= dt.timedelta(days=day.weekday() - 4)  # to the Friday before
        dates.append(min(day, today))
    return sorted(dates)


def plan_stories(*, count: int, seed: int, orgs: list[OrgContext], today: dt.date) -> list[Story]:
    return list(iter_stories(count=count, seed=seed, orgs=orgs, today=today))


def iter_stories(
    *, count: int, seed: int, orgs: list[OrgContext], today: dt.date
) -> Iterator[Story]:
    """`count` stories in the order to load them: by intake date, then the second episodes.
    A generator, so that a benchmark-sized load does not hold every story in memory."""
    rng = random.Random(f"{seed}:cases")
    wanted = max(1, count // 60) if count >= 10 else 0
    dates = intake_dates(rng, count - wanted, today)
    returning = min(wanted, len(_early(dates, today)))
    if returning < wanted:  # too few old enough intakes to come back: plain intakes instead
        dates = sorted(dates + intake_dates(rng, wanted - returning, today))
    comes_back = set(rng.sample(_early(dates, today), k=returning))
    weights = [o.spec.weight for o in orgs]
    firsts: dict[int, Story] = {}
    for i, day in enumerate(dates):
        org = rng.choices(range(len(orgs)), weights=weights)[0]
        story = make_story(rng, org, orgs[org], day, today, closes=i in comes_back)
        if i in comes_back:
            firsts[i] = story
        yield story
    for first in sorted(comes_back):
        yield _second_episode(rng, first, firsts[first], orgs, today)


def _early(dates: list[dt.date], today: dt.date) -> list[int]:
    """Indexes of intakes old enough for the survivor to have come back since."""
    cutoff = today - dt.timedelta(days=2 * RETURN_AFTER_DAYS)
    return [i for i, day in enumerate(dates) if day <= cutoff]


def _second_episode(
    rng: random.Random, index: int, first: Story, orgs: list[OrgContext], today: dt.date
) -> Story:
    # After the first case was closed, and at least a few months after it began.
    earliest = max(
        first.intake + dt.timedelta(days=RETURN_AFTER_DAYS),
        first.care.end + dt.timedelta(days=14),
    )
    intake = min(
        today, earliest + dt.timedelta(days=rng.randint(0, max(0, (today - earliest).days)))
    )
    person = dataclasses.replace(first.person, age=first.person.age_on(intake))
    return make_story(
        rng, first.org, orgs[first.org], intake, today, person=person, returning_of=index
    )


def make_story(
    rng: random.Random,
    org: int,
    ctx: OrgContext,
    intake: dt.date,
    today: dt.date,
    *,
    person: Person | None = None,
    returning_of: int | None = None,
    closes: bool = False,
) -> Story:
    spec, home = ctx.spec, ctx.spec.place
    assert home.province is not None
    person = person or make_person(rng, spec, home.province, intake)
    consent = returning_of is not None or closes or rng.random() >= ANONYMOUS
    french = person.language == "fra" or rng.random() < spec.french
    types = situations.exploitation_types(rng, person.kind)
    found_in = situations.industries(rng, person, spec.focus)
    journey = make_journey(rng, person, home, intake, found_in)
    dependants = dependants_of(rng, person)
    survivor = (
        {}
        if returning_of is not None
        else survivor_values(rng, person, home, consent=consent, dependants=dependants)
    )
    case = _case_values(rng, ctx, person, intake, consent, journey, types, found_in, dependants)
    screening = _screening(
        rng, person, case, intake, today, consent=consent, french=french, focus=spec.focus
    )
    status = "closed" if closes else case_status(rng, intake, today)
    care = plan_care(
        rng,
        person,
        case,
        intake=intake,
        today=today,
        status=status,
        staff=ctx.staff,
        french=french,
    )
    return Story(
        org=org,
        owner=rng.choice(ctx.caseworkers),
        intake=intake,
        person=person,
        survivor=survivor,
        case=case,
        events=_events(rng, journey, consent, french),
        screening=screening,
        care=care,
        returning_of=returning_of,
        comes_back=closes,
    )


def _case_values(
    rng: random.Random,
    ctx: OrgContext,
    person: Person,
    intake: dt.date,
    consent: bool,
    journey: Journey,
    types: list[str],
    found_in: list[str],
    dependants: int,
) -> dict[str, Any]:
    home = ctx.spec.place
    case: dict[str, Any] = {
        "intake_date": intake,
        "intake_province": home.province,
        "intake_city": home.city,
        "consent_to_record": consent,
    }
    case |= situations.intake_fields(rng, ctx.spec.focus, intake, list(ctx.referrers))
    case |= situations.victim_context(rng, person, journey, types, found_in)
    case["current_needs"] = situations.needs(rng, person, dependants)
    return case


def _screening(
    rng: random.Random,
    person: Person,
    case: dict[str, Any],
    intake: dt.date,
    today: dt.date,
    *,
    consent: bool,
    french: bool,
    focus: str,
) -> dict[str, Any] | None:
    """Screen most cases; the case's trafficking status follows what the screening found."""
    plan = None
    if rng.random() < (0.7 if consent else 0.5):
        plan = screening_plan(rng, person, case, intake, today, french=french)
    met = indicators_met(plan["indicator_set"], plan["indicators"]) if plan else None
    case["trafficking_status"] = trafficking_status(rng, met)
    decider = decided_by(rng, person, case["trafficking_status"], focus)
    if decider:
        case["status_decided_by"] = decider
    return plan


def _events(
    rng: random.Random, journey: Journey, consent: bool, french: bool
) -> list[dict[str, Any]]:
    share = {"recruitment": 0.75, "transit": 1.0, "exploitation": 0.92}
    told = 1.0 if consent else 0.6  # anonymous intakes record less

    def recorded(stop: Stop) -> bool:
        return rng.random() < share[stop.event_type] * told

    return [event_values(rng, stop, french=french) for stop in journey.stops if recorded(stop)]
