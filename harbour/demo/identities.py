"""The survivor record of a demo case: invented name and contact details, and who the person is.

Identifying values (names, birth date, phone, e-mail, postal code, safe-contact instructions) are
only given when the person agreed to be recorded; an anonymous intake keeps the quasi-identifiers
(gender, estimated age, languages ...) and nothing that names or reaches the person, as the intake
rules require. Phone numbers are in the 555-0100..0199 range reserved for fiction.
"""

import random
import unicodedata
from typing import Any

from harbour.demo.names import (
    SURVIVOR_FAMILY,
    SURVIVOR_GIVEN_FEMININE,
    SURVIVOR_GIVEN_MASCULINE,
    SURVIVOR_GIVEN_NEUTRAL,
)
from harbour.demo.places import Place
from harbour.demo.profiles import Person, pick, some
from harbour.standard.dictionary import current

AREA_CODES = {
    "CA-ON": ("416", "647", "613", "905", "807"), "CA-QC": ("514", "438", "418", "819"),
    "CA-BC": ("604", "778", "250"), "CA-AB": ("403", "780", "587"), "CA-MB": ("204", "431"),
    "CA-SK": ("306", "639"), "CA-NS": ("902", "782"), "CA-NB": ("506",), "CA-NL": ("709",),
    "CA-PE": ("902",), "CA-NT": ("867",), "CA-YT": ("867",), "CA-NU": ("867",),
}  # fmt: skip
# First three characters of a postal code (forward sortation area) near each demo city.
FSA = {
    "Halifax": "B3K", "St. John's": "A1C", "Moncton": "E1C", "Montréal": "H2X", "Toronto": "M5V",
    "Ottawa": "K1N", "Winnipeg": "R3B", "Saskatoon": "S7K", "Calgary": "T2P", "Edmonton": "T5J",
    "Vancouver": "V6A", "Abbotsford": "V2S", "Yellowknife": "X1A",
}  # fmt: skip
PRONOUNS = {
    "woman": ("she_her", "elle"), "trans_woman": ("she_her", "elle"), "man": ("he_him", "il"),
    "trans_man": ("he_him", "il"), "non_binary": ("they_them", "iel"),
    "two_spirit": ("they_them", "iel"),
}  # fmt: skip
EDUCATION_ADULT = {
    "lower_secondary": 0.22, "upper_secondary": 0.38, "post_secondary_non_tertiary": 0.1,
    "short_cycle_tertiary": 0.08, "bachelors": 0.1, "primary": 0.04, "unknown": 0.06,
    "prefers_not_to_say": 0.02,
}  # fmt: skip
SAFE_CONTACT = {
    "text_message": 0.6, "phone_call": 0.5, "voicemail": 0.15, "email": 0.15,
    "in_person_only": 0.1, "through_trusted_person": 0.1,
}  # fmt: skip
SAFE_INSTRUCTIONS = (
    "Text first and wait for a reply before calling.",
    "If someone else answers, say it is the pharmacy and hang up.",
    "Only call on weekdays between 10 and 2.",
    "Envoyer un texto d'abord; ne pas laisser de message vocal.",
)


def given_name(rng: random.Random, gender: str) -> str:
    if gender in {"woman", "trans_woman"}:
        return rng.choice(SURVIVOR_GIVEN_FEMININE)
    if gender in {"man", "trans_man"}:
        return rng.choice(SURVIVOR_GIVEN_MASCULINE)
    return rng.choice(SURVIVOR_GIVEN_NEUTRAL + SURVIVOR_GIVEN_FEMININE[:6])


def survivor_values(
    rng: random.Random, person: Person, home: Place, *, consent: bool, dependants: int
) -> dict[str, Any]:
    values = _who(rng, person) | _family(rng, person, dependants)
    values["safe_to_contact"] = (
        some(rng, SAFE_CONTACT) if rng.random() < 0.97 else ["do_not_contact"]
    )
    values |= _identity(rng, person, home)
    if consent and rng.random() < 0.75:
        values["birth_date"] = person.birth_date
    else:
        values["estimated_age"] = person.age
    if not consent:
        entity = current().entity("survivor")
        values = {
            k: v
            for k, v in values.items()
            if not entity.field(k).is_sealed and not k.startswith("mailing_")
        }
    return values


def _who(rng: random.Random, person: Person) -> dict[str, Any]:
    values: dict[str, Any] = {
        "gender_identity": person.gender,
        "indigenous_identity": person.indigenous,
        "citizenship": [person.country],
        "country_of_birth": person.country,
        "immigration_status": person.immigration,
        "trp_stage": person.trp_stage,
        "primary_language": person.language,
        "other_languages": person.other_languages,
        "interpreter_needed": person.interpreter,
        "twoslgbtqi_identity": _twoslgbtqi(rng, person),
    }
    if person.gender in PRONOUNS and rng.random() < 0.85:
        english, french = PRONOUNS[person.gender]
        values["pronouns"] = [french if person.language == "fra" else english]
    if rng.random() < 0.2:
        values["salutation"] = _salutation(rng, person.gender)
    return values


def _twoslgbtqi(rng: random.Random, person: Person) -> str:
    if person.gender in {"trans_woman", "trans_man", "non_binary", "two_spirit"}:
        return "yes"
    share = 0.12 if person.kind == "sexual" else 0.05
    return pick(rng, {"yes": share, "no": 0.7 - share, "prefers_not_to_say": 0.05,
                      "unknown": 0.25})  # fmt: skip


def _salutation(rng: random.Random, gender: str) -> str:
    options = {"woman": "ms", "trans_woman": "ms", "man": "mr", "trans_man": "mr"}
    return options.get(gender, "mx") if rng.random() < 0.6 else "none"


def _family(rng: random.Random, person: Person, dependants: int) -> dict[str, Any]:
    if person.minor:
        return {
            "marital_status": "single",
            "number_of_children": 0,
            "highest_education": "lower_secondary" if person.age < 16 else "upper_secondary",
        }
    married = 0.4 if person.foreign else 0.1
    status = pick(rng, {"single": 0.62 - married, "married": married, "common_law": 0.12,
                        "separated": 0.06, "divorced": 0.04, "unknown": 0.06})  # fmt: skip
    children = max(dependants, int(pick(rng, {"0": 0.55, "1": 0.2, "2": 0.15, "3": 0.07,
                                               "4": 0.03})))  # fmt: skip
    return {
        "marital_status": status,
        "number_of_children": children,
        "dependants_with_them": dependants,
        "highest_education": pick(rng, EDUCATION_ADULT),
    }


def dependants_of(rng: random.Random, person: Person) -> int:
    """Children or dependants living with the person (migrant workers' children stay home)."""
    if person.minor or person.foreign or rng.random() > 0.25:
        return 0
    return rng.choice((1, 1, 1, 2, 2, 3))


def _identity(rng: random.Random, person: Person, home: Place) -> dict[str, Any]:
    """Identifiers: the invented name and fictional contact details."""
    given = given_name(rng, person.gender)
    family = rng.choice(SURVIVOR_FAMILY)
    values: dict[str, Any] = {"given_name": given, "family_name": family}
    if rng.random() < 0.15:
        values["preferred_name"] = given[:4]
    if rng.random() < 0.7:
        area = rng.choice(AREA_CODES[home.province or "CA-ON"])
        values["mobile_phone"] = f"+1{area}555{rng.randint(100, 199):04d}"
    if rng.random() < 0.25:
        values["email"] = f"{_ascii(given)}.{_ascii(family)}{rng.randint(1, 99)}@example.net"
    if rng.random() < 0.15:
        values["safe_contact_instructions"] = rng.choice(SAFE_INSTRUCTIONS)
    if rng.random() < 0.2 and home.city in FSA:
        values |= {
            "mailing_city": home.city,
            "mailing_province": home.province,
            "mailing_postal_code": FSA[home.city],
            "mailing_country": "CA",
        }
    return values


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())
