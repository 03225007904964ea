"""The search index (SearchEntry): rebuilt for the services an action touched, in its transaction.

One row per service, place and pathway stage, plus one row per place with stage "*" for plain
directory search. Built only from what the policy allows anywhere: a hidden location contributes
its province and its coarse service region (docs/adr/0044), nothing else (no coordinates, no
address words).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.db.models import Q

from harbour.directory.models import (
    Attribute,
    Closure,
    Confidentiality,
    Language,
    LocationType,
    Schedule,
    SearchEntry,
    Service,
    ServiceArea,
    ServiceAtLocation,
)
from harbour.directory.pathway import pathway
from harbour.directory.places import fold, provinces

ALL_STAGES = "*"


def refresh(service_ids: Iterable[Any]) -> int:
    """Rebuild the index rows of these services; returns the number of rows written."""
    ids = list(dict.fromkeys(service_ids))
    written = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        SearchEntry.objects.filter(service_id__in=chunk).delete()
        rows = build_entries(chunk)
        SearchEntry.objects.bulk_create(rows, batch_size=1000)
        written += len(rows)
    return written


def build_entries(service_ids: list[Any]) -> list[SearchEntry]:
    services = Service.objects.filter(pk__in=service_ids).select_related("provider")
    terms = _terms_by_service(service_ids)
    languages = _languages_by_service(service_ids)
    areas = _areas_by_service(service_ids)
    places = _places_by_service(service_ids)
    dates = _dates_by_service(service_ids)
    rows: list[SearchEntry] = []
    for service in services:
        codes = terms.get(service.pk, [])
        stages = [ALL_STAGES, *dict.fromkeys(s for c in codes for s in pathway().stages_of_term(c))]
        common = _common_fields(service, codes, languages.get(service.pk, set()))
        common["dates"] = dates.get(service.pk, "")
        spots = places.get(service.pk) or _remote_places(areas.get(service.pk, []) or [""])
        rows += [_entry(stage, common, place) for place in spots for stage in stages]
    return rows


def _provider_name(service: Service) -> str:
    # an imported service may name an organisation not in this directory (docs/adr/0043)
    return service.provider.name if service.provider is not None else ""


def _common_fields(service: Service, codes: list[str], langs: set[str]) -> dict[str, Any]:
    words = [service.name, service.alternate_name, service.description, _provider_name(service)]
    for code in codes:
        term = pathway().terms.get(code)
        words += [term.label.en, term.label.fr] if term else [code]
    return {
        "service_id": service.pk,
        "terms": _spaced(codes),
        "status": service.status,
        "minimum_age": service.minimum_age,
        "maximum_age": service.maximum_age,
        "genders": _spaced(service.genders or []),
        "accepts_children": service.accepts_children,
        "accepts_pregnant": service.accepts_pregnant,
        "addiction_accepted": service.addiction_accepted,
        "immigration_status_not_required": service.immigration_status_not_required,
        "pets_allowed": service.pets_allowed,
        "languages": _spaced(sorted(langs)),
        "capacity_available": service.capacity_available,
        "text": fold(" ".join(w for w in words if w)),
    }


def _spaced(codes: Iterable[str]) -> str:
    items = [c for c in codes if c]
    return f" {' '.join(items)} " if items else ""


def _terms_by_service(ids: list[Any]) -> dict[Any, list[str]]:
    out: dict[Any, list[str]] = defaultdict(list)
    rows = Attribute.objects.filter(link_entity="service", link_id__in=ids).values_list(
        "link_id", "term__code"
    )
    for service_id, code in rows:
        if code and code not in out[service_id]:
            out[service_id].append(code)
    return out


def _languages_by_service(ids: list[Any]) -> dict[Any, set[str]]:
    out: dict[Any, set[str]] = defaultdict(set)
    for service_id, code in Language.objects.filter(service_id__in=ids).values_list(
        "service_id", "code"
    ):
        if code:
            out[service_id].add(code.lower())
    return out


def _areas_by_service(ids: list[Any]) -> dict[Any, list[str]]:
    out: dict[Any, list[str]] = defaultdict(list)
    for service_id, name, extent in ServiceArea.objects.filter(service_id__in=ids).values_list(
        "service_id", "name", "extent"
    ):
        code = area_code(name) or area_code(extent)
        if code:
            out[service_id].append(code)
    return out


def _dates_by_service(ids: list[Any]) -> dict[Any, str]:
    closures: dict[Any, list[tuple]] = defaultdict(list)
    seasons: dict[Any, list[tuple]] = defaultdict(list)
    for sid, first, last in Closure.objects.filter(service_id__in=ids).values_list(
        "service_id", "starts_on", "ends_on"
    ):
        closures[sid].append((first, last))
    dated = Schedule.objects.filter(service_id__in=ids).filter(
        Q(valid_from__isnull=False) | Q(valid_to__isnull=False)
    )
    for sid, start, end in dated.values_list("service_id", "valid_from", "valid_to"):
        seasons[sid].append((start, end))
    return {sid: dates_text(closures[sid], seasons[sid]) for sid in {*closures, *seasons}}


def dates_text(closures: Iterable[tuple], seasons: Iterable[tuple]) -> str:
    """Closures ("c:") and dated schedules ("s:") as "c:2026-09-15/2026-11-30 s:/2026-10-31";
    an open end is empty. Sorted, so a rebuild of unchanged data writes the same text."""

    def day(value: dt.date | None) -> str:
        return value.isoformat() if value else ""

    items = sorted(f"c:{day(a)}/{day(b)}" for a, b in closures)
    items += sorted(f"s:{day(a)}/{day(b)}" for a, b in seasons)
    return " ".join(items)


def open_on(dates: str, today: dt.date) -> bool:
    """Not closed today, and in season if the service has dated schedules (any one will do)."""
    if not dates:
        return True
    closures, seasons = _parsed(dates)
    if any(start <= today <= end for start, end in closures):
        return False
    return not seasons or any(start <= today <= end for start, end in seasons)


@lru_cache(maxsize=4096)
def _parsed(dates: str) -> tuple[tuple[tuple[dt.date, dt.date], ...], ...]:
    out: dict[str, list[tuple[dt.date, dt.date]]] = {"c": [], "s": []}
    for item in dates.split():
        kind, _sep, period = item.partition(":")
        start, _sep, end = period.partition("/")
        first = dt.date.fromisoformat(start) if start else dt.date.min
        last = dt.date.fromisoformat(end) if end else dt.date.max
        out[kind].append((first, last))
    return tuple(out["c"]), tuple(out["s"])


def area_code(text: str) -> str:
    """A service area's province code, "CA" for all of Canada, or "" when not a region we know."""
    folded = fold(text or "")
    if folded in {"ca", "canada", "national", "all of canada", "tout le canada"}:
        return "CA"
    for p in provinces().values():
        if folded in {fold(p.code), fold(p.en), fold(p.fr), fold(p.abbr)}:
            return p.code
    return ""


def _remote_places(area_codes: list[str]) -> list[dict[str, Any]]:
    return [
        _place(None, c, None, None, True, Confidentiality.PUBLIC, None, "")
        for c in dict.fromkeys(area_codes)
    ]


def _places_by_service(ids: list[Any]) -> dict[Any, list[dict[str, Any]]]:
    out: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    sals = ServiceAtLocation.objects.filter(service_id__in=ids).select_related("location")
    cities = _cities_by_location([s.location_id for s in sals])
    regions = _regions_by_location([s.location_id for s in sals])
    for sal in sals:
        loc = sal.location
        hidden = loc.confidentiality == Confidentiality.HIDDEN
        remote = loc.location_type == LocationType.VIRTUAL
        lat, lon = (None, None) if hidden or remote else (loc.latitude, loc.longitude)
        words = "" if hidden else fold(f"{loc.name} {cities.get(loc.pk, '')}")
        spot = _place(
            sal.pk, loc.province or "", lat, lon, remote, loc.confidentiality, loc.org_id, words
        )
        if hidden and loc.pk in regions:
            spot.update(regions[loc.pk])
        out[sal.service_id].append(spot)
    return out


def _regions_by_location(location_ids: list[Any]) -> dict[Any, dict[str, Any]]:
    """Hidden locations' coarse service regions (docs/adr/0044): what the index keeps of them."""
    from harbour.directory.models import HiddenRegion

    return {
        loc_id: {"region_latitude": lat, "region_longitude": lon, "region_km": km}
        for loc_id, lat, lon, km in HiddenRegion.objects.filter(
            location_id__in=location_ids
        ).values_list("location_id", "latitude", "longitude", "km")
    }


def _cities_by_location(location_ids: list[Any]) -> dict[Any, str]:
    from harbour.directory.models import Address

    out: dict[Any, str] = {}
    for loc_id, city in Address.objects.filter(location_id__in=location_ids).values_list(
        "location_id", "city"
    ):
        out[loc_id] = f"{out.get(loc_id, '')} {city}".strip()
    return out


def _place(
    sal_id: Any,
    province: str,
    lat: float | None,
    lon: float | None,
    remote: bool,
    confidentiality: str,
    org_id: Any,
    words: str,
) -> dict[str, Any]:
    return {
        "service_at_location_id": sal_id,
        "province": province,
        "latitude": lat,
        "longitude": lon,
        "remote": remote,
        "confidentiality": confidentiality,
        "org_id": org_id,
        "_words": words,
    }


def _entry(stage: str, common: dict[str, Any], place: dict[str, Any]) -> SearchEntry:
    values = dict(common, **{k: v for k, v in place.items() if not k.startswith("_")})
    if stage != ALL_STAGES:
        # Words are searched on the "*" rows only; stage rows stay narrow, so a care-map range
        # scan reads few pages.
        values["text"] = ""
    elif place["_words"]:
        values["text"] = f"{common['text']} {place['_words']}"
    return SearchEntry(stage=stage, **values)
