"""A plausible ILO/EC (Delphi) screening for a demo case, and the status it leads to.

A caseworker ticks the indicators that what they have heard supports. The demo does the same: each
recorded fact (a control method, a recruitment method, a vulnerability, the type of exploitation)
points to the indicators it is evidence for, and each is ticked with some probability, plus the odd
indicator for something not recorded elsewhere. The ILO/EC rules then decide, as in the real
action, whether the indicators of trafficking are met; many cases meet them, some do not.
"""

import datetime as dt
import random
from collections.abc import Iterable
from functools import cache
from typing import Any

from harbour.demo import texts
from harbour.demo.profiles import Person, pick
from harbour.standard import delphi

CONTROL_HINTS: dict[str, tuple[str, ...]] = {
    "withholds_documents": ("coercion_at_destination.confiscation_of_documents",),
    "debt_bondage": ("coercion_at_destination.debt_bondage", "coercive_recruitment.debt_bondage"),
    "isolation": ("coercion_at_destination.isolation_confinement_surveillance",),
    "confinement": ("coercion_at_destination.isolation_confinement_surveillance",),
    "monitoring": ("coercion_at_destination.isolation_confinement_surveillance",),
    "physical_violence": ("coercion_at_destination.violence_on_victim",),
    "sexual_violence": ("coercion_at_destination.violence_on_victim",),
    "physical_threats": ("coercion_at_destination.threats_of_violence",),
    "threats_law_enforcement": ("coercion_at_destination.threat_of_denunciation",),
    "threats_to_family": ("coercion_at_destination.violence_on_family",),
    "takes_earnings": ("coercion_at_destination.withholding_of_wages",
                       "exploitative_conditions.low_or_no_salary"),
    "restricts_financial_access": ("coercion_at_destination.withholding_of_wages",),
    "excessive_working_hours": ("exploitative_conditions.excessive_working_hours",),
    "withholds_necessities": ("exploitative_conditions.bad_living_conditions",),
    "restricts_medical_care": ("exploitative_conditions.very_bad_working_conditions",),
    "substances": ("coercion_at_destination.under_strong_influence",),
    "psychological_abuse": ("abusive_destination.dependency_on_exploiters",),
    "romantic_manipulation": ("abusive_recruitment.psychological_emotional_dependency",
                              "abusive_destination.dependency_on_exploiters"),
    "image_based_threats": ("coercion_at_destination.threats_to_inform_family_community",),
    "false_promises": ("deceptive_recruitment.nature_of_job",
                       "deceptive_recruitment.wages_earnings"),
}  # fmt: skip
RECRUITMENT_HINTS: dict[str, tuple[str, ...]] = {
    "romantic_relationship": ("deceptive_recruitment.promises_marriage_adoption",
                              "deceptive_recruitment.housing_living_conditions",
                              "abusive_recruitment.psychological_emotional_dependency"),
    "online_social_network": ("deceptive_recruitment.nature_of_job",),
    "friends": ("deceptive_recruitment.housing_living_conditions",),
    "recruitment_agency": ("deceptive_recruitment.nature_of_job",
                           "deceptive_recruitment.conditions_of_work",
                           "deceptive_recruitment.travel_recruitment_conditions"),
    "online_advertisement": ("deceptive_recruitment.nature_of_job",
                             "deceptive_recruitment.wages_earnings"),
    "peer_recruitment": ("abusive_recruitment.control_of_exploiters",),
    "family": ("abusive_recruitment.family_situation",),
}  # fmt: skip
VULNERABILITY_HINTS: dict[str, tuple[str, ...]] = {
    "poverty": ("abusive_recruitment.economic_reasons", "abusive_destination.economic_reasons"),
    "precarious_immigration_status": ("abusive_recruitment.illegal_status",
                                      "abusive_destination.relationship_with_authorities"),
    "language_barriers": ("abusive_destination.unknown_area",
                          "abusive_recruitment.lack_of_information"),
    "child_welfare_involvement": ("abusive_recruitment.difficult_family_situation",),
    "runaway_missing_youth": ("abusive_recruitment.difficult_family_situation",),
    "prior_sexual_abuse": ("abusive_recruitment.difficulties_in_the_past",
                           "abusive_destination.difficulties_in_the_past"),
    "limited_education": ("abusive_recruitment.lack_of_education",),
    "mental_health": ("abusive_recruitment.personal_situation",
                      "abusive_destination.personal_characteristics"),
    "developmental_disability": ("abusive_recruitment.personal_situation",
                                 "abusive_destination.personal_characteristics"),
    "migration": ("abusive_recruitment.false_information_successful_migration",),
    "geographic_isolation": ("abusive_destination.unknown_area",),
    "homelessness": ("abusive_recruitment.personal_situation",
                     "abusive_destination.economic_reasons"),
    "substance_use": ("abusive_recruitment.personal_situation",),
    "intimate_partner_violence": ("abusive_recruitment.psychological_emotional_dependency",),
}  # fmt: skip
TYPE_HINTS: dict[str, tuple[str, ...]] = {
    "sexual_exploitation": ("coercion_at_destination.forced_tasks_or_clients",
                            "exploitative_conditions.very_bad_working_conditions",
                            "exploitative_conditions.excessive_working_hours",
                            "exploitative_conditions.bad_living_conditions",
                            "exploitative_conditions.low_or_no_salary"),
    "forced_labour": ("exploitative_conditions.no_respect_labour_laws_contract",
                      "exploitative_conditions.wage_manipulation",
                      "exploitative_conditions.no_social_protection",
                      "exploitative_conditions.hazardous_work"),
    "forced_criminality": ("coercion_at_destination.illicit_criminal_activities",
                           "coercion_at_destination.forced_to_lie",
                           "exploitative_conditions.very_bad_working_conditions"),
    "servitude": ("exploitative_conditions.bad_living_conditions",
                  "exploitative_conditions.excessive_working_hours",
                  "exploitative_conditions.low_or_no_salary"),
    "forced_marriage": ("coercive_recruitment.abduction_marriage_adoption_sale",
                        "exploitative_conditions.bad_living_conditions"),
}  # fmt: skip
# How likely a piece of evidence is recognised and ticked: most screenings are thorough, some are
# cut short (the person is tired, or it is not the time).
THOROUGHNESS = {"0.85": 0.75, "0.5": 0.25}


@cache
def catalogue() -> delphi.IndicatorCatalogue:
    return delphi.load_catalogue()


def indicator_set_for(person: Person, types: list[str]) -> str:
    population = "child" if person.child_at_exploitation else "adult"
    exploitation = "sexual" if "sexual_exploitation" in types else "labour"
    return f"{population}-{exploitation}"


def choose_indicators(rng: random.Random, set_id: str, case: dict[str, Any]) -> list[str]:
    chosen = catalogue().get_set(set_id)
    known = chosen.indicator_ids
    hints: list[str] = []
    for codes, table in (
        (case.get("control_methods", []), CONTROL_HINTS),
        (case.get("recruitment_methods", []), RECRUITMENT_HINTS),
        (case.get("vulnerabilities", []), VULNERABILITY_HINTS),
        (case.get("exploitation_types", []), TYPE_HINTS),
    ):
        hints += [f"{set_id}.{suffix}" for code in codes for suffix in table.get(code, ())]
    chance = float(pick(rng, THOROUGHNESS))
    ticked = {h for h in dict.fromkeys(hints) if h in known and rng.random() < chance}
    noise = int(pick(rng, {"0": 0.5, "1": 0.35, "2": 0.15}))  # something not recorded elsewhere
    ticked.update(rng.sample(sorted(known), k=noise))
    return sorted(ticked)


def indicators_met(set_id: str, indicators: Iterable[str]) -> bool:
    return delphi.evaluate(catalogue().get_set(set_id), indicators).indicators_met


def screening_plan(
    rng: random.Random,
    person: Person,
    case: dict[str, Any],
    intake: dt.date,
    today: dt.date,
    *,
    french: bool,
) -> dict[str, Any]:
    set_id = indicator_set_for(person, case["exploitation_types"])
    plan: dict[str, Any] = {
        "indicator_set": set_id,
        "indicators": choose_indicators(rng, set_id, case),
        "screened_on": min(today, intake + dt.timedelta(days=rng.randint(0, 21))),
    }
    if rng.random() < 0.2:
        plan["details"] = texts.choose(rng, texts.SCREENING_DETAILS, french)
    return plan


def trafficking_status(rng: random.Random, met: bool | None) -> str:
    if met is None:  # not screened
        return pick(rng, {"possible": 0.5, "confirmed": 0.2, "not_assessed": 0.3})
    if met:
        return pick(rng, {"confirmed": 0.55, "possible": 0.45})
    return pick(rng, {"possible": 0.55, "not_assessed": 0.2, "not_trafficked": 0.25})


def decided_by(rng: random.Random, person: Person, status: str, focus: str) -> str | None:
    if status == "not_assessed":
        return None
    if focus == "police":
        return pick(rng, {"police": 0.9, "court_or_prosecution": 0.1})
    if person.immigration == "vtip_trp_holder":
        return "ircc"
    return pick(rng, {"ngo": 0.65, "police": 0.15, "self_identified": 0.12,
                      "court_or_prosecution": 0.04, "other_government": 0.04})  # fmt: skip
