"""Directory search and the care map: reads over the search index, through the policy.

The care map asks, for each pathway stage, the index for services near the place (a range scan on
stage + latitude inside a bounding box, ordered by an equirectangular distance) and for services
that cover the place's province without a disclosed position (phone, online, hidden), filters by
eligibility in SQL, then ranks the few dozen candidates in Python by fit, distance, vacancy and
language (docs/adr/0012).
"""

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, FloatField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from harbour.directory import policy
from harbour.directory.index import ALL_STAGES
from harbour.directory.models import Closure, Schedule, SearchEntry, Service, ServiceStatus
from harbour.directory.pathway import Stage, pathway, stages_for_needs
from harbour.directory.places import Place, bounding_box, km_between

NEAR_CANDIDATES = 60
AREA_CANDIDATES = 30
SHOWN_PER_STAGE = 5
ALTERNATIVES = 3
MEN = {"man", "trans_man"}
_ENTRY_FIELDS = (
    "service_id", "service_at_location_id", "terms", "latitude", "longitude", "province",
    "remote", "confidentiality", "languages", "capacity_available", "genders",
    "accepts_children", "accepts_pregnant", "addiction_accepted",
    "immigration_status_not_required", "pets_allowed", "minimum_age", "maximum_age",
)


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


@dataclass
class Match:
    service_id: Any
    service_at_location_id: Any
    distance_km: float | None
    score: float
    reasons: list[str]
    row: dict[str, Any]
    service: Service | None = None
    place: Any = None

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
    flags = {
        "accepts_children": profile.children, "accepts_pregnant": profile.pregnant,
        "addiction_accepted": profile.addiction, "pets_allowed": profile.pets,
        "immigration_status_not_required": profile.status_precarious,
    }
    for name, needed in flags.items():
        if needed:
            q &= ~Q(**{name: False})
    return q


def _open_today(service_ids: Iterable[Any], today: dt.date) -> set[Any]:
    """Services not closed today (closures) and in season (dated schedules)."""
    ids = set(service_ids)
    closed = set(
        Closure.objects.filter(service_id__in=ids, starts_on__lte=today, ends_on__gte=today)
        .values_list("service_id", flat=True)
    )
    seasons: dict[Any, bool] = {}
    dated = Schedule.objects.filter(service_id__in=ids).filter(
        Q(valid_from__isnull=False) | Q(valid_to__isnull=False)
    ).values_list("service_id", "valid_from", "valid_to")
    for sid, start, end in dated:
        inside = (start is None or start <= today) and (end is None or end >= today)
        seasons[sid] = seasons.get(sid, False) or inside
    return {s for s in ids if s not in closed and seasons.get(s, True)}


# --- candidates -------------------------------------------------------------------------------


def _base(aud: policy.Audience, stage: str, profile: Profile) -> QuerySet[SearchEntry]:
    return policy.entries_for(aud).filter(stage=stage, status=ServiceStatus.ACTIVE).filter(
        eligibility_q(profile)
    )


def _near(qs: QuerySet[SearchEntry], place: Place, km: float, limit: int) -> list[dict]:
    lat0, lat1, lon0, lon1 = bounding_box(place.latitude, place.longitude, km)
    rows = (
        qs.filter(latitude__gte=lat0, latitude__lte=lat1, longitude__gte=lon0,
                  longitude__lte=lon1)
        .annotate(d2=Cast(_d2(place), FloatField()))
        .order_by("d2")
        .values(*_ENTRY_FIELDS)[:limit]
    )
    out = []
    for row in rows:
        row["distance_km"] = km_between(place.latitude, place.longitude, row["latitude"],
                                        row["longitude"])
        if row["distance_km"] <= km:
            out.append(row)
    return out


def _d2(place: Place) -> Any:
    """Squared equirectangular distance in degrees: cheap in SQL, same order as km nearby."""
    k = math.cos(math.radians(place.latitude))
    return (F("latitude") - place.latitude) * (F("latitude") - place.latitude) + (
        (F("longitude") - place.longitude) * k * (F("longitude") - place.longitude) * k
    )


def _in_area(qs: QuerySet[SearchEntry], place: Place, limit: int) -> list[dict]:
    rows = (
        qs.filter(latitude__isnull=True, province__in=[place.province, "CA"])
        .order_by(F("capacity_available").desc(nulls_last=True), "service_id")
        .values(*_ENTRY_FIELDS)[:limit]
    )
    return [dict(row, distance_km=None) for row in rows]


def _nearest_beyond(qs: QuerySet[SearchEntry], place: Place, radius: float) -> list[dict]:
    """Closest options when nothing is within reach: widen the box until something appears."""
    km = radius * 2
    while km <= 8000:
        rows = _near(qs, place, km, ALTERNATIVES * 4)
        if rows:
            return rows
        km *= 2
    return []


# --- ranking ----------------------------------------------------------------------------------


def _score(row: dict, stage: Stage, wanted: set[str], profile: Profile) -> tuple[float, list[str]]:
    terms = set(row["terms"].split())
    reasons: list[str] = []
    fit = 0.5
    if wanted and terms & wanted:
        fit += 0.3
        reasons.append("meets_need")
    for term, applies in _modifiers(profile).items():
        if applies and term in terms:
            fit += 0.1
            reasons.append(term)
    fit -= 0.05 * sum(1 for name in _relevant_flags(profile) if row[name] is None)
    distance = row["distance_km"]
    near = 0.5 if distance is None else 1 - min(distance, stage.radius_km) / stage.radius_km
    available = row["capacity_available"]
    vacancy = 0.5 if available is None else (1.0 if available > 0 else 0.1)
    if available:
        reasons.append("vacancy")
    language = _language_score(row, terms, profile)
    if language >= 1:
        reasons.append("language")
    return 0.4 * fit + 0.3 * near + 0.2 * vacancy + 0.1 * language, reasons


def _modifiers(profile: Profile) -> dict[str, bool]:
    return {
        "youth": profile.age is not None and profile.age < 25,
        "men_and_boys": profile.gender in MEN,
        "indigenous_cultural": profile.indigenous,
        "twoslgbtqi_affirming": profile.twoslgbtqi,
        "interpretation": profile.interpreter,
    }


def _relevant_flags(profile: Profile) -> list[str]:
    flags = {
        "accepts_children": profile.children, "accepts_pregnant": profile.pregnant,
        "addiction_accepted": profile.addiction, "pets_allowed": profile.pets,
        "immigration_status_not_required": profile.status_precarious,
    }
    return [name for name, needed in flags.items() if needed]


def _language_score(row: dict, terms: set[str], profile: Profile) -> float:
    if not profile.language:
        return 0.5
    if f" {profile.language} " in row["languages"]:
        return 1.0
    return 0.7 if "interpretation" in terms else 0.2


def _ranked(rows: list[dict], stage: Stage, wanted: set[str], profile: Profile,
            open_ids: set[Any]) -> list[Match]:
    best: dict[Any, Match] = {}
    for row in rows:
        if row["service_id"] not in open_ids:
            continue
        score, reasons = _score(row, stage, wanted, profile)
        match = Match(row["service_id"], row["service_at_location_id"], row["distance_km"],
                      score, reasons, row)
        current = best.get(match.service_id)
        if current is None or match.score > current.score:
            best[match.service_id] = match
    return sorted(best.values(), key=lambda m: (-m.score, m.distance_km or 0, str(m.service_id)))


# --- the care map -----------------------------------------------------------------------------


def care_map(aud: policy.Audience, place: Place, needs: list[str], profile: Profile,
             *, today: dt.date | None = None) -> CareMap:
    today = today or timezone.localdate()
    wanted = stages_for_needs(needs)
    raw: dict[str, list[dict]] = {}
    for stage in pathway().stages:
        qs = _base(aud, stage.code, profile)
        raw[stage.code] = _near(qs, place, stage.radius_km, NEAR_CANDIDATES) + _in_area(
            qs, place, AREA_CANDIDATES
        )
    open_ids = _open_today({r["service_id"] for rows in raw.values() for r in rows}, today)
    results = []
    for stage in pathway().stages:
        ranked = _ranked(raw[stage.code], stage, wanted.get(stage.code, set()), profile, open_ids)
        result = StageResult(stage, stage.code in wanted, ranked[:SHOWN_PER_STAGE])
        if result.is_gap:
            result.alternatives = _alternatives(aud, stage, place, profile, today)
        results.append(result)
    cmap = CareMap(place, profile, needs, results)
    attach_services(aud, [m for s in results for m in s.matches + s.alternatives])
    return cmap


def _alternatives(aud: policy.Audience, stage: Stage, place: Place, profile: Profile,
                  today: dt.date) -> list[Match]:
    rows = _nearest_beyond(_base(aud, stage.code, profile), place, stage.radius_km)
    open_ids = _open_today({r["service_id"] for r in rows}, today)
    far = Stage(stage.code, stage.label, 10_000, stage.remote_ok, stage.terms, stage.order)
    return _ranked(rows, far, set(), profile, open_ids)[:ALTERNATIVES]


def attach_services(aud: policy.Audience, matches: list[Match]) -> None:
    """Load the services and places to show, each place through the policy."""
    from harbour.directory.models import ServiceAtLocation

    ids = {m.service_id for m in matches}
    services = {
        s.pk: s
        for s in Service.objects.filter(pk__in=ids).select_related("provider")
        .prefetch_related("phones", "languages")
    }
    sal_ids = {m.service_at_location_id for m in matches if m.service_at_location_id}
    sals = {
        s.pk: s
        for s in ServiceAtLocation.objects.filter(pk__in=sal_ids)
        .select_related("location").prefetch_related("location__addresses", "location__phones")
    }
    for m in matches:
        m.service = services.get(m.service_id)
        sal = sals.get(m.service_at_location_id)
        m.place = policy.shown_place(aud, sal.location) if sal else None


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


def search(aud: policy.Audience, *, text: str = "", term: str = "", place: Place | None = None,
           radius_km: float = 100, profile: Profile | None = None, page: int = 1,
           page_size: int = 20) -> SearchPage:
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
        qs = qs.filter(
            Q(latitude__gte=lat0, latitude__lte=lat1, longitude__gte=lon0, longitude__lte=lon1)
            | Q(latitude__isnull=True, province__in=[place.province, "CA"])
        )
    total = qs.values("service_id").distinct().count()
    if place is not None:
        qs = qs.annotate(d2=Cast(_d2(place), FloatField())).order_by(
            F("d2").asc(nulls_last=True), "service_id"
        )
    else:
        qs = qs.order_by("service__name", "service_id")
    rows = list(qs.values(*_ENTRY_FIELDS)[: page * page_size * 4])
    matches = _search_matches(rows, place, radius_km)
    chosen = matches[(page - 1) * page_size : page * page_size]
    attach_services(aud, chosen)
    return SearchPage(chosen, total, page, page_size)


def _search_matches(rows: list[dict], place: Place | None, radius_km: float) -> list[Match]:
    seen: dict[Any, Match] = {}
    for row in rows:
        distance = None
        if place is not None and row["latitude"] is not None:
            distance = km_between(place.latitude, place.longitude, row["latitude"],
                                  row["longitude"])
            if distance > radius_km:
                continue
        current = seen.get(row["service_id"])
        if current is None or (distance is not None and
                               (current.distance_km is None or distance < current.distance_km)):
            seen[row["service_id"]] = Match(row["service_id"], row["service_at_location_id"],
                                            distance, 0.0, [], row)
    return list(seen.values())


def stale(service: Service, today: dt.date | None = None) -> bool:
    """Not verified in the last 90 days (or never)."""
    today = today or timezone.localdate()
    return service.assured_date is None or (today - service.assured_date).days > 90
