"""Loading the synthetic demo dataset through the real actions.

Organisations, accounts, survivors, cases and everything in them are written by the same actions
the web pages and the API use, so encryption, blind indexes, validation and audit events are all
real. The work runs in a few large transactions (the organisations and accounts, then one per
`batch` cases) so SQLite does not commit row by row; a failure part-way leaves the batches already
committed, and the command says to start again from an empty database.
"""

import datetime as dt
import itertools
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from harbour.accounts.demo import enrol_demo_staff
from harbour.accounts.models import User
from harbour.accounts.policy import Role
from harbour.audit.actions import SystemActor
from harbour.cases import actions as case_actions
from harbour.cases.immigration import demo as immigration_demo
from harbour.cases.models import (
    Case,
    CaseNote,
    FollowUp,
    ServiceProvided,
    SupportPlan,
    Survivor,
    TraffickingEvent,
)
from harbour.demo import organisations, people, sharing
from harbour.demo.identities import given_name
from harbour.demo.names import SURVIVOR_FAMILY
from harbour.demo.people import Staff
from harbour.demo.stories import OrgContext, Story, iter_stories
from harbour.directory import demo as directory_demo
from harbour.grants import demo as grants_demo
from harbour.interchange import demo as interchange_demo
from harbour.orgs.models import Organisation
from harbour.stats import demo as stats_demo

ACTOR = SystemActor("demo")
BATCH = 200
PROGRESS_EVERY = 100

Report = Callable[[str], None]


@dataclass(frozen=True)
class Summary:
    organisations: int
    provinces: int
    accounts: int
    cases: int
    survivors: int
    seconds: float


def demo_exists() -> bool:
    return Organisation.objects.filter(is_synthetic=True).exists()


def load(
    *,
    cases: int,
    seed: int,
    password: str,
    today: dt.date,
    report: Report,
    batch: int = BATCH,
) -> Summary | None:
    """Load the demo once; returns None (and changes nothing) if demo data is already there."""
    if demo_exists():
        return None
    started = time.perf_counter()
    with transaction.atomic():
        partners, national = organisations.create_all(by=ACTOR)
        staff = people.create_all_staff(
            by=ACTOR, partners=partners, national=national, password=password, seed=seed
        )
        enrol_demo_staff(by=ACTOR, password=password, report=report)  # ADR 39
        accounts = sum(len(s.all) for s in staff.values())
        report(
            f"Created {len(partners) + 1} organisations and {accounts} accounts "
            f"in {time.perf_counter() - started:.1f} s."
        )
        _load_directory(partners, seed, report)
    contexts = [_context(org, staff[org.pk], partners) for org in partners]
    stories = iter_stories(count=cases, seed=seed, orgs=contexts, today=today)
    users = {u.pk: u for s in staff.values() for u in s.all}
    loaded = _apply_all(stories, cases, users, batch, report)
    _save_drafts(contexts, users, seed, today)
    sharing.load(partners=partners, national=national, today=today, seed=seed, report=report)
    grants_demo.load_demo(by=ACTOR, orgs=partners, national=national, today=today, seed=seed)
    stats_demo.load(partners=partners, national=national, today=today, seed=seed)
    interchange_demo.load_demo(orgs=partners, report=report)
    return Summary(
        organisations=len(partners) + 1,
        provinces=len({o.province for o in partners}),
        accounts=accounts,
        cases=loaded,
        survivors=Survivor.objects.filter(org__is_synthetic=True).count(),
        seconds=time.perf_counter() - started,
    )


def _context(org: Organisation, staff: Staff, partners: list[Organisation]) -> OrgContext:
    spec = next(s for s in organisations.PARTNERS if s.short_name == org.short_name)
    near = [
        p.pk
        for p in partners
        if p.pk != org.pk and (p.province == org.province or p.province in spec.served)
    ]
    return OrgContext(
        spec=spec,
        pk=org.pk,
        caseworkers=tuple(u.pk for u in staff.caseworkers),
        staff=tuple(
            u.pk for u in staff.caseworkers + [u for u in staff.others if u.role == Role.SUPERVISOR]
        ),
        referrers=tuple(near or [p.pk for p in partners if p.pk != org.pk]),
    )


def _load_directory(partners: list[Organisation], seed: int, report: Report) -> None:
    """The service directory's own demo entries (services of every province, safe houses...)."""
    started = time.perf_counter()
    directory_demo.load_demo(by=ACTOR, orgs=partners, seed=seed)
    report(f"Loaded the service-directory demo data in {time.perf_counter() - started:.1f} s.")


def _apply_all(
    stories: Iterator[Story], total: int, users: dict[Any, User], batch: int, report: Report
) -> int:
    """Write the stories, `batch` cases per transaction; returns how many were written."""
    survivors: dict[int, Survivor] = {}  # those who will come back, by story index
    progress = _Progress(total, report)
    index = 0
    for chunk in _chunks(stories, batch):
        with transaction.atomic():
            for story in chunk:
                case = apply_story(story, users, survivors)
                if story.comes_back:
                    survivors[index] = case.survivor
                index += 1
                progress.step()
    return index


def _chunks(stories: Iterator[Story], size: int) -> Iterator[list[Story]]:
    while chunk := list(itertools.islice(stories, size)):
        yield chunk


def apply_story(story: Story, users: dict[Any, User], survivors: dict[int, Survivor]) -> Case:
    """One case, from intake to where it stands today, written by its caseworker."""
    by = users[story.owner]
    returning = survivors[story.returning_of] if story.returning_of is not None else None
    survivor_values, snapshot = immigration_demo.split(story.survivor)
    case, _created = case_actions.start_intake(
        by=by, survivor_values=survivor_values, case_values=story.case, survivor=returning
    )
    immigration_demo.record(by=by, case=case, snapshot=snapshot, today=timezone.localdate())
    for values in story.events:
        case_actions.add_record(by=by, case=case, model=TraffickingEvent, values=values)
    if story.screening:
        case_actions.screen(by=by, case=case, **story.screening)
    care = story.care
    for model, rows in (
        (ServiceProvided, care.services),
        (SupportPlan, care.plans),
        (FollowUp, care.follow_ups),
    ):
        for values in rows:
            case_actions.add_record(by=by, case=case, model=model, values=values)
    for written_on, body in care.notes:
        note = case_actions.add_record(by=by, case=case, model=CaseNote, values={"body": body})
        _backdate(note, written_on)
    for transition, reason, details in care.transitions:
        case = case_actions.change_status(
            by=by,
            case=case,
            transition=transition,
            closure_reason=reason,
            closure_details=details,
        )
    return case


def _backdate(note: CaseNote, written_on: dt.date) -> None:
    """A demo note is dated when its story says it was written, not the day the demo loaded
    (notes have no date of their own: the time they were written is the date)."""
    when = dt.datetime.combine(written_on, dt.time(12), tzinfo=dt.UTC)
    CaseNote.objects.filter(pk=note.pk).update(created_at=when)


def _save_drafts(
    contexts: list[OrgContext], users: dict[Any, User], seed: int, today: dt.date
) -> None:
    """A few unfinished intakes, as a caseworker leaves them when a call is cut short."""
    rng = random.Random(f"{seed}:drafts")
    with transaction.atomic():
        for ctx in contexts[:3]:
            author = users[ctx.caseworkers[-1]]
            case_actions.save_draft(by=author, data=_draft_data(rng, ctx, today))


def _draft_data(rng: random.Random, ctx: OrgContext, today: dt.date) -> dict[str, list[str]]:
    """Form data as the intake page posts it: `<entity>__<field>` → list of strings."""
    return {
        "survivor__given_name": [given_name(rng, "woman")],
        "survivor__family_name": [rng.choice(SURVIVOR_FAMILY)],
        "survivor__gender_identity": ["woman"],
        "survivor__estimated_age": [str(rng.randint(18, 30))],
        "case__intake_date": [(today - dt.timedelta(days=rng.randint(0, 3))).isoformat()],
        "case__intake_province": [str(ctx.spec.place.province)],
        "case__consent_to_record": ["true"],
        "case__intake_method": [rng.choice(["hotline", "phone", "walk_in"])],
        "case__current_needs": ["emergency_shelter", "immediate_safety"],
    }


class _Progress:
    def __init__(self, total: int, report: Report) -> None:
        self.total, self.done, self.report = total, 0, report
        self.started = time.perf_counter()

    def step(self) -> None:
        self.done += 1
        if self.done % PROGRESS_EVERY and self.done != self.total:
            return
        elapsed = time.perf_counter() - self.started
        rate = self.done / elapsed if elapsed else 0.0
        eta = (self.total - self.done) / rate if rate else 0.0
        self.report(
            f"  {self.done:>6}/{self.total} cases  {rate:6.1f} cases/s  "
            f"elapsed {elapsed:5.1f} s  ETA {eta:5.1f} s"
        )
