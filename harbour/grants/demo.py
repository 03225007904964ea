# ruff: noqa: E501 -- the demo tables read best one record a line
"""Synthetic grants and partner-network data for the demo, in English and French.

Every funder and program is invented and says so ("Demo —" / "Démo —", `is_synthetic`): 16
funders in every kind of jurisdiction, 48 programs, awards over four years, a partner profile for
each demo organisation and five committees (one missing a key group, to show the check).
"""

import datetime as dt
import random
from typing import Any

from harbour.audit.actions import Actor
from harbour.grants import actions
from harbour.grants.models import Committee, Funder, Program

# short name, kind, province ("" national), English and French names
FUNDERS = (
    ("demo-fed-safety", "federal", "", "Federal Anti-Trafficking Contribution Fund", "Fonds fédéral de contributions contre la traite"),
    ("demo-fed-equality", "federal", "", "Federal Gender Equality Program", "Programme fédéral pour l'égalité des genres"),
    ("demo-fed-justice", "federal", "", "Federal Victims Fund", "Fonds fédéral d'aide aux victimes"),
    ("demo-on", "provincial_territorial", "CA-ON", "Ontario Ministry of Community Safety", "Ministère ontarien de la Sécurité communautaire"),
    ("demo-qc", "provincial_territorial", "CA-QC", "Québec Ministry of Public Security", "Ministère de la Sécurité publique du Québec"),
    ("demo-bc", "provincial_territorial", "CA-BC", "British Columbia Office to Combat Trafficking", "Bureau de lutte contre la traite de la Colombie-Britannique"),
    ("demo-ab", "provincial_territorial", "CA-AB", "Alberta Community and Social Services", "Services communautaires et sociaux de l'Alberta"),
    ("demo-mb", "provincial_territorial", "CA-MB", "Manitoba Families", "Familles Manitoba"),
    ("demo-ns", "provincial_territorial", "CA-NS", "Nova Scotia Status of Women", "Condition féminine Nouvelle-Écosse"),
    ("demo-toronto", "municipal", "CA-ON", "City of Toronto Community Grants", "Subventions communautaires de la Ville de Toronto"),
    ("demo-montreal", "municipal", "CA-QC", "Ville de Montréal Social Development", "Développement social de la Ville de Montréal"),
    ("demo-treaty", "indigenous_government", "CA-MB", "Treaty Nations Council", "Conseil des Nations signataires de traités"),
    ("demo-inuit", "indigenous_government", "CA-NU", "Inuit Regional Wellness Authority", "Autorité régionale inuite du mieux-être"),
    ("demo-maple-fdn", "foundation", "", "Maple Leaf Community Foundation", "Fondation communautaire de la Feuille d'érable"),
    ("demo-bank", "private_sector", "", "Northern Bank Social Impact Fund", "Fonds d'impact social de la Banque du Nord"),
    ("demo-faith", "faith_based", "", "Interfaith Council for Human Dignity", "Conseil interconfessionnel pour la dignité humaine"),
)  # fmt: skip

# code, pillars, populations, English and French names and descriptions
THEMES: tuple[tuple[Any, ...], ...] = (
    ("housing", ["protection"], ["women_and_girls"], "Survivor Housing Grant", "Subvention au logement des personnes survivantes",
     "Safe, transitional and long-term housing for survivors.", "Logement sûr, de transition et à long terme pour les personnes survivantes."),
    ("schools", ["prevention"], ["youth"], "Prevention in Schools", "Prévention dans les écoles",
     "Education on recruitment and online luring for students and staff.", "Sensibilisation au recrutement et au leurre en ligne pour les élèves et le personnel."),
    ("partners", ["partnerships"], [], "Community Partnerships Fund", "Fonds de partenariats communautaires",
     "Networks, roundtables and shared protocols between organisations.", "Réseaux, tables rondes et protocoles communs entre organismes."),
    ("migrants", ["protection", "prevention"], ["migrant_workers"], "Migrant Worker Protection Initiative", "Initiative de protection des travailleur·euse·s migrant·e·s",
     "Outreach, legal information and support for exploited workers.", "Approche de proximité, information juridique et soutien aux personnes exploitées au travail."),
    ("healing", ["protection"], ["indigenous"], "Indigenous-led Healing Programs", "Programmes de guérison dirigés par des Autochtones",
     "Land-based and culturally grounded healing led by Indigenous organisations.", "Guérison culturelle et axée sur le territoire, menée par des organismes autochtones."),
    ("court", ["prosecution"], [], "Justice and Court Support", "Soutien judiciaire et accompagnement au tribunal",
     "Accompaniment, testimony support and legal advice for survivors.", "Accompagnement, soutien au témoignage et conseils juridiques pour les personnes survivantes."),
    ("youth", ["prevention", "protection"], ["youth", "twoslgbtqi"], "Youth Outreach Micro-grants", "Microsubventions d'approche auprès des jeunes",
     "Small grants for street outreach and drop-in programs.", "Petites subventions pour le travail de rue et les haltes-accueil."),
    ("data", ["partnerships"], [], "Data and Research Capacity", "Capacité en données et en recherche",
     "Case data quality, evaluation and research partnerships.", "Qualité des données, évaluation et partenariats de recherche."),
    ("awareness", ["prevention"], [], "Public Awareness Campaigns", "Campagnes de sensibilisation du public",
     "Campaigns on the signs of trafficking and where to get help.", "Campagnes sur les signes de la traite et les ressources d'aide."),
    ("training", ["prosecution", "partnerships"], [], "Trauma-informed Training", "Formation tenant compte des traumatismes",
     "Training for police, health and frontline staff.", "Formation pour la police, la santé et le personnel de première ligne."),
    ("emergency", ["protection"], [], "Emergency Response Fund", "Fonds d'intervention d'urgence",
     "Rapid help: transport, emergency shelter, basic needs.", "Aide rapide : transport, hébergement d'urgence, besoins essentiels."),
    ("leaders", ["partnerships", "prevention"], ["survivors"], "Survivor Leadership Awards", "Prix de leadership des personnes survivantes",
     "Paid roles for people with lived experience in design and advocacy.", "Rôles rémunérés pour les personnes ayant un vécu, en conception et en défense des droits."),
)  # fmt: skip

GROUP_OF_TYPE = {
    "law_enforcement": "frontline_systems",
    "health_service": "frontline_systems",
    "indigenous_led": "at_risk_communities",
    "survivor_led": "survivors",
}
COMMITTEES = (
    ("demo-national", "National Coordinating Committee", "Comité national de coordination", "", None),
    ("demo-data", "Data and Research Roundtable", "Table ronde sur les données et la recherche", "", "survivors"),
    ("demo-tech", "Technology Roundtable", "Table ronde sur la technologie", "", None),
    ("demo-awareness", "Public Awareness Committee", "Comité de sensibilisation du public", "", None),
    ("demo-ontario", "Ontario Regional Roundtable", "Table ronde régionale de l'Ontario", "CA-ON", None),
)  # fmt: skip


def load_demo(
    *, by: Actor, orgs: list[Any], national: Any, today: dt.date, seed: int = 7
) -> dict[str, int]:
    rng = random.Random(seed)
    funders = [_funder(by, row) for row in FUNDERS]
    programs = [p for f in funders for p in _programs(by, f, rng, today)]
    for org in [*orgs, national]:
        _profile(by, org)
    awards = sum(_awards(by, org, programs, rng, today) for org in orgs)
    for spec in COMMITTEES:
        _committee(by, spec, [*orgs, national])
    return {"funders": len(funders), "programs": len(programs), "awards": awards}


def _funder(by: Actor, row: tuple[str, ...]) -> Funder:
    short, kind, province, en, fr = row
    values = {
        "short_name": short,
        "kind": kind,
        "province": province,
        "name_en": f"Demo — {en}",
        "name_fr": f"Démo — {fr}",
        "website": f"https://{short}.demo.harbour.ca",
        "is_synthetic": True,
    }
    return actions.save_funder(by=by, values_in=values)


def _programs(by: Actor, funder: Funder, rng: random.Random, today: dt.date) -> list[Program]:
    themes = rng.sample(THEMES, 3)
    return [_program(by, funder, theme, rng, today) for theme in themes]


def _program(
    by: Actor, funder: Funder, theme: tuple[Any, ...], rng: random.Random, today: dt.date
) -> Program:
    code, pillars, populations, en, fr, desc_en, desc_fr = theme
    small = funder.kind in {"municipal", "faith_based"}
    top = rng.choice([25, 50, 75] if small else [100, 150, 250, 500]) * 1000
    opens = today + dt.timedelta(days=rng.randint(-90, 60))
    values = {
        "code": f"{funder.short_name}-{code}",
        "name_en": en,
        "name_fr": fr,
        "description_en": f"{desc_en} Synthetic demo program.",
        "description_fr": f"{desc_fr} Programme fictif de démonstration.",
        "pillars": pillars,
        "populations": populations,
        "provinces": [funder.province] if funder.province else [],
        "org_types": _types_for(code),
        "amount_min": top // 10,
        "amount_max": top,
        "term_years": rng.choice([1, 1, 2, 3]),
        "opens_on": opens,
        "deadline": opens + dt.timedelta(days=rng.randint(30, 150)),
        "recurrence": rng.choice(["annual", "annual", "once"]),
        "url": f"https://{funder.short_name}.demo.harbour.ca/{code}",
        "is_synthetic": True,
    }
    return actions.save_program(by=by, funder=funder, values_in=values)


def _types_for(theme: str) -> list[str]:
    if theme == "healing":
        return ["indigenous_led", "indigenous_government"]
    if theme == "training":
        return ["law_enforcement", "health_service", "ngo"]
    if theme == "leaders":
        return ["survivor_led", "ngo"]
    return []


def _profile(by: Actor, org: Any) -> None:
    languages = ["eng", "fra"] if org.province in {"CA-QC", "CA-NB"} else ["eng"]
    if org.type == "indigenous_led":
        languages += ["cre", "oji"]
    values = {
        "group": GROUP_OF_TYPE.get(org.type, "ngos"),
        "regions": org.provinces_served or [org.province],
        "pillars": ["protection", "partnerships"],
        "populations": [],
        "languages": languages,
        "summary_en": "Synthetic demo organisation: partners, referrals and committees.",
        "summary_fr": "Organisme fictif de démonstration : partenaires, orientations et comités.",
        "website": f"https://{org.short_name}.demo.harbour.ca",
        "contact_name": "Demo partnerships desk",
        "contact_email": f"partners@{org.short_name}.demo.harbour.ca",
    }
    actions.save_profile(by=by, org=org, values_in=values)


def _awards(
    by: Actor, org: Any, programs: list[Program], rng: random.Random, today: dt.date
) -> int:
    fitting = [
        p
        for p in programs
        if (not p.provinces or org.province in p.provinces)
        and (not p.org_types or org.type in p.org_types)
    ]
    count = 0
    for year in range(today.year - 3, today.year + 1):
        for program in rng.sample(fitting, min(len(fitting), rng.randint(1, 3))):
            amount = rng.randint(program.amount_min, program.amount_max) // 1000 * 1000
            starts = dt.date(year, rng.choice([1, 4, 7, 10]), 1)
            values = {
                "amount": max(1000, amount),
                "starts_on": starts,
                "ends_on": _years_later(starts, program.term_years),
                "province": org.province,
                "pillars": program.pillars,
                "populations": program.populations,
                "purpose_en": program.name_en,
                "purpose_fr": program.name_fr,
                "is_synthetic": True,
            }
            actions.save_award(by=by, org=org, program=program, values_in=values)
            count += 1
    return count


def _years_later(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year + years) - dt.timedelta(days=1)


def _committee(by: Actor, spec: tuple[Any, ...], orgs: list[Any]) -> Committee:
    code, en, fr, province, leave_out = spec
    values = {
        "code": code,
        "name_en": f"Demo — {en}",
        "name_fr": f"Démo — {fr}",
        "province": province,
        "mandate_en": "Synthetic demo committee of partner organisations.",
        "mandate_fr": "Comité fictif de démonstration réunissant des organismes partenaires.",
    }
    committee = actions.save_committee(by=by, values_in=values)
    members = [
        o
        for o in orgs
        if (not province or o.province == province or province in (o.provinces_served or []))
        and GROUP_OF_TYPE.get(o.type, "ngos") != leave_out
    ]
    actions.set_members(by=by, committee=committee, orgs=members, chairs=members[:1])
    return committee
