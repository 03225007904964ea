"""The HTCDS victim context of a demo case: recruitment, exploitation, control, vulnerability and
needs, following the person (profiles.py) and the journey (journeys.py).

Probabilities are per code ("choose all that apply"); see profiles.py for what grounds them.
"""

import datetime as dt
import random
from typing import Any

from harbour.demo import texts
from harbour.demo.journeys import Journey
from harbour.demo.profiles import Person, Weights, pick, some

RELATIONSHIP: dict[str, Weights] = {
    "sexual": {"intimate_partner": 0.34, "acquaintance": 0.17, "friend": 0.14,
               "family_member": 0.06, "online_contact_only": 0.09, "stranger": 0.07,
               "employer": 0.03, "other": 0.02, "unknown": 0.08},
    "labour": {"employer": 0.74, "acquaintance": 0.07, "family_member": 0.05, "friend": 0.05,
               "stranger": 0.03, "online_contact_only": 0.02, "unknown": 0.04},
    "criminality": {"intimate_partner": 0.25, "friend": 0.25, "acquaintance": 0.25,
                    "family_member": 0.08, "stranger": 0.05, "unknown": 0.12},
    "servitude": {"employer": 0.45, "family_member": 0.30, "acquaintance": 0.12,
                  "intimate_partner": 0.08, "unknown": 0.05},
    "marriage": {"family_member": 0.75, "intimate_partner": 0.15, "acquaintance": 0.05,
                 "unknown": 0.05},
}  # fmt: skip
RECRUITMENT: dict[str, Weights] = {
    "sexual": {"romantic_relationship": 0.38, "friends": 0.2, "online_social_network": 0.32,
               "peer_recruitment": 0.12, "family": 0.06, "at_business": 0.05,
               "public_place": 0.05, "care_setting": 0.06, "at_school": 0.05,
               "online_advertisement": 0.07},
    "labour": {"recruitment_agency": 0.5, "online_advertisement": 0.25, "friends": 0.15,
               "family": 0.1, "at_work": 0.12, "newspaper_advertisement": 0.02},
    "criminality": {"romantic_relationship": 0.3, "friends": 0.35, "peer_recruitment": 0.25,
                    "online_social_network": 0.2, "public_place": 0.1, "care_setting": 0.08},
    "servitude": {"family": 0.3, "recruitment_agency": 0.3, "online_advertisement": 0.15,
                  "friends": 0.15, "romantic_relationship": 0.08},
    "marriage": {"family": 0.8, "romantic_relationship": 0.15, "online_social_network": 0.1},
}  # fmt: skip
RECRUITMENT_PLATFORMS: dict[str, Weights] = {
    "social": {"instagram": 0.38, "snapchat": 0.35, "tiktok": 0.15, "facebook": 0.12,
               "facebook_messenger": 0.1, "tinder": 0.07, "plenty_of_fish": 0.04,
               "discord": 0.04, "online_games": 0.04, "kik": 0.03, "whatsapp": 0.05},
    "jobs": {"job_sites": 0.4, "facebook": 0.4, "whatsapp": 0.35, "kijiji": 0.08,
             "craigslist": 0.04, "telegram": 0.05, "viber": 0.03},
}  # fmt: skip
EXPLOITATION_PLATFORMS: Weights = {
    "leolist": 0.45, "other_classified_ads": 0.12, "onlyfans": 0.08, "snapchat": 0.1,
    "instagram": 0.06, "tinder": 0.04, "x_twitter": 0.04, "reddit": 0.02, "telegram": 0.02,
}  # fmt: skip
SEX_TYPES: Weights = {
    "in_person_commercial_sex": 0.85, "sexual_images": 0.15, "remote_interactive": 0.12,
    "exotic_dance": 0.06, "private_sexual_services": 0.05,
}  # fmt: skip
INDUSTRIES: dict[str, Weights] = {
    "farm": {"agriculture_forestry_fishing": 0.8, "manufacturing": 0.15,
             "transportation_storage": 0.05},
    "labour": {"agriculture_forestry_fishing": 0.28, "accommodation_food": 0.16,
               "manufacturing": 0.13, "construction": 0.11, "households_as_employers": 0.08,
               "transportation_storage": 0.08, "other_services": 0.08,
               "administrative_support": 0.06, "wholesale_retail": 0.02},
    "servitude": {"households_as_employers": 0.85, "accommodation_food": 0.08,
                  "other_services": 0.07},
}  # fmt: skip
CONTROL: dict[str, Weights] = {
    "sexual": {"psychological_abuse": 0.7, "takes_earnings": 0.65, "physical_violence": 0.55,
               "physical_threats": 0.5, "isolation": 0.45, "monitoring": 0.45,
               "sexual_violence": 0.4, "substances": 0.3, "restricts_financial_access": 0.3,
               "image_based_threats": 0.2, "threats_to_family": 0.2, "debt_bondage": 0.2,
               "confinement": 0.15, "withholds_documents": 0.15, "withholds_necessities": 0.1},
    "labour": {"excessive_working_hours": 0.7, "false_promises": 0.6, "takes_earnings": 0.5,
               "withholds_documents": 0.5, "threats_law_enforcement": 0.5, "debt_bondage": 0.45,
               "isolation": 0.4, "psychological_abuse": 0.35, "confinement": 0.2,
               "restricts_medical_care": 0.2, "physical_threats": 0.2,
               "withholds_necessities": 0.2, "monitoring": 0.2},
    "criminality": {"physical_threats": 0.6, "psychological_abuse": 0.55, "substances": 0.45,
                    "physical_violence": 0.45, "takes_earnings": 0.4, "debt_bondage": 0.35,
                    "threats_law_enforcement": 0.3, "monitoring": 0.3},
    "servitude": {"excessive_working_hours": 0.7, "withholds_documents": 0.55,
                  "confinement": 0.45, "isolation": 0.6, "takes_earnings": 0.5,
                  "threats_law_enforcement": 0.4, "psychological_abuse": 0.5,
                  "withholds_necessities": 0.3},
    "marriage": {"threats_to_family": 0.6, "psychological_abuse": 0.6, "isolation": 0.55,
                 "confinement": 0.35, "sexual_violence": 0.4, "withholds_documents": 0.35,
                 "restricts_financial_access": 0.45},
}  # fmt: skip
VULNERABILITY: dict[str, Weights] = {
    "domestic": {"poverty": 0.45, "mental_health": 0.35, "substance_use": 0.3,
                 "prior_sexual_abuse": 0.3, "homelessness": 0.3, "intimate_partner_violence": 0.25,
                 "social_isolation": 0.25, "child_welfare_involvement": 0.2,
                 "online_abuse": 0.15, "limited_education": 0.15, "physical_abuse": 0.2,
                 "developmental_disability": 0.05, "disability_physical_health": 0.05},
    "migrant": {"precarious_immigration_status": 0.7, "migration": 0.6, "language_barriers": 0.55,
                "poverty": 0.5, "work_environment": 0.5, "social_isolation": 0.35,
                "geographic_isolation": 0.25, "discrimination": 0.15, "limited_education": 0.15},
}  # fmt: skip
NEEDS: dict[str, Weights] = {
    "domestic": {"trauma_care": 0.6, "safe_housing": 0.55, "mental_health": 0.45,
                 "income": 0.45, "legal": 0.3, "emergency_shelter": 0.3, "immediate_safety": 0.3,
                 "physical_health": 0.3, "sexual_reproductive_health": 0.3,
                 "phone_technology_safety": 0.3, "peer_support": 0.3, "food_clothing": 0.3,
                 "victim_services_court_support": 0.25, "employment": 0.25,
                 "education_training": 0.2, "identity_documents": 0.2, "transportation": 0.2,
                 "financial_literacy_debt": 0.2, "detox_addiction_treatment": 0.15,
                 "criminal_record_help": 0.12, "harm_reduction": 0.1, "dental": 0.1},
    "migrant": {"immigration_trp": 0.75, "income": 0.6, "employment": 0.5, "legal": 0.5,
                "food_clothing": 0.35, "identity_documents": 0.35, "emergency_shelter": 0.3,
                "safe_housing": 0.3, "physical_health": 0.3, "mental_health": 0.25,
                "family_reunification": 0.1, "repatriation": 0.06, "transportation": 0.15},
}  # fmt: skip
INTAKE_METHOD: dict[str, Weights] = {
    "general": {"referral": 0.22, "walk_in": 0.13, "phone": 0.14, "hotline": 0.12,
                "online": 0.10, "outreach": 0.10, "law_enforcement": 0.10, "health_care": 0.06,
                "friend_or_family": 0.03},
    "police": {"law_enforcement": 0.85, "referral": 0.05, "phone": 0.05, "hotline": 0.05},
    "health": {"health_care": 0.45, "referral": 0.25, "walk_in": 0.15, "phone": 0.1,
               "hotline": 0.05},
    "farmworker": {"outreach": 0.45, "phone": 0.2, "referral": 0.15, "friend_or_family": 0.1,
                   "online": 0.1},
    "legal_labour": {"referral": 0.45, "phone": 0.2, "walk_in": 0.15, "online": 0.1,
                     "outreach": 0.1},
}  # fmt: skip
REFERRAL_REASON: Weights = {
    "specialised_services": 0.3, "additional_services": 0.2, "no_capacity": 0.15,
    "safety_relocation": 0.15, "relocation": 0.1, "survivor_request": 0.1,
}  # fmt: skip


def exploitation_types(rng: random.Random, kind: str) -> list[str]:
    extra: dict[str, tuple[str, float]] = {
        "sexual": ("forced_criminality", 0.07),
        "labour": ("servitude", 0.06),
        "criminality": ("sexual_exploitation", 0.35),
        "servitude": ("forced_labour", 0.30),
        "marriage": ("servitude", 0.40),
    }
    main = {"sexual": "sexual_exploitation", "labour": "forced_labour",
            "criminality": "forced_criminality", "servitude": "servitude",
            "marriage": "forced_marriage"}[kind]  # fmt: skip
    second, share = extra[kind]
    return sorted({main, second} if rng.random() < share else {main})


def industries(rng: random.Random, person: Person, focus: str) -> list[str]:
    if person.kind == "labour":
        return some(rng, INDUSTRIES["farm" if focus == "farmworker" else "labour"])[:2]
    if person.kind == "servitude":
        return [pick(rng, INDUSTRIES["servitude"])]
    return []


def victim_context(
    rng: random.Random, person: Person, journey: Journey, types: list[str], found_in: list[str]
) -> dict[str, Any]:
    """The case's trafficking-situation fields (status and who decided it are added later)."""
    relationship = _relationship(rng, person)
    methods = _recruitment(rng, person, relationship)
    values: dict[str, Any] = {
        "relationship_to_trafficker": relationship,
        "age_when_trafficked": person.age_trafficked,
        "recruitment_methods": methods,
        "recruitment_platforms": _platforms(rng, person, methods),
        "exploitation_types": types,
        "forced_labour_industries": found_in,
        "control_methods": _control(rng, person, relationship),
        "vulnerabilities": _vulnerabilities(rng, person),
    }
    values |= _place_fields("recruitment", journey.recruitment.place)
    values |= _place_fields("exploitation", journey.exploitation[0].place)
    if "sexual_exploitation" in types:
        values["sex_exploitation_types"] = some(rng, SEX_TYPES)
        values["exploitation_platforms"] = some(rng, EXPLOITATION_PLATFORMS, at_least_one=False)
    return values


def _place_fields(prefix: str, place: Any) -> dict[str, Any]:
    fields = {f"{prefix}_city": place.city, f"{prefix}_country": place.country}
    if place.province:
        fields[f"{prefix}_province"] = place.province
    return fields


def _relationship(rng: random.Random, person: Person) -> list[str]:
    weights = RELATIONSHIP[person.kind]
    first = pick(rng, weights)
    if first != "unknown" and rng.random() < 0.12:
        second = pick(rng, {k: v for k, v in weights.items() if k not in {first, "unknown"}})
        return sorted({first, second})
    return [first]


def _recruitment(rng: random.Random, person: Person, relationship: list[str]) -> list[str]:
    if rng.random() < 0.05:
        return []  # not known, or the person chose not to say
    weights = dict(RECRUITMENT[person.kind])
    if "intimate_partner" in relationship and "romantic_relationship" in weights:
        weights["romantic_relationship"] = 0.85
    if person.minor and person.kind == "sexual":
        weights |= {"care_setting": 0.2, "at_school": 0.15, "peer_recruitment": 0.2}
    return some(rng, weights)


def _platforms(rng: random.Random, person: Person, methods: list[str]) -> list[str]:
    online = {"online_social_network", "online_advertisement"} & set(methods)
    if not online:
        return []
    weights = dict(RECRUITMENT_PLATFORMS["jobs" if person.kind == "labour" else "social"])
    if person.country == "CN":
        weights["wechat"] = 0.6
    return some(rng, weights)[:3]


def _control(rng: random.Random, person: Person, relationship: list[str]) -> list[str]:
    weights = dict(CONTROL[person.kind])
    if "intimate_partner" in relationship:
        weights["romantic_manipulation"] = 0.85
    if person.foreign:
        weights["threats_law_enforcement"] = max(weights.get("threats_law_enforcement", 0), 0.5)
    return some(rng, weights)


def _vulnerabilities(rng: random.Random, person: Person) -> list[str]:
    weights = dict(VULNERABILITY["migrant" if person.foreign else "domestic"])
    if person.minor:
        weights |= {"child_welfare_involvement": 0.45, "runaway_missing_youth": 0.35}
    if person.is_indigenous:
        weights |= {"discrimination": 0.35, "marginalised_group": 0.3}
    if person.gender in {"trans_woman", "trans_man", "non_binary", "two_spirit"}:
        weights["marginalised_group"] = 0.5
    if person.interpreter:
        weights["language_barriers"] = 0.9
    return some(rng, weights, at_least_one=False)


def needs(rng: random.Random, person: Person, dependants: int) -> list[str]:
    weights = dict(NEEDS["migrant" if person.foreign else "domestic"])
    if dependants:
        weights["child_care"] = 0.5
    if person.interpreter:
        weights["interpretation"] = 0.8
    if person.is_indigenous:
        weights |= {"indigenous_cultural_supports": 0.6, "spiritual_care": 0.1}
    return some(rng, weights)


def intake_fields(
    rng: random.Random, focus: str, intake: dt.date, referrers: list[Any]
) -> dict[str, Any]:
    """How the person reached the organisation, with the referral details if referred."""
    method = pick(rng, INTAKE_METHOD.get(focus, INTAKE_METHOD["general"]))
    values: dict[str, Any] = {"intake_method": method}
    if method == "referral":
        values |= {
            "incoming_referral_date": intake,
            "incoming_referral_reason": pick(rng, REFERRAL_REASON),
        }
        if referrers and rng.random() < 0.55:
            values["referred_by_org"] = rng.choice(referrers)
        else:
            values["referred_by_other"] = rng.choice(texts.REFERRERS)
    elif method == "law_enforcement" and focus != "police" and rng.random() < 0.6:
        values["referred_by_other"] = "Municipal police human trafficking unit"
    return values
