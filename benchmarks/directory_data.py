"""Synthetic directory data for benchmarks: N services at real Canadian places, written with
bulk inserts; the search index is built by Harbour's own indexer (harbour.directory.index)."""

import random
import uuid
from typing import Any

from harbour.directory import index
from harbour.directory import models as m
from harbour.directory.actions import ensure_taxonomy
from harbour.directory.demo import MIX, NORTH
from harbour.directory.places import cities

BATCH = 5000


def generate(n: int, *, seed: int) -> None:
    from harbour.audit.actions import SystemActor

    rng = random.Random(seed)
    ensure_taxonomy(by=SystemActor("bench"))
    terms = {t.code: t.pk for t in m.TaxonomyTerm.objects.all()}
    towns = list(cities())
    weights = [max(c.population, 500) ** 0.8 for c in towns]
    providers = [
        m.Provider(name=f"Bench provider {i}", description="Benchmark data.")
        for i in range(max(1, n // 50))
    ]
    m.Provider.objects.bulk_create(providers, batch_size=BATCH)
    ids: list[Any] = []
    for start in range(0, n, BATCH):
        ids += _batch(rng, min(BATCH, n - start), providers, towns, weights, terms)
    for start in range(0, len(ids), 2000):
        index.refresh(ids[start : start + 2000])


def _batch(
    rng: random.Random,
    count: int,
    providers: list[m.Provider],
    towns: list[Any],
    weights: list[float],
    terms: dict[str, Any],
) -> list[Any]:
    rows: dict[type, list[Any]] = {
        k: []
        for k in (
            m.Service,
            m.Location,
            m.ServiceAtLocation,
            m.Address,
            m.Attribute,
            m.Language,
            m.Phone,
        )
    }
    for _i in range(count):
        city = rng.choices(towns, weights)[0]
        column = 3 if city.province in NORTH else (1 if city.population >= 100_000 else 2)
        term = rng.choices([t[0] for t in MIX], [t[column] for t in MIX])[0]
        service = m.Service(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            provider=rng.choice(providers),
            name=f"{term.replace('_', ' ').title()} {city.name} {_i}",
            description=f"Benchmark {term} service in {city.name}.",
            minimum_age=rng.choice([None, None, 16, 18]),
            genders=rng.choice([[], [], ["woman", "trans_woman"], ["man"]]),
            addiction_accepted=rng.choice([None, True, False, False]),
            capacity_unit="beds" if term.endswith(("shelter", "house", "housing")) else "",
            capacity_total=rng.randint(4, 40),
            capacity_available=rng.randint(0, 5),
        )
        rows[m.Service].append(service)
        level = rng.choices(["public", "partners", "hidden"], [85, 10, 5])[0]
        hidden = level == "hidden"
        location = m.Location(
            provider=service.provider,
            name=service.name,
            confidentiality=level,
            province=city.province,
            latitude=None if hidden else city.latitude + rng.uniform(-0.05, 0.05),
            longitude=None if hidden else city.longitude + rng.uniform(-0.05, 0.05),
        )
        rows[m.Location].append(location)
        rows[m.ServiceAtLocation].append(m.ServiceAtLocation(service=service, location=location))
        if not hidden:
            rows[m.Address].append(
                m.Address(
                    location=location,
                    address_1="1 Bench Street",
                    city=city.name,
                    state_province=city.province,
                    postal_code="A1A 1A1",
                )
            )
        for code in {term, rng.choice(["youth", "interpretation", term, term])}:
            rows[m.Attribute].append(
                m.Attribute(link_id=service.pk, link_entity="service", term_id=terms[code])
            )
        for code in {"eng", rng.choice(["fra", "spa", "eng", "tgl"])}:
            rows[m.Language].append(m.Language(service=service, code=code, name=code))
        rows[m.Phone].append(m.Phone(service=service, number="+1 555 0100", type="intake"))
    for model, items in rows.items():
        model.objects.bulk_create(items, batch_size=1000)
    return [s.pk for s in rows[m.Service]]
