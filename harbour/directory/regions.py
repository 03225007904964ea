"""Service regions of hidden locations: coarse, and no finer than themselves (docs/adr/0044).

A hidden safe house has no public position. Its region is the cell of a fixed latitude/longitude
grid that holds its true position; the provider chooses the reach (100, 200 or 400 km) and the
grid's cells grow with it (1° × 1.5° at 100 km, 2° × 3° at 200 km, 4° × 6° at 400 km). The region
is shown and searched as the circle of that reach around the cell's centre, which always holds
the whole cell (a cell's half-diagonal is at most 84 km per 100 km of reach south of 41.5° N,
less further north), so the true position is inside it. The centre and its label are worked out
from the cell alone: two safe houses in one cell get the same region, so nothing in the region,
and no search probing it, narrows the location further than the cell.
"""

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db.models import ExpressionWrapper, F, FloatField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from harbour.core.errors import InvalidInput
from harbour.directory.places import Place, population_centres, provinces

REACHES_KM = (100, 200, 400)
DEFAULT_REACH_KM = 100
_CELL_DEGREES = (1.0, 1.5)  # latitude, longitude at a reach of 100 km
KM_PER_DEGREE = 111.195


@dataclass(frozen=True)
class Region:
    latitude: float
    longitude: float
    km: int
    label: str

    def __str__(self) -> str:
        return describe(self.km, self.label)


def describe(km: int, label: str) -> str:
    return str(_("Serves the area within %(km)s km of %(place)s") % {"km": km, "place": label})


def reach_choices() -> list[tuple[int, str]]:
    return [(km, str(_("%(km)s km") % {"km": km})) for km in REACHES_KM]


def region_for(latitude: float, longitude: float, reach_km: int) -> Region:
    """The region of a hidden location at this true position, for the chosen reach."""
    if reach_km not in REACHES_KM:
        raise InvalidInput({"region_km": [_("Choose how far the service region reaches.")]})
    lat, lon = cell_centre(latitude, longitude, reach_km)
    return Region(lat, lon, reach_km, centre_label(lat, lon))


def cell_centre(latitude: float, longitude: float, reach_km: int) -> tuple[float, float]:
    scale = reach_km / 100
    dlat, dlon = _CELL_DEGREES[0] * scale, _CELL_DEGREES[1] * scale
    lat = (math.floor(latitude / dlat) + 0.5) * dlat
    lon = (math.floor(longitude / dlon) + 0.5) * dlon
    return round(lat, 4), round(lon, 4)


@cache
def centre_label(latitude: float, longitude: float) -> str:
    """The population centre nearest the cell's centre, "Oshawa, ON": a name for the cell,
    chosen from the cell alone (never from the location)."""
    from harbour.directory.places import km_between

    town = min(
        population_centres(),
        key=lambda c: (km_between(latitude, longitude, c.latitude, c.longitude), c.name),
    )
    return f"{town.name}, {provinces()[town.province].abbr}"


# --- matching ---------------------------------------------------------------------------------


def with_region_distance(qs: QuerySet[Any], place: Place) -> QuerySet[Any]:
    """Annotate `region_d2`: the squared equirectangular distance, in degrees, from `place` to
    each row's region centre (null for rows without a region)."""
    k = math.cos(math.radians(place.latitude))
    dlat = F("region_latitude") - place.latitude
    dlon = (F("region_longitude") - place.longitude) * k
    return qs.annotate(region_d2=Cast(dlat * dlat + dlon * dlon, FloatField()))


def unplaced_q(place: Place) -> Q:
    """Index rows without a disclosed position that serve `place`: a hidden location whose
    region holds it, or a phone or online service (or an old hidden row without a region)
    covering its province or all of Canada. Needs `with_region_distance`."""
    return by_province_q(place) | in_region_q(place)


def by_province_q(place: Place) -> Q:
    """Rows without a position or a region that cover the place's province or all of Canada
    (phone, online, an old hidden row): read from the covering index dir_entry_area_ranked."""
    return Q(latitude__isnull=True, region_km__isnull=True, province__in=[place.province, "CA"])


def in_region_q(place: Place) -> Q:
    """Hidden rows whose region holds `place`. The latitude band is implied by the distance
    (a region's centre is at most its reach away in latitude alone) and lets the covering
    index dir_entry_region read only the regions near the place. Needs `with_region_distance`."""
    km = Cast("region_km", FloatField())  # a small integer: its square overflows in PostgreSQL
    reach = ExpressionWrapper(km * km / (KM_PER_DEGREE * KM_PER_DEGREE), output_field=FloatField())
    band = max(REACHES_KM) / KM_PER_DEGREE
    return Q(
        latitude__isnull=True,
        region_km__isnull=False,
        region_latitude__gte=place.latitude - band,
        region_latitude__lte=place.latitude + band,
        region_d2__lte=reach,
    )
