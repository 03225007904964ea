"""Directory search and the care map: reads over the search index, through the policy.

The care map asks, for each pathway stage, the index for candidates near the place and for those
that serve it without a disclosed position (`nearby.py`), filters by eligibility in SQL, then
ranks the few dozen candidates in Python by fit, distance, vacancy and language (docs/adr/0012).
"""

import datetime as dt
import math
import uuid
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from typing import Any

from django.db.models import F, FloatField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from harbour.directory import policy
from harbour.directory.index import ALL_STAGES, open_on
from harbour.directory.models import (
    CapacityUnit,
    SearchEntry,
    Service,
    ServiceStatus,
)
from harbour.directory.nearby import (
    ENTRY_FIELDS,
    d2,
    in_area_sql,
    near_rows,
    nearest_beyond,
)
from harbour.directory.pathway import Stage, pathway, stages_for_needs
from harbour.directory.places import Place, bounding_box, km_between
from harbour.directory.regions import unplaced_q, with_region_distance

NEAR_CANDIDATES = 60
AREA_CANDIDATES = 30
SHOWN_PER_STAGE = 5
ALTERNATIVES = 3
MEN = {"man", "trans_man"}


@dataclass(frozen=True)
class Profile:
    """What the care map needs to know about the survivor (never stored by the directory)."""

    age: int | None = None
    gender: str = ""
    children: bool = False
    pregnant: bool = False
    language: str = ""
    interpreter: bool = False
    addiction: bool = False
    status_precarious: bool = False
    pets: bool = False
    indigenous: bool = False
    twoslgbtqi: bool = False

    def needed_flags(self) -> tuple[str, ...]:
        """The eligibility columns a service must not answer "no" to for this survivor."""
        needs = {
            "accepts_children": self.children,
            "accepts_pregnant": self.pregnant,
            "addiction_accepted": self.addiction,
            "pets_allowed": self.pets,
            "immigration_status_not_required": self.status_precarious,
        }
        return tuple(name for name, needed in needs.items() if needed)


@dataclass(frozen=True)
class ServiceCard:
    """What a result card shows of a service (the full record is loaded on its own page)."""

    pk: Any
    name: str
    status: str
    is_synthetic: bool
    capacity_unit: str
    capacity_total: int | None
    capacity_available: int | None
    waitlist: int | None
    capacity_updated_at: dt.datetime | None
    provider_name: str | None  # None: its organisation is not in this directory (ADR 43)

    def get_capacity_unit_display(self) -> str:
        return str(dict(CapacityUnit.choices).get(self.capacity_unit, self.capacity_unit))

    def get_status_display(self) -> str:
        return str(dict(ServiceStatus.choices).get(self.status, self.status))


@dataclass
class Match:
    service_id: Any
    service_at_location_id: Any
    distance_km: float | None
    score: float
    reasons: list[str]
    row: dict[str, Any]
    service: ServiceCard | None = None
    place: Any = None
    phones: list[str] = field(default_factory=list)  # the service's own (intake) numbers

    @property
    def name(self) -> str:
        return self.service.name if self.service is not None else ""

    @property
    def available(self) -> int | None:
        value: int | None = self.row["capacity_available"]
        return value


@dataclass
class StageResult:
    stage: Stage
    needed: bool
    matches: list[Match] = field(default_factory=list)
    alternatives: list[Match] = field(default_factory=list)

    @property
    def is_gap(self) -> bool:
        return not self.matches


@dataclass
class CareMap:
    place: Place
    profile: Profile
    needs: list[str]
    stages: list[StageResult]

    @property
    def gaps(self) -> list[StageResult]:
        return [s for s in self.stages if s.is_gap]


# --- eligibility ------------------------------------------------------------------------------


def eligibility_q(profile: Profile) -> Q:
    """Hard exclusions only where a service says no; "not stated" still matches."""
    q = Q()
    if profile.age is not None:
        q &= Q(minimum_age__isnull=True) | Q(minimum_age__lte=profile.age)
        q &= Q(maximum_age__isnull=True) | Q(maximum_age__gte=profile.age)
    if profile.gender and profile.gender not in {"unknown", "prefers_not_to_say"}:
        q &= Q(genders="") | Q(genders__contains=f" {profile.gender} ")
    for name in profile.needed_flags():
        q &= ~Q(**{name: False})
    return q


# --- candidates -------------------------------------------------------------------------------


def _base(aud: policy.Audience, profile: Profile) -> QuerySet[SearchEntry]:
    return (
        policy.entries_for(aud).filter(status=ServiceStatus.ACTIVE).filter(eligibility_q(profile))
    )


def _uuid(value: Any) -> Any:
    """SQLite returns UUIDs as hex text."""
    return value if value is None or isinstance(value, uuid.UUID) else uuid.UUID(str(value))


# --- ranking ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scorer:
    """The profile's part of the score, worked out once per care map."""

    modifiers: tuple[str, ...]  # profile modifiers that apply (youth, men and boys...)
    flags: tuple[str, ...]  # eligibility the survivor needs; "not stated" costs a little
    language: str

    @classmethod
    def of(cls, profile: Profile) -> "_Scorer":
        modifiers = {
            "youth": profile.age is not None and profile.age < 25,
            "men_and_boys": profile.gender in MEN,
            "indigenous_cultural": profile.indigenous,
            "twoslgbtqi_affirming": profile.twoslgbtqi,
            "interpretation": profile.interpreter,
        }
        return cls(
            tuple(term for term, applies in modifiers.items() if applies),
            profile.needed_flags(),
            f" {profile.language} " if profile.language else "",
        )

    def score(self, row: dict, stage: Stage, wanted: set[str]) -> tuple[float, list[str]]:
        terms = set(row["terms"].split())
        reasons: list[str] = []
        fit = 0.5
        if wanted and terms & wanted:
            fit += 0.3
            reasons.append("meets_need")
        for term in self.modifiers:
            if term in terms:
                fit += 0.1
                reasons.append(term)
        fit -= 0.05 * sum(1 for name in self.flags if row[name] is None)
        distance = row["distance_km"]
        near = 0.5 if distance is None else 1 - min(distance, stage.radius_km) / stage.radius_km
        available = row["capacity_available"]
        vacancy = 0.5 if available is None else (1.0 if available > 0 else 0.1)
        if available:
            reasons.append("vacancy")
        language = self._language(row, terms)
        if language >= 1:
            reasons.append("language")
        return 0.4 * fit + 0.3 * near + 0.2 * vacancy + 0.1 * language, reasons

    def _language(self, row: dict, terms: set[str]) -> float:
        if not self.language:
            return 0.5
        if self.language in row["languages"]:
            return 1.0
        return 0.7 if "interpretation" in terms else 0.2


def _ranked(
    rows: list[dict],
    stage: Stage,
    wanted: set[str],
    scorer: _Scorer,
    today: dt.date,
    limit: int,
) -> list[Match]:
    """The `limit` best open services, each at its best-scoring place."""
    best: dict[Any, tuple[float, list[str], dict]] = {}
    for row in rows:
        if not open_on(row["dates"], today):
            continue
        score, reasons = scorer.score(row, stage, wanted)
        current = best.get(row["service_id"])
        if current is None or score > current[0]:
            best[row["service_id"]] = (score, reasons, row)
    ranked = sorted(
        best.values(), key=lambda b: (-b[0], b[2]["distance_km"] or 0, str(b[2]["service_id"]))
    )
    return [
        Match(
            _uuid(row["service_id"]),
            _uuid(row["service_at_location_id"]),
            row["distance_km"],
            score,
            reasons,
            row,
        )
        for score, reasons, row in ranked[:limit]
    ]


# --- the care map -----------------------------------------------------------------------------


def care_map(
    aud: policy.Audience,
    place: Place,
    needs: list[str],
    profile: Profile,
    *,
    today: dt.date | None = None,
) -> CareMap:
    today = today or timezone.localdate()
    wanted = stages_for_needs(needs)
    stages = list(pathway().stages)
    base = _base(aud, profile)
    codes = [s.code for s in stages]
    area = in_area_sql(base, place, codes, AREA_CANDIDATES)
    radii = {s.code: s.radius_km for s in stages}
    scorer = _Scorer.of(profile)
    near, beside = near_rows(base, place, radii, NEAR_CANDIDATES, extra=area)
    results = []
    for stage in stages:
        rows = near[stage.code] + beside[stage.code]
        ranked = _ranked(rows, stage, wanted.get(stage.code, set()), scorer, today, SHOWN_PER_STAGE)
        results.append(StageResult(stage, stage.code in wanted, ranked))
    _add_alternatives(base, place, scorer, [r for r in results if r.is_gap], today)
    attach_services(aud, [m for s in results for m in s.matches + s.alternatives])
    return CareMap(place, profile, needs, results)


def _add_alternatives(
    base: QuerySet[SearchEntry],
    place: Place,
    scorer: _Scorer,
    gaps: list[StageResult],
    today: dt.date,
) -> None:
    if not gaps:
        return
    rows = nearest_beyond(base, place, [g.stage for g in gaps], ALTERNATIVES)
    for gap in gaps:
        stage = gap.stage
        far = Stage(stage.code, stage.label, 10_000, stage.remote_ok, stage.terms, stage.order)
        gap.alternatives = _ranked(rows[stage.code], far, set(), scorer, today, ALTERNATIVES)


_CARD_FIELDS = [f.name for f in dataclass_fields(ServiceCard)][:-1]


def attach_services(aud: policy.Audience, matches: list[Match]) -> None:
    """Load what the result cards show, in three narrow queries, each place through the
    policy."""
    from harbour.directory.models import Phone

    ids = {m.service_id for m in matches}
    cards = {
        row[0]: ServiceCard(*row)
        for row in Service.objects.filter(pk__in=ids).values_list(*_CARD_FIELDS, "provider__name")
    }
    phones: dict[Any, list[str]] = {}
    for service_id, number in (
        Phone.objects.filter(service_id__in=ids, location__isnull=True)
        .order_by("created_at", "id")
        .values_list("service_id", "number")
    ):
        phones.setdefault(service_id, []).append(number)
    places = policy.card_places(aud, {m.service_at_location_id for m in matches} - {None})
    for m in matches:
        m.service = cards.get(m.service_id)
        m.phones = phones.get(m.service_id, [])
        m.place = places.get(m.service_at_location_id)


# --- directory search -------------------------------------------------------------------------


@dataclass
class SearchPage:
    matches: list[Match]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


def search(
    aud: policy.Audience,
    *,
    text: str = "",
    term: str = "",
    place: Place | None = None,
    radius_km: float = 100,
    profile: Profile | None = None,
    page: int = 1,
    page_size: int = 20,
) -> SearchPage:
    from harbour.directory.places import fold

    qs = policy.entries_for(aud).filter(stage=ALL_STAGES).exclude(status=ServiceStatus.DEFUNCT)
    for word in fold(text).split()[:8]:
        qs = qs.filter(text__contains=word)
    if term:
        qs = qs.filter(terms__contains=f" {term} ")
    if profile is not None:
        qs = qs.filter(eligibility_q(profile))
    if place is not None:
        lat0, lat1, lon0, lon1 = bounding_box(place.latitude, place.longitude, radius_km)
        qs = with_region_distance(qs, place).filter(
            Q(latitude__gte=lat0, latitude__lte=lat1, longitude__gte=lon0, longitude__lte=lon1)
            | unplaced_q(place)
        )
    total = qs.values("service_id").distinct().count()
    if place is not None:
        qs = qs.annotate(d2=Cast(d2(place), FloatField())).order_by(
            F("d2").asc(nulls_last=True), "service_id"
        )
    else:
        qs = qs.order_by("service__name", "service_id")
    rows = list(qs.values(*ENTRY_FIELDS)[: page * page_size * 4])
    matches = _search_matches(rows, place, radius_km)
    chosen = matches[(page - 1) * page_size : page * page_size]
    attach_services(aud, chosen)
    return SearchPage(chosen, total, page, page_size)


def _search_matches(rows: list[dict], place: Place | None, radius_km: float) -> list[Match]:
    seen: dict[Any, Match] = {}
    for row in rows:
        distance = None
        if place is not None and row["latitude"] is not None:
            distance = km_between(
                place.latitude, place.longitude, row["latitude"], row["longitude"]
            )
            if distance > radius_km:
                continue
        current = seen.get(row["service_id"])
        if current is None or (
            distance is not None and (current.distance_km is None or distance < current.distance_km)
        ):
            seen[row["service_id"]] = Match(
                row["service_id"], row["service_at_location_id"], distance, 0.0, [], row
            )
    return list(seen.values())


def stale(service: Service, today: dt.date | None = None) -> bool:
    """Not verified in the last 90 days (or never)."""
    today = today or timezone.localdate()
    return service.assured_date is None or (today - service.assured_date).days > 90
