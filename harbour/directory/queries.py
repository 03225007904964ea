"""Directory search and the care map: reads over the search index, through the policy.

The care map asks, for each pathway stage, the index for services near the place (a range scan on
stage + latitude inside a bounding box, ordered by an equirectangular distance) and for services
that cover the place's province without a disclosed position (phone, online, hidden), filters by
eligibility in SQL, then ranks the few dozen candidates in Python by fit, distance, vacancy and
language (docs/adr/0012).
"""

import datetime as dt
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connections
from django.db.models import F, FloatField, Q, QuerySet, Window
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone

from harbour.directory import policy
from harbour.directory.index import ALL_STAGES
from harbour.directory.models import Closure, Schedule, SearchEntry, Service, ServiceStatus
from harbour.directory.pathway import Stage, pathway, stages_for_needs
from harbour.directory.places import Place, bounding_box, km_between

NEAR_CANDIDATES = 60
STEPS_KM = (10.0, 40.0)
AREA_CANDIDATES = 30
SHOWN_PER_STAGE = 5
ALTERNATIVES = 3
MEN = {"man", "trans_man"}
_ENTRY_FIELDS = (
    "service_id",
    "service_at_location_id",
    "terms",
    "latitude",
    "longitude",
    "province",
    "remote",
    "confidentiality",
    "languages",
    "capacity_available",
    "genders",
    "accepts_children",
    "accepts_pregnant",
    "addiction_accepted",
    "immigration_status_not_required",
    "pets_allowed",
    "minimum_age",
    "maximum_age",
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
    flags = {
        "accepts_children": profile.children,
        "accepts_pregnant": profile.pregnant,
        "addiction_accepted": profile.addiction,
        "pets_allowed": profile.pets,
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
        Closure.objects.filter(
            service_id__in=ids, starts_on__lte=today, ends_on__gte=today
        ).values_list("service_id", flat=True)
    )
    seasons: dict[Any, bool] = {}
    dated = (
        Schedule.objects.filter(service_id__in=ids)
        .filter(Q(valid_from__isnull=False) | Q(valid_to__isnull=False))
        .values_list("service_id", "valid_from", "valid_to")
    )
    for sid, start, end in dated:
        inside = (start is None or start <= today) and (end is None or end >= today)
        seasons[sid] = seasons.get(sid, False) or inside
    return {s for s in ids if s not in closed and seasons.get(s, True)}


# --- candidates -------------------------------------------------------------------------------


def _base(aud: policy.Audience, profile: Profile) -> QuerySet[SearchEntry]:
    return (
        policy.entries_for(aud).filter(status=ServiceStatus.ACTIVE).filter(eligibility_q(profile))
    )


def _d2(place: Place) -> Any:
    """Squared equirectangular distance in degrees: cheap in SQL, same order as km nearby."""
    k = math.cos(math.radians(place.latitude))
    return (F("latitude") - place.latitude) * (F("latitude") - place.latitude) + (
        (F("longitude") - place.longitude) * k * (F("longitude") - place.longitude) * k
    )


def _box_q(place: Place, km: float) -> Q:
    lat0, lat1, lon0, lon1 = bounding_box(place.latitude, place.longitude, km)
    return Q(latitude__gte=lat0, latitude__lte=lat1, longitude__gte=lon0, longitude__lte=lon1)


def _near(
    qs: QuerySet[SearchEntry], place: Place, radii: dict[str, float], limit: int
) -> dict[str, list[dict]]:
    """For each stage, the `limit` nearest rows within its radius, all stages in one statement
    per round. Boxes grow from 10 km: once a stage's box holds `limit` rows inside its circle,
    nothing outside can be nearer, so a dense city reads a few hundred rows, not every row
    within 150 km (docs/adr/0012)."""
    template = _part_template(qs, place, limit)
    out: dict[str, list[dict]] = {}
    pending = dict(radii)
    for step in (*STEPS_KM, math.inf):
        current = {code: min(step, km) for code, km in pending.items()}
        found = _ranked_in_boxes(template, place, current, qs.db)
        for code, radius in current.items():
            if len(found[code]) >= limit or radius >= radii[code]:
                out[code] = found[code]
                pending.pop(code)
        if not pending:
            break
    return out


_SENTINELS = ("__stage__", 1111.25, 2222.25, 3333.25, 4444.25)


def _part_template(qs: QuerySet[SearchEntry], place: Place, limit: int) -> tuple[str, list]:
    """The SQL of one stage's "nearest in the box" query, compiled once per care map with
    sentinel values for the stage and the box, which `_ranked_in_boxes` swaps per stage."""
    stage, lat0, lat1, lon0, lon1 = _SENTINELS
    part = (
        qs.filter(stage=stage)
        .filter(latitude__gte=lat0, latitude__lte=lat1, longitude__gte=lon0, longitude__lte=lon1)
        .annotate(d2=Cast(_d2(place), FloatField()))
        .order_by("d2", "id")
        .values(*_NEAR_COLUMNS)[:limit]
    )
    sql, params = part.query.sql_with_params()
    return sql, list(params)


_NEAR_COLUMNS = ["stage", *_ENTRY_FIELDS, "d2"]


def _ranked_in_boxes(
    template: tuple[str, list], place: Place, radii: dict[str, float], db: str
) -> dict[str, list[dict]]:
    """Each stage's nearest rows in its box: one ORDER BY … LIMIT per stage (a top-N sort over
    an index range), sent as one UNION ALL statement. The SQL is the ORM's compilation of the
    policy's queryset, so the policy still decides which rows exist."""
    sql, params = template
    parts: list[str] = []
    values: list[Any] = []
    for n, (code, km) in enumerate(radii.items()):
        swap = dict(
            zip(_SENTINELS, (code, *bounding_box(place.latitude, place.longitude, km)), strict=True)
        )
        parts.append(f"SELECT * FROM ({sql}) AS near_{n}")  # noqa: S608 (compiled by the ORM)
        values += [swap.get(p, p) if isinstance(p, str | float) else p for p in params]
    out: dict[str, list[dict]] = {code: [] for code in radii}
    with connections[db].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), values)
        fetched = cursor.fetchall()
    for raw in fetched:
        row = _plain_row(dict(zip(_NEAR_COLUMNS, raw, strict=True)))
        row["distance_km"] = km_between(
            place.latitude, place.longitude, row["latitude"], row["longitude"]
        )
        if row["distance_km"] <= radii[row["stage"]]:
            out[row["stage"]].append(row)
    for items in out.values():
        items.sort(key=lambda r: r["distance_km"])
    return out


_BOOLEANS = (
    "remote",
    "accepts_children",
    "accepts_pregnant",
    "addiction_accepted",
    "immigration_status_not_required",
    "pets_allowed",
)


def _plain_row(row: dict[str, Any]) -> dict[str, Any]:
    """Raw rows as the ORM would give them (SQLite returns UUIDs as hex and booleans as 0/1)."""
    for name in ("service_id", "service_at_location_id"):
        value = row[name]
        if value is not None and not isinstance(value, uuid.UUID):
            row[name] = uuid.UUID(str(value))
    for name in _BOOLEANS:
        if row[name] is not None:
            row[name] = bool(row[name])
    return row


def _in_area(
    qs: QuerySet[SearchEntry], place: Place, codes: list[str], limit: int
) -> dict[str, list[dict]]:
    """Rows that cover the province without a disclosed position (phone, online, hidden)."""
    rows = (
        qs.filter(stage__in=codes, latitude__isnull=True, province__in=[place.province, "CA"])
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("stage")],
                order_by=[F("capacity_available").desc(nulls_last=True), F("id").asc()],
            )
        )
        .filter(rank__lte=limit)
        .values("stage", *_ENTRY_FIELDS)
    )
    out: dict[str, list[dict]] = {code: [] for code in codes}
    for row in rows:
        out[row["stage"]].append(dict(row, distance_km=None))
    return out


def _nearest_beyond(
    qs: QuerySet[SearchEntry], place: Place, stages: list[Stage]
) -> dict[str, list[dict]]:
    """Closest options for stages with nothing within reach: widen the boxes until each stage
    finds something (one query per widening, for all the stages still empty)."""
    found: dict[str, list[dict]] = {s.code: [] for s in stages}
    factor = 2.0
    waiting = {s.code: s.radius_km for s in stages}
    while waiting and factor <= 64:
        rows = _near(qs, place, {c: km * factor for c, km in waiting.items()}, ALTERNATIVES * 4)
        for code, items in rows.items():
            if items:
                found[code] = items
                waiting.pop(code)
        factor *= 2
    return found


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
        "accepts_children": profile.children,
        "accepts_pregnant": profile.pregnant,
        "addiction_accepted": profile.addiction,
        "pets_allowed": profile.pets,
        "immigration_status_not_required": profile.status_precarious,
    }
    return [name for name, needed in flags.items() if needed]


def _language_score(row: dict, terms: set[str], profile: Profile) -> float:
    if not profile.language:
        return 0.5
    if f" {profile.language} " in row["languages"]:
        return 1.0
    return 0.7 if "interpretation" in terms else 0.2


def _ranked(
    rows: list[dict], stage: Stage, wanted: set[str], profile: Profile, open_ids: set[Any]
) -> list[Match]:
    best: dict[Any, Match] = {}
    for row in rows:
        if row["service_id"] not in open_ids:
            continue
        score, reasons = _score(row, stage, wanted, profile)
        match = Match(
            row["service_id"],
            row["service_at_location_id"],
            row["distance_km"],
            score,
            reasons,
            row,
        )
        current = best.get(match.service_id)
        if current is None or match.score > current.score:
            best[match.service_id] = match
    return sorted(best.values(), key=lambda m: (-m.score, m.distance_km or 0, str(m.service_id)))


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
    near = _near(base, place, {s.code: s.radius_km for s in stages}, NEAR_CANDIDATES)
    area = _in_area(base, place, [s.code for s in stages], AREA_CANDIDATES)
    raw = {s.code: near[s.code] + area[s.code] for s in stages}
    ids = {r["service_id"] for rows in raw.values() for r in rows}
    open_ids = _open_today(ids, today)
    results = []
    for stage in stages:
        ranked = _ranked(raw[stage.code], stage, wanted.get(stage.code, set()), profile, open_ids)
        results.append(StageResult(stage, stage.code in wanted, ranked[:SHOWN_PER_STAGE]))
    _add_alternatives(base, place, profile, [r for r in results if r.is_gap], today)
    attach_services(aud, [m for s in results for m in s.matches + s.alternatives])
    return CareMap(place, profile, needs, results)


def _add_alternatives(
    base: QuerySet[SearchEntry],
    place: Place,
    profile: Profile,
    gaps: list[StageResult],
    today: dt.date,
) -> None:
    if not gaps:
        return
    rows = _nearest_beyond(base, place, [g.stage for g in gaps])
    open_ids = _open_today({r["service_id"] for items in rows.values() for r in items}, today)
    for gap in gaps:
        stage = gap.stage
        far = Stage(stage.code, stage.label, 10_000, stage.remote_ok, stage.terms, stage.order)
        gap.alternatives = _ranked(rows[stage.code], far, set(), profile, open_ids)[:ALTERNATIVES]


# What a result card shows (the full record is loaded on the service's own page).
_SHOWN_SERVICE_FIELDS = (
    "id",
    "name",
    "status",
    "is_synthetic",
    "capacity_unit",
    "capacity_total",
    "capacity_available",
    "waitlist",
    "capacity_updated_at",
    "provider__name",
    "org_id",
)


def attach_services(aud: policy.Audience, matches: list[Match]) -> None:
    """Load the services and places to show, each place through the policy."""
    from harbour.directory.models import ServiceAtLocation

    ids = {m.service_id for m in matches}
    services = {
        s.pk: s
        for s in Service.objects.filter(pk__in=ids)
        .select_related("provider")
        .only(*_SHOWN_SERVICE_FIELDS)
        .prefetch_related("phones")
    }
    sal_ids = {m.service_at_location_id for m in matches if m.service_at_location_id}
    sals = {
        s.pk: s
        for s in ServiceAtLocation.objects.filter(pk__in=sal_ids)
        .select_related("location")
        .prefetch_related("location__addresses", "location__phones")
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
