"""Reads across models: program search and eligibility, the funding map, partners' referral
records, the collaboration network and committees' representation."""

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from harbour.core import tenancy
from harbour.grants.models import Award, Committee, Group, PartnerProfile, Pillar, Program
from harbour.orgs.models import Organisation
from harbour.stats.core.suppression import DEFAULT_THRESHOLD

# --- programs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramFilter:
    text: str = ""
    funder: str = ""  # a funder's short name
    funder_kind: str = ""
    province: str = ""
    population: str = ""
    pillar: str = ""
    org_type: str = ""
    within_days: int | None = None  # deadline in the next N days
    open_now: bool = False


def today() -> dt.date:
    return timezone.localdate()


def search_programs(
    programs: QuerySet[Program], f: ProgramFilter, on: dt.date | None = None
) -> list[Program]:
    """Text and funder in the database; list-valued eligibility in Python (SQLite cannot search
    inside JSON lists, and there are hundreds of programs, not millions)."""
    on = on or today()
    if f.text:
        words = Q()
        for name in ("name_en", "name_fr", "description_en", "description_fr", "funder__name_en"):
            words |= Q(**{f"{name}__icontains": f.text})
        programs = programs.filter(words)
    if f.funder:
        programs = programs.filter(funder__short_name=f.funder)
    if f.funder_kind:
        programs = programs.filter(funder__kind=f.funder_kind)
    found = [p for p in programs if _matches(p, f, on)]
    return sorted(found, key=lambda p: (p.window(on)[1], p.name_en))


def _matches(p: Program, f: ProgramFilter, on: dt.date) -> bool:
    opens, closes = p.window(on)
    if closes < on:
        return False
    if f.open_now and not opens <= on:
        return False
    if f.within_days is not None and (closes - on).days > f.within_days:
        return False
    return (
        _covers(p.provinces, f.province)
        and _covers(p.populations, f.population)
        and _covers(p.pillars, f.pillar)
        and _covers(p.org_types, f.org_type)
    )


def _covers(allowed: list[str], wanted: str) -> bool:
    """An empty eligibility list means anyone; a population or pillar filter asks for programs
    that name it (an empty list then matches too: the program is open to all)."""
    return not wanted or not allowed or wanted in allowed


def eligible_for(
    org: Organisation, programs: QuerySet[Program], on: dt.date | None = None
) -> list[Program]:
    """Programs whose intake is open now or comes next, for this organisation's type and any of
    the provinces and territories it works in."""
    on = on or today()
    regions = set(org.provinces_served or []) | {org.province}
    out = []
    for p in programs.filter(is_active=True):
        if p.window(on)[1] < on:
            continue
        if p.org_types and org.type not in p.org_types:
            continue
        if p.provinces and not regions & set(p.provinces):
            continue
        out.append(p)
    return sorted(out, key=lambda p: (p.window(on)[1], p.name_en))


def upcoming_deadlines(
    programs: Iterable[Program], on: dt.date | None = None
) -> list[tuple[Program, dt.date, dt.date]]:
    on = on or today()
    rows = [(p, *p.window(on)) for p in programs]
    return sorted((r for r in rows if r[2] >= on), key=lambda r: (r[2], r[0].name_en))


# --- the funding map --------------------------------------------------------------------------


@dataclass
class Funding:
    """Money awarded, by province (and per 100,000 people), pillar and population."""

    by_province: dict[str, int]
    per_100k: dict[str, int]
    by_pillar: dict[str, int]
    by_population: dict[str, int]
    matrix: dict[tuple[str, str], int]  # (province, pillar)
    populations: dict[tuple[str, str], int]  # (province, population)
    total: int
    years: list[int]


def funding(awards: QuerySet[Award], year: int | None = None) -> Funding:
    from harbour.directory.places import provinces

    known = provinces()
    years = sorted({d.year for d in awards.values_list("starts_on", flat=True)})
    if year:
        awards = awards.filter(starts_on__year=year)
    by_province: dict[str, int] = dict.fromkeys(known, 0)
    by_pillar: dict[str, int] = dict.fromkeys(Pillar.values, 0)
    by_population: dict[str, int] = defaultdict(int)
    matrix: dict[tuple[str, str], int] = defaultdict(int)
    populations: dict[tuple[str, str], int] = defaultdict(int)
    for a in awards.select_related(None).only("amount", "province", "pillars", "populations"):
        by_province[a.province] = by_province.get(a.province, 0) + a.amount
        # An award serving several pillars is split evenly so that every table adds up.
        for pillar in a.pillars or []:
            share = a.amount // len(a.pillars)
            by_pillar[pillar] = by_pillar.get(pillar, 0) + share
            matrix[(a.province, pillar)] += share
        for population in a.populations or []:
            share = a.amount // len(a.populations)
            by_population[population] += share
            populations[(a.province, population)] += share
    per_100k = {
        code: round(by_province.get(code, 0) * 100_000 / p.population) for code, p in known.items()
    }
    return Funding(
        by_province=by_province,
        per_100k=per_100k,
        by_pillar=by_pillar,
        by_population=dict(by_population),
        matrix=dict(matrix),
        populations=dict(populations),
        total=sum(by_province.values()),
        years=years,
    )


def gaps_by_province(user: Any) -> dict[str, dict[str, int]]:
    """From the directory: per province, stages of care with most people beyond reach (or no
    service at all), and the people far from a shelter — what the money should be set against."""
    from harbour.directory import coverage, policy
    from harbour.directory.pathway import pathway

    data = coverage.coverage(policy.audience_of(user))
    out: dict[str, dict[str, int]] = {}
    for (province, _stage), cell in data.cells.items():
        row = out.setdefault(province, {"stages_missing": 0, "people_far": 0})
        if cell.severity >= 3:
            row["stages_missing"] += 1
        row["people_far"] = max(row["people_far"], cell.people_far)
    out["_stages"] = {"count": len(pathway().stages)}
    return out


# --- partners ---------------------------------------------------------------------------------


@dataclass
class ReferralRecord:
    received: int = 0
    answered: int = 0
    accepted: int = 0
    response_hours: list[float] = field(default_factory=list)

    @property
    def enough(self) -> bool:
        """Rates over a handful of referrals say little and could point at one survivor's
        journey: below the publication threshold they are withheld."""
        return self.received >= DEFAULT_THRESHOLD

    @property
    def acceptance_rate(self) -> float | None:
        if not self.enough or not self.answered:
            return None
        return self.accepted / self.answered

    @property
    def median_response_hours(self) -> float | None:
        if not self.enough or not self.response_hours:
            return None
        return round(statistics.median(self.response_hours), 1)


def referral_records(org_ids: Iterable[Any] | None = None) -> dict[Any, ReferralRecord]:
    from harbour.sharing.models import Referral

    rows = Referral.objects.all()
    if org_ids is not None:
        rows = rows.filter(receiving_org_id__in=list(org_ids))
    # Counts and times only, never a referral's content: across organisations on purpose.
    with tenancy.widened("grants: referral record per partner"):
        facts = list(rows.values_list("receiving_org_id", "status", "created_at", "responded_at"))
    out: dict[Any, ReferralRecord] = defaultdict(ReferralRecord)
    for receiver, status, sent, answered in facts:
        rec = out[receiver]
        rec.received += 1
        if answered is not None:
            rec.answered += 1
            rec.response_hours.append((answered - sent).total_seconds() / 3600)
        if status in {"accepted", "completed"}:
            rec.accepted += 1
    return out


def agreement_status(org: Organisation, on: dt.date | None = None) -> dict[str, int]:
    from harbour.sharing.models import Party

    on = on or today()
    parties = Party.objects.filter(org=org, left_at=None, agreement__terminated_at=None)
    live = (
        parties.exclude(accepted_at=None)
        .filter(agreement__valid_from__lte=on)
        .filter(Q(agreement__valid_until=None) | Q(agreement__valid_until__gte=on))
    )
    return {
        "active": live.filter(agreement__is_national_protocol=False).count(),
        "national_protocol": live.filter(agreement__is_national_protocol=True).count(),
        "pending": parties.filter(accepted_at=None).count(),
    }


@dataclass(frozen=True)
class Edge:
    source: Any
    target: Any
    count: int


def network_edges() -> list[Edge]:
    """Who refers to whom, counted by pair of organisations (never by survivor)."""
    from harbour.sharing.models import Referral

    pairs = Referral.objects.values("org_id", "receiving_org_id").annotate(n=Count("id"))
    with tenancy.widened("grants: referrals counted by pair of organisations"):
        pairs = list(pairs)  # type: ignore[assignment]
    return [
        Edge(p["org_id"], p["receiving_org_id"], p["n"])
        for p in pairs
        if p["org_id"] != p["receiving_org_id"]
    ]


def profiles_by_org() -> dict[Any, PartnerProfile]:
    return {p.org_id: p for p in PartnerProfile.objects.all()}


# --- committees -------------------------------------------------------------------------------


def groups_represented(committee: Committee) -> set[str]:
    return set(
        PartnerProfile.objects.filter(org__in=committee.seats.values("org_id")).values_list(
            "group", flat=True
        )
    )


def missing_groups(committee: Committee) -> list[str]:
    """The four key groups a committee should include, in their usual order, minus those its
    members represent (a member without a partner profile represents no group yet)."""
    present = groups_represented(committee)
    return [g for g in Group.values if g not in present]
