"""The intake as an XLSForm (https://xlsform.org), for offline collection with KoBoToolbox or
ODK Collect, generated from the data dictionary so it never drifts from Harbour's own form.

Labels and hints in English and French, code lists as choices (only the codes offered in the
current version), the dictionary's constraints (lengths, ranges, patterns, no future dates) and
the intake's rules as relevance (names and contact details only with the survivor's agreement
to be recorded). Group names are the entity ids, so a submission export's `case/intake_date`
columns come back through the same import and validation as any spreadsheet.
"""

from collections.abc import Iterator
from typing import Any

from harbour.interchange import mapping, xlsx
from harbour.standard.dictionary import Bilingual, Field, current

LANGS = (("en", "English (en)"), ("fr", "Français (fr)"))
# Case first: whether the survivor agreed to be recorded decides which survivor questions show.
ORDER = ("case", "survivor")
CONSENTED = "${consent_to_record} = 'yes'"
SURVEY_HEADER = [
    "type", "name", *(f"label::{n}" for _, n in LANGS), *(f"hint::{n}" for _, n in LANGS),
    "required", "relevant", "constraint", *(f"constraint_message::{n}" for _, n in LANGS),
    "appearance",
]  # fmt: skip
CHOICES_HEADER = ["list_name", "name", *(f"label::{n}" for _, n in LANGS)]
YES_NO = Bilingual("Yes", "Oui"), Bilingual("No", "Non")
TITLE = Bilingual("Harbour intake", "Accueil Harbour")


def workbook(*, language: str = "en") -> tuple[str, bytes]:
    version = current().latest
    default = dict(LANGS).get(language, LANGS[0][1])
    settings = [
        ["form_title", "form_id", "version", "default_language"],
        [TITLE.in_language(language), "harbour_intake", str(version), default],
    ]
    data = xlsx.write_workbook(
        [("survey", list(survey())), ("choices", list(choices())), ("settings", settings)]
    )
    return f"harbour-intake-{version}-{language}.xlsx", data


def fields(entity: str) -> list[Field]:
    return [
        f
        for f in current().entity(entity).offered_fields(current().latest)
        if not f.computed
        and f.id not in mapping.SKIPPED
        and f.type not in {"staff", "organisation"}
    ]


def survey() -> Iterator[list[Any]]:
    yield SURVEY_HEADER
    for entity_id in ORDER:
        entity = current().entity(entity_id)
        yield ["begin_group", entity_id, *_both(entity.label), "", "", "", "", "", "", "", ""]
        for field in fields(entity_id):
            yield _question(entity_id, field)
        yield ["end_group", entity_id, *[""] * (len(SURVEY_HEADER) - 2)]


def _both(text: Bilingual | None) -> list[str]:
    return [text.en, text.fr] if text else ["", ""]


def _question(entity: str, field: Field) -> list[Any]:
    constraint, message = _constraint(field)
    relevant = CONSENTED if entity == "survivor" and field.is_sealed else ""
    return [
        _type(field),
        field.id,
        *_both(field.label),
        *_both(field.help),
        "yes" if field.required else "",
        relevant,
        constraint,
        *(_both(message) if constraint else ["", ""]),
        _appearance(field),
    ]


def _type(field: Field) -> str:
    if field.type == "boolean":
        return "select_one yes_no"
    if field.codelist is not None:
        kind = "select_multiple" if field.is_multi else "select_one"
        return f"{kind} {field.codelist.id}"
    return {"integer": "integer", "decimal": "decimal", "date": "date"}.get(field.type, "text")


def _appearance(field: Field) -> str:
    if field.type == "long_text":
        return "multiline"
    if field.codelist is not None and len(field.codelist.codes) > 15:
        return "minimal"
    return ""


def _constraint(field: Field) -> tuple[str, Bilingual | None]:
    rules: list[str] = []
    if field.max_length and field.type in {"text", "long_text"}:
        rules.append(f"string-length(.) <= {field.max_length}")
    if field.min is not None:
        rules.append(f". >= {_number(field.min)}")
    if field.max is not None:
        rules.append(f". <= {_number(field.max)}")
    if field.not_future:
        rules.append(". <= today()")
    if field.id == "birth_date":
        rules.append(". <= ${intake_date}")
    pattern = _PATTERNS.get(field.type) or field.pattern
    if pattern:
        rules.append(f"regex(., '{pattern}')")
    if not rules:
        return "", None
    return " and ".join(rules), _MESSAGES.get(field.type, _CHECK)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


_PATTERNS = {
    "email": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    "phone": r"^\+?[0-9 ().-]{7,20}$",
    "postal_code": r"^[A-Za-z][0-9][A-Za-z]( ?[0-9][A-Za-z][0-9])?$",
}
_CHECK = Bilingual("Check this value.", "Vérifiez cette valeur.")
_MESSAGES = {
    "email": Bilingual("Enter a valid e-mail address.", "Entrez une adresse courriel valide."),
    "phone": Bilingual(
        "Enter a phone number with its country code, such as +1 416 555 0199.",
        "Entrez un numéro de téléphone avec son indicatif, par exemple +1 416 555 0199.",
    ),
    "postal_code": Bilingual(
        "Enter a Canadian postal code such as K1A 0B1, or its first three.",
        "Entrez un code postal canadien comme K1A 0B1, ou ses trois premiers caractères.",
    ),
    "date": Bilingual(
        "This date cannot be in the future.", "Cette date ne peut pas être dans le futur."
    ),
}


def choices() -> Iterator[list[str]]:
    yield CHOICES_HEADER
    yield ["yes_no", "yes", *_both(YES_NO[0])]
    yield ["yes_no", "no", *_both(YES_NO[1])]
    seen: set[str] = set()
    for entity_id in ORDER:
        for field in fields(entity_id):
            if field.codelist is None or field.codelist.id in seen:
                continue
            seen.add(field.codelist.id)
            for code in field.codelist.offered(current().latest):
                yield [field.codelist.id, code.code, *_both(code.label)]
