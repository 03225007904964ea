"""Where and when a demo survivor was recruited, moved and exploited (HTCDS trafficking events).

Domestic cases mostly stay in the home city or province, some follow the inter-city circuits
police describe (and a few cross into the United States); migrant workers are recruited in their
country of origin and exploited on farms and in workplaces of the province they were sent to.
Dates follow the person's age: recruitment in the year they were first trafficked, never before
birth and never after the intake.
"""

import datetime as dt
import random
from dataclasses import dataclass

from harbour.demo import texts
from harbour.demo.places import (
    Place,
    canadian_city,
    cities_of,
    farm_cities_of,
    foreign_cities,
    provinces_with_cities,
)
from harbour.demo.profiles import Person, pick

PRECISION = {"month": 0.45, "year": 0.25, "day": 0.2, "unknown": 0.1}
ARRIVAL_CITIES = ("Toronto", "Vancouver", "Montréal", "Calgary")


@dataclass(frozen=True)
class Stop:
    event_type: str  # trafficking_event_type code
    place: Place
    date: dt.date
    precision: str  # date_precision code


@dataclass(frozen=True)
class Journey:
    recruitment: Stop
    transit: tuple[Stop, ...]
    exploitation: tuple[Stop, ...]

    @property
    def stops(self) -> tuple[Stop, ...]:
        return (self.recruitment, *self.transit, *self.exploitation)


def weighted_city(rng: random.Random, places: tuple[Place, ...]) -> Place:
    # Square-root of population: big cities dominate without erasing smaller ones.
    return rng.choices(places, weights=[p.population**0.5 for p in places])[0]


def make_journey(
    rng: random.Random, person: Person, home: Place, intake: dt.date, industries: list[str]
) -> Journey:
    assert home.province is not None
    recruited_at = _recruitment_place(rng, person, home)
    exploited_at = _exploitation_places(rng, person, home, industries)
    start = _start_date(rng, person, intake)
    transit = _transit(rng, recruited_at, exploited_at[0], start, intake)
    after = transit[-1].date if transit else start
    exploitation = []
    for place in exploited_at:
        after = min(intake, after + dt.timedelta(days=rng.randint(0, 45)))
        exploitation.append(_stop(rng, "exploitation", place, after))
    return Journey(_stop(rng, "recruitment", recruited_at, start), transit, tuple(exploitation))


def _stop(rng: random.Random, kind: str, place: Place, day: dt.date) -> Stop:
    precision = pick(rng, PRECISION)
    if precision == "month":
        day = day.replace(day=1)
    elif precision == "year":
        day = day.replace(month=1, day=1)
    return Stop(kind, place, day, precision)


def _recruitment_place(rng: random.Random, person: Person, home: Place) -> Place:
    if person.foreign and rng.random() < 0.9:
        return rng.choice(foreign_cities(person.country))
    assert home.province is not None
    draw = rng.random()
    if draw < 0.6:
        return home
    if draw < 0.85:
        return weighted_city(rng, cities_of(home.province))
    return weighted_city(rng, cities_of(rng.choice(provinces_with_cities())))


def _exploitation_places(
    rng: random.Random, person: Person, home: Place, industries: list[str]
) -> list[Place]:
    assert home.province is not None
    if person.kind == "labour" and "agriculture_forestry_fishing" in industries:
        return [weighted_city(rng, farm_cities_of(home.province))]
    if person.kind != "sexual":
        return [home if rng.random() < 0.7 else weighted_city(rng, cities_of(home.province))]
    places = [_circuit_city(rng, home)]
    if rng.random() < 0.25:  # moved around a circuit of cities
        places.append(_circuit_city(rng, home))
    return places


def _circuit_city(rng: random.Random, home: Place) -> Place:
    assert home.province is not None
    draw = rng.random()
    if draw < 0.55:
        return home
    if draw < 0.85:
        return weighted_city(rng, cities_of(home.province))
    if draw < 0.95:
        return weighted_city(rng, cities_of(rng.choice(provinces_with_cities())))
    return rng.choice(foreign_cities("US"))


def _transit(
    rng: random.Random, origin: Place, destination: Place, start: dt.date, intake: dt.date
) -> tuple[Stop, ...]:
    day = min(intake, start + dt.timedelta(days=rng.randint(3, 60)))
    if origin.country != destination.country and origin.country != "US":
        if destination.country == "CA" and rng.random() < 0.7:
            arrival = canadian_city(rng.choice(ARRIVAL_CITIES))
            if arrival != destination:
                return (_stop(rng, "transit", arrival, day),)
        return ()
    if origin != destination and rng.random() < 0.3:
        return (_stop(rng, "transit", destination, day),)
    return ()


def _start_date(rng: random.Random, person: Person, intake: dt.date) -> dt.date:
    """A day in the year of the person's life when they were first trafficked."""
    earliest = _birthday(person.birth_date, person.age_trafficked)
    latest = min(
        intake - dt.timedelta(days=3),
        _birthday(person.birth_date, person.age_trafficked + 1) - dt.timedelta(days=1),
    )
    latest = min(max(latest, earliest), intake)
    return earliest + dt.timedelta(days=rng.randint(0, (latest - earliest).days))


def _birthday(birth: dt.date, age: int) -> dt.date:
    try:
        return birth.replace(year=birth.year + age)
    except ValueError:  # 29 February
        return birth.replace(year=birth.year + age, day=28)


def event_values(rng: random.Random, stop: Stop, *, french: bool) -> dict[str, object]:
    values: dict[str, object] = {
        "event_type": stop.event_type,
        "date_precision": stop.precision,
        "city": stop.place.city,
        "country": stop.place.country,
        "latitude": stop.place.latitude,
        "longitude": stop.place.longitude,
    }
    if stop.precision != "unknown" or rng.random() < 0.5:
        values["event_date"] = stop.date
    if stop.place.province:
        values["province"] = stop.place.province
    if stop.place.region:
        values["region"] = stop.place.region
    if rng.random() < 0.3:
        values["description"] = texts.choose(rng, texts.EVENTS[stop.event_type], french)
    return values
