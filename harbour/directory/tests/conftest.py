"""Fixtures for the directory: a small world built through the actions, as a provider would."""

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache

from harbour.audit.actions import SystemActor
from harbour.directory import actions, demo
from harbour.directory.models import Location, Provider, Service

SYSTEM = SystemActor("tests")
# The hidden safe house's secrets: none may ever appear outside its organisation.
HIDDEN_STREET = "1313 Mockingbird Lane"
HIDDEN_POSTAL = "M4Y 9Z9"
HIDDEN_LAT, HIDDEN_LON = 43.66871, -79.38573
PARTNER_STREET = "77 Quiet Court"


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    """Coverage is cached by data version; on SQLite a rolled-back test's ids come back in the
    next test, so each test starts with an empty cache."""
    cache.clear()


@pytest.fixture
def demo_world(org: Any, other_org: Any) -> int:
    """The demo directory (300+ services); returns the number of services."""
    return demo.load_demo(by=SystemActor("demo"), orgs=[org, other_org], seed=7)


@dataclass
class World:
    provider: Provider
    public_shelter: Service
    partner_shelter: Service
    safe_house: Service
    hidden_location: Location
    partner_location: Location
    north_clinic: Service
    crisis_line: Service
    org: Any


def make_service(
    provider: Provider,
    name: str,
    terms: list[str],
    *,
    by: Any = SYSTEM,
    languages: tuple[str, ...] = ("eng",),
    areas: tuple[str, ...] = (),
    phone: str = "+1 416 555 0100",
    **values: Any,
) -> Service:
    return actions.create_service(
        by=by,
        provider=provider,
        values={"name": name, **values},
        terms=terms,
        languages=list(languages),
        areas=list(areas),
        phone=phone,
    )


def place(
    service: Service,
    *,
    city: str,
    province: str,
    street: str,
    postal: str,
    lat: float | None = None,
    lon: float | None = None,
    confidentiality: str = "public",
    by: Any = SYSTEM,
) -> Location:
    return actions.save_location(
        by=by,
        service=service,
        values={
            "name": service.name,
            "confidentiality": confidentiality,
            "latitude": lat,
            "longitude": lon,
            "location_type": "physical",
        },
        address={
            "address_1": street,
            "city": city,
            "state_province": province,
            "postal_code": postal,
        },
    )


@pytest.fixture
def world(org: Any) -> World:
    actions.ensure_taxonomy(by=SYSTEM)
    provider = actions.create_provider(by=SYSTEM, name="Lighthouse Women's Services", org=org)
    public = make_service(
        provider,
        "Lighthouse Emergency Shelter",
        ["emergency_shelter"],
        capacity_unit="beds",
        capacity_total=20,
        capacity_available=4,
        addiction_accepted=False,
        languages=("eng", "spa"),
    )
    place(
        public,
        city="Toronto",
        province="CA-ON",
        street="10 Front Street",
        postal="M5V 1A1",
        lat=43.6453,
        lon=-79.3806,
    )
    partner = make_service(
        provider,
        "Lighthouse Second Stage",
        ["emergency_shelter"],
        capacity_unit="beds",
        capacity_total=8,
        capacity_available=1,
    )
    partner_loc = place(
        partner,
        city="Toronto",
        province="CA-ON",
        street=PARTNER_STREET,
        postal="M6K 1A1",
        lat=43.6400,
        lon=-79.4300,
        confidentiality="partners",
    )
    safe = make_service(
        provider,
        "Lighthouse Safe House",
        ["safe_house"],
        capacity_unit="beds",
        capacity_total=6,
        capacity_available=2,
        addiction_accepted=True,
        genders=["woman", "trans_woman"],
    )
    hidden = place(
        safe,
        city="Toronto",
        province="CA-ON",
        street=HIDDEN_STREET,
        postal=HIDDEN_POSTAL,
        lat=HIDDEN_LAT,
        lon=HIDDEN_LON,
        confidentiality="hidden",
    )
    north_provider = actions.create_provider(by=SYSTEM, name="Qikiqtani Health")
    clinic = make_service(
        north_provider,
        "Iqaluit Community Clinic",
        ["medical_sexual_health"],
        languages=("eng", "iku"),
        phone="+1 867 555 0101",
    )
    place(clinic, city="Iqaluit", province="CA-NU", street="1 Sinaa Road", postal="X0A 0H0")
    national = actions.create_provider(by=SYSTEM, name="Canada-wide Helplines")
    line = make_service(
        national,
        "National Trafficking Support Line",
        ["crisis_line"],
        areas=("CA",),
        languages=("eng", "fra", "tgl"),
        phone="1 833 555 0199",
    )
    return World(provider, public, partner, safe, hidden, partner_loc, clinic, line, org)
