"""What may be tabulated: the catalogue of variables of national statistics and research extracts.

A variable is a de-identified reading of a person's latest case: a code, a year or a band, never
an identifier (sealed fields and identifiers cannot be added here: `check_catalogue` refuses them
and a test runs it). In differentially private tables a multi-code variable contributes at most
MAX_CODES codes per person (chosen at random when there are more), which bounds each person's
influence on a table (the sensitivity); other tables count every code.
"""

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from harbour.standard.dictionary import current

MAX_CODES = 3
_RANDOM = secrets.SystemRandom()
UNKNOWN = "unknown"

AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("under_18", 0, 17),
    ("18_24", 18, 24),
    ("25_34", 25, 34),
    ("35_44", 35, 44),
    ("45_plus", 45, 200),
)
AGE_BAND_LABELS: dict[str, Promise] = {
    "under_18": _("Under 18"),
    "18_24": _("18 to 24"),
    "25_34": _("25 to 34"),
    "35_44": _("35 to 44"),
    "45_plus": _("45 and older"),
    UNKNOWN: _("Not recorded"),
}


def age_band(age: Any) -> str:
    if not isinstance(age, int):
        return UNKNOWN
    return next((code for code, low, high in AGE_BANDS if low <= age <= high), UNKNOWN)


@dataclass(frozen=True)
class Variable:
    id: str
    label: Promise
    column: str  # the column of the per-case row (see queries.CASE_COLUMNS)
    entity: str = "case"
    field: str = ""  # the dictionary field it reads, for its code list and sensitivity
    multi: bool = False
    reader: Callable[[Any], Any] | None = None

    def codes_of(self, value: Any, capped: bool = False) -> list[str]:
        """The codes a person contributes, in code-list order; with `capped`, at most MAX_CODES
        of them, drawn at random so that no code is favoured by its place in the list."""
        value = self.reader(value) if self.reader else value
        if self.multi:
            wanted = set(value or [])
            ordered = [c for c in self.categories() if c in wanted]
            if capped and len(ordered) > MAX_CODES:
                kept = set(_RANDOM.sample(ordered, MAX_CODES))
                ordered = [c for c in ordered if c in kept]
            return ordered or [UNKNOWN]
        return [str(value) if value not in (None, "") else UNKNOWN]

    def categories(self) -> list[str]:
        if self.id == "age_band":
            return [code for code, _low, _high in AGE_BANDS]
        codelist = self._codelist()
        return [c.code for c in codelist.codes] if codelist else []

    def label_of(self, code: str) -> str:
        if code == UNKNOWN:
            return str(AGE_BAND_LABELS[UNKNOWN])
        if self.id == "age_band":
            return str(AGE_BAND_LABELS.get(code, code))
        codelist = self._codelist()
        return codelist.label_of(code) if codelist else code

    def _codelist(self) -> Any:
        if not self.field:
            return None
        return current().entity(self.entity).field(self.field).codelist

    @property
    def cap(self) -> int:
        return MAX_CODES if self.multi else 1


class ReferralOutcomeVariable(Variable):
    """What became of the referrals sent from a person's case: their status, or the outcome the
    receiver recorded once completed (codes of sharing.states)."""

    def categories(self) -> list[str]:
        from harbour.sharing.states import Outcome, ReferralStatus

        return [s.value for s in ReferralStatus if s != ReferralStatus.COMPLETED] + [
            o.value for o in Outcome
        ]

    def label_of(self, code: str) -> str:
        from harbour.sharing.states import Outcome, ReferralStatus

        if code == UNKNOWN:
            return str(_("No referral"))
        labels = {**dict(ReferralStatus.choices), **dict(Outcome.choices)}
        return str(labels.get(code, code))


class ImmigrationPathVariable(Variable):
    """What a survivor's immigration timeline went through: a TRP pending, issued, renewed,
    refused (and whether for criminality forced by the trafficker), lapsed, permanent residence
    applied for or granted (cases.immigration.reports.NATIONAL_MEASURES)."""

    def categories(self) -> list[str]:
        from harbour.cases.immigration.reports import NATIONAL_MEASURES

        return [m for m in NATIONAL_MEASURES if m != "survivors"]

    def label_of(self, code: str) -> str:
        return str(IMMIGRATION_PATH_LABELS.get(code, code))


IMMIGRATION_PATH_LABELS: dict[str, Promise] = {
    "pending": _("TRP application pending"),
    "issued": _("TRP issued"),
    "renewed": _("TRP renewed"),
    "refused": _("TRP refused"),
    "refused_forced_criminality": _("TRP refused for criminality forced by the trafficker"),
    "lapsed": _("TRP lapsed"),
    "pr_applied": _("Permanent residence applied for"),
    "pr_granted": _("Permanent residence granted"),
    UNKNOWN: _("No immigration step recorded"),
}


def _year(value: Any) -> str:
    return str(value.year) if value else UNKNOWN


class YearVariable(Variable):
    def categories(self) -> list[str]:
        return []  # whatever years the data holds

    def label_of(self, code: str) -> str:
        return code


VARIABLES: dict[str, Variable] = {
    v.id: v
    for v in (
        YearVariable("year", _("Year of intake"), "intake_date", reader=_year),
        Variable(
            "province", _("Province or territory"), "intake_province", field="intake_province"
        ),
        Variable("age_band", _("Age group"), "survivor__estimated_age", reader=age_band),
        Variable(
            "gender",
            _("Gender"),
            "survivor__gender_identity",
            entity="survivor",
            field="gender_identity",
        ),
        Variable(
            "exploitation_type",
            _("Type of exploitation"),
            "exploitation_types",
            field="exploitation_types",
            multi=True,
        ),
        Variable(
            "industry",
            _("Industry of forced labour"),
            "forced_labour_industries",
            field="forced_labour_industries",
            multi=True,
        ),
        Variable(
            "recruitment_method",
            _("Method of recruitment"),
            "recruitment_methods",
            field="recruitment_methods",
            multi=True,
        ),
        Variable(
            "control_method",
            _("Method of control"),
            "control_methods",
            field="control_methods",
            multi=True,
        ),
        Variable(
            "relationship",
            _("Relationship to the trafficker"),
            "relationship_to_trafficker",
            field="relationship_to_trafficker",
            multi=True,
        ),
        Variable(
            "trafficking_status",
            _("Trafficking status"),
            "trafficking_status",
            field="trafficking_status",
        ),
        # Computed from the immigration timeline as of the release (issue 14), not stored.
        Variable(
            "immigration_status",
            _("Immigration status"),
            "immigration_status",
            entity="survivor",
            field="immigration_status",
        ),
        Variable(
            "trp_stage",
            _("Temporary resident permit stage"),
            "trp_stage",
            entity="survivor",
            field="trp_stage",
        ),
        ImmigrationPathVariable(
            "immigration_path",
            _("Permits and paths to permanent residence"),
            "immigration_path",
            multi=True,
        ),
        Variable(
            "citizenship",
            _("Citizenship"),
            "survivor__citizenship",
            entity="survivor",
            field="citizenship",
            multi=True,
        ),
        Variable(
            "recruitment_platform",
            _("Online platform of recruitment"),
            "recruitment_platforms",
            field="recruitment_platforms",
            multi=True,
        ),
        Variable("need", _("Needs"), "current_needs", field="current_needs", multi=True),
        # Needs versus services received: the needs that services given in the case addressed.
        Variable(
            "need_served",
            _("Needs addressed by services received"),
            "served_needs",
            field="current_needs",
            multi=True,
        ),
        ReferralOutcomeVariable(
            "referral_outcome", _("Outcome of referrals"), "referral_outcomes", multi=True
        ),
        Variable(
            "referral_source",
            _("How the person first reached us"),
            "intake_method",
            field="intake_method",
        ),
    )
}

# The quasi-identifiers of research extracts, generalised for k-anonymity (see core/kanon.py).
REGIONS = {
    "CA-NL": "atlantic",
    "CA-PE": "atlantic",
    "CA-NS": "atlantic",
    "CA-NB": "atlantic",
    "CA-QC": "quebec",
    "CA-ON": "ontario",
    "CA-MB": "prairies",
    "CA-SK": "prairies",
    "CA-AB": "prairies",
    "CA-BC": "british_columbia",
    "CA-YT": "north",
    "CA-NT": "north",
    "CA-NU": "north",
}
HIERARCHIES: dict[str, Sequence[Callable[[Any], Any]]] = {
    "age_band": (
        lambda v: v,
        lambda v: "under_18" if v == "under_18" else "18_plus",
        lambda v: "*",
    ),
    "gender": (lambda v: v, lambda v: "*"),
    "province": (lambda v: v, lambda v: REGIONS.get(v, UNKNOWN), lambda v: "*"),
    "year": (lambda v: v, lambda v: "*"),
}
RESEARCH_VARIABLES = (
    "year",
    "province",
    "age_band",
    "gender",
    "exploitation_type",
    "recruitment_method",
    "control_method",
    "trafficking_status",
)


def variable(variable_id: str) -> Variable:
    """The variable of that id; KeyError for anything else (identifiers never are in it)."""
    return VARIABLES[variable_id]


def check_catalogue() -> list[str]:
    """Problems with the catalogue: a variable that reads an identifier or a sealed field."""
    problems = []
    for v in VARIABLES.values():
        if not v.field:
            continue
        field = current().entity(v.entity).field(v.field)
        if field.is_sealed or str(field.sensitivity) == "identifier":
            problems.append(v.id)
    return problems
