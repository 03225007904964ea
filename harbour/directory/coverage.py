"""Coverage and disparities: services, capacity, distance and demand per province and stage.

- services: distinct services with a place in the province (what the audience may know of);
- capacity per 100,000 people: beds or places declared, over the 2021 census population;
- distance: from every population centre (GeoNames places of 1,000+ people, 500+ in the
  territories) to the nearest service of the stage whose position the audience may see; people
  beyond the stage's reasonable distance are estimated by giving the province's census population
  the centres' distribution (docs/adr/0015). A hidden location counts only for the towns inside
  its coarse service region, never by its true position (docs/adr/0044);
- demand: open cases whose current needs fall in the stage, by intake province, across all
  organisations, through small-cell suppression (harbour.stats.core.suppression).
"""

import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max

from harbour.cases.models import Case, CaseStatus
from harbour.directory import policy
from harbour.directory.index import ALL_STAGES
from harbour.directory.models import SearchEntry, ServiceStatus
from harbour.directory.pathway import Stage, pathway
from harbour.directory.places import City, Nearest, km_between, population_centres, provinces
from harbour.stats.core.suppression import suppress

CACHE_SECONDS = 24 * 3600  # the key changes with the directory; this only bounds memory


@dataclass
class Cell:
    province: str
    stage: str
    services: int = 0
    capacity: int = 0
    per_100k: float | None = None
    median_km: float | None = None
    share_far: float = 0.0
    people_far: int = 0
    remote: bool = False
    demand: int | None = 0
    centres: list[tuple[City, float | None]] = field(default_factory=list)

    @property
    def stage_obj(self) -> Stage:
        return pathway().stage(self.stage)

    @property
    def severity(self) -> int:
        """0 (well covered) to 4 (most people far from any service), for the map's colours."""
        if self.services == 0 and not self.remote:
            return 4
        return min(4, int(self.share_far * 4 + 0.999)) if self.share_far else 0


@dataclass
class Coverage:
    cells: dict[tuple[str, str], Cell]
    national: dict[str, int]

    def cell(self, province: str, stage: str) -> Cell:
        return self.cells[(province, stage)]

    def ranking(self, limit: int = 15) -> list[Cell]:
        cells = [c for c in self.cells.values() if c.people_far or c.services == 0]
        cells.sort(key=lambda c: (-c.people_far, -(c.demand or 0), c.services, c.province))
        return cells[:limit]


def coverage(aud: policy.Audience) -> Coverage:
    """Services, capacity and distances are cached until the directory changes; demand (open
    cases) is counted at every call. Distances take about a second at demo scale (thousands of
    population centres × stages), and a caseworker's every edit used to throw them away with
    the demand (issue 8)."""
    key = cache_key(aud)
    found = cache.get(key)
    if found is None:
        found = compute_services(aud)
        cache.set(key, found, CACHE_SECONDS)
    return with_demand(found)


def cache_key(aud: policy.Audience) -> str:
    """Per audience level (the public, or signed-in staff of any organisation: they all see
    the same rows, hidden rows having no position) and version of the directory's index."""
    return f"directory-coverage:{int(aud.signed_in)}:{_version()}"


def _version() -> str:
    """Changes when the index changes: rebuilt index rows get new ids, a removed service lowers
    the count. Hashed, so the key is safe for every cache backend (memcached refuses spaces)."""
    entries = SearchEntry.objects.aggregate(n=Max("id"), c=Count("id"))
    raw = f"{entries['n']}:{entries['c']}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def compute(aud: policy.Audience) -> Coverage:
    return with_demand(compute_services(aud))


def compute_services(aud: policy.Audience) -> Coverage:
    """Everything but demand: what the directory holds and how far people are from it."""
    entries = (
        policy.entries_for(aud)
        .exclude(stage=ALL_STAGES)
        .filter(status=ServiceStatus.ACTIVE)
        .values_list(
            "stage",
            "province",
            "service_id",
            "latitude",
            "longitude",
            "remote",
            "service__capacity_total",
            "region_latitude",
            "region_longitude",
            "region_km",
        )
    )
    cells = {(p, s.code): Cell(p, s.code) for p in provinces() for s in pathway().stages}
    services: dict[tuple[str, str], dict[Any, int]] = defaultdict(dict)
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    national: dict[str, set[Any]] = defaultdict(set)
    reaches: dict[str, set[tuple[float, float, int]]] = defaultdict(set)
    for stage, prov, service_id, lat, lon, remote, capacity, rlat, rlon, rkm in entries:
        if prov == "CA":
            national[stage].add(service_id)
        elif (prov, stage) in cells:
            services[(prov, stage)][service_id] = capacity or 0
            cells[(prov, stage)].remote |= bool(remote)
        if lat is not None and lon is not None:
            points[stage].append((lat, lon))
        elif rkm and rlat is not None and rlon is not None:
            reaches[stage].add((rlat, rlon, rkm))
    _capacity(cells, services)
    _distances(cells, points, national, reaches)
    return Coverage(cells, {k: len(v) for k, v in national.items()})


def with_demand(base: Coverage) -> Coverage:
    """A copy of `base` with today's demand (the cached cells are never changed)."""
    demand = _demand()
    cells = {key: replace(cell, demand=demand[key]) for key, cell in base.cells.items()}
    return Coverage(cells, base.national)


def _capacity(cells: dict[tuple[str, str], Cell], services: dict[tuple, dict[Any, int]]) -> None:
    for key, capacities in services.items():
        cell = cells[key]
        cell.services = len(capacities)
        cell.capacity = sum(capacities.values())
        population = provinces()[cell.province].population
        cell.per_100k = round(cell.capacity * 100_000 / population, 1) if cell.capacity else 0.0


def _distances(
    cells: dict[tuple[str, str], Cell], points: dict, national: dict, reaches: dict
) -> None:
    by_province: dict[str, list[City]] = defaultdict(list)
    for c in population_centres():
        by_province[c.province].append(c)
    for stage in pathway().stages:
        nearest = Nearest(points.get(stage.code, []))
        hidden = sorted(reaches.get(stage.code, ()))
        for prov, towns in by_province.items():
            cell = cells.get((prov, stage.code))
            if cell is None:
                continue
            cell.centres = [(t, _km(nearest, hidden, t, stage)) for t in towns]
            _summarise(cell, stage, bool(national.get(stage.code)))


def _km(nearest: Nearest, hidden: list[tuple[float, float, int]], town: City, stage: Stage) -> Any:
    """Distance from a town to the stage's nearest service. A hidden service counts for the
    towns inside its region, at the distance to the region's centre but never beyond the
    stage's reasonable distance: it serves them, and its true position is unknown here (docs/
    adr/0044). Hidden services never count outside their region."""
    best = nearest.km(town.latitude, town.longitude)
    for lat, lon, reach in hidden:
        d = km_between(town.latitude, town.longitude, lat, lon)
        if d <= reach:
            d = min(d, stage.radius_km)
            best = d if best is None else min(best, d)
    return best


def _summarise(cell: Cell, stage: Stage, national_remote: bool) -> None:
    weights = sum(t.population for t, _d in cell.centres) or 1
    far = sum(t.population for t, d in cell.centres if d is None or d > stage.radius_km)
    ordered = sorted((d if d is not None else math.inf, t.population) for t, d in cell.centres)
    running, median = 0, None
    for distance, population in ordered:
        running += population
        if running >= weights / 2:
            median = None if math.isinf(distance) else round(distance)
            break
    cell.median_km = median
    reachable_remotely = stage.remote_ok and (cell.remote or national_remote)
    cell.remote = cell.remote or (stage.remote_ok and national_remote)
    cell.share_far = 0.0 if reachable_remotely else far / weights
    cell.people_far = round(cell.share_far * provinces()[cell.province].population)


def _demand() -> dict[tuple[str, str], int | None]:
    stage_of = {need: m.stage for need, m in pathway().needs.items() if m.stage}
    counts: dict[str, dict[str, int]] = {
        s.code: dict.fromkeys(provinces(), 0) for s in pathway().stages
    }
    open_cases = Case.objects.filter(status__in=[CaseStatus.ACTIVE, CaseStatus.FOLLOW_UP])
    for prov, needs in open_cases.values_list("intake_province", "current_needs").iterator():
        for stage in {stage_of[n] for n in needs or [] if n in stage_of}:
            if prov in counts[stage]:
                counts[stage][prov] += 1
    return {
        (prov, stage): value
        for stage, table in counts.items()
        for prov, value in suppress(table).items()
    }
