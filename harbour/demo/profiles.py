"""Who the demo's survivors are and what happened to them: distributions, and what grounds them.

Everything here is SYNTHETIC. The numbers are a demo's assumptions, chosen so dashboards, maps and
extracts look like what Canadian frontline organisations describe; they are not statistics, and
no figure computed from the demo says anything about Canada.

What is publicly known, and how the demo uses it:

* Police-reported victims are overwhelmingly women and girls: 97% in 2009-2018; 45% were aged
  18 to 24, 28% were under 18 and 26% were 25 or older (Statistics Canada, Juristat,
  "Trafficking in persons in Canada, 2018", A. Cotter, June 2020, cat. 85-002-X). Statistics
  Canada told the House of Commons Standing Committee on the Status of Women (FEWO, 44th
  Parliament, 2022) that for 2011-2021 one victim in four was a girl under 18, nine in ten knew
  their trafficker and one in three was trafficked by an intimate partner; traffickers often pose
  as romantic partners ("boyfriending").
  → sexual exploitation cases: about 89% women and 3% trans women; ages 13-17 (22%), 18-24 (40%),
  25-34 (26%), 35+ (12%); the trafficker an intimate partner in a third to two fifths, someone
  else known to them in most of the rest; recruitment through a romantic relationship, friends
  and online social networks.
* Most cases in Canadian courts concern sexual exploitation; forced labour cases are rising
  (Department of Justice testimony to FEWO, 2022). Police data under-count labour trafficking,
  which frontline services see more often.
  → across the demo about three quarters of cases involve sexual exploitation, 15% forced labour,
  14% forced criminality (half of it alongside sexual exploitation), and a few domestic servitude
  and forced marriage cases; a legal clinic and a farmworker outreach organisation see mostly
  labour cases. Overall about 80% of survivors are women and girls and 80% are under 35.
* Nova Scotia and Ontario have the highest police-reported rates (3.1 and 1.6 incidents per
  100,000 in 2012-2022), and most incidents are in large cities (Statistics Canada, The Daily,
  "Trafficking in persons in Canada, 2022", 4 December 2023).
  → the largest demo caseloads are in Toronto, Montréal, Vancouver, Halifax and Winnipeg.
* Indigenous women, girls and 2SLGBTQQIA+ people are over-represented among people sexually
  exploited and trafficked (Reclaiming Power and Place, Final Report of the National Inquiry into
  Missing and Murdered Indigenous Women and Girls, 2019); no national rate exists. Indigenous
  people are 5.0% of Canada's population (2021 Census).
  → the share of Indigenous survivors is an assumption per province: about half in Manitoba,
  Saskatchewan and the territories, 25-30% in Alberta and British Columbia, 8-15% elsewhere, and
  most at the Indigenous-led organisations.
* Temporary foreign workers with employer-tied permits, especially in agriculture, food processing,
  hospitality and caregiving, are at high risk of forced labour (UN Special Rapporteur on
  contemporary forms of slavery, end-of-mission statement on Canada, September 2023); IRCC issues
  open work permits to vulnerable workers and temporary resident permits to victims of
  trafficking (VTIP TRP).
  → most labour cases are foreign nationals (Mexico, Guatemala, the Philippines, Jamaica, India,
  ...), on work permits, with debt bondage, withheld documents and threats of deportation; 56% men.
* More than half of the youth accused of trafficking were girls, who may be used to lure other
  girls; the line between victim and offender can blur (Statistics Canada to FEWO, 2022)
  → "peer recruitment". The platforms (Instagram, Snapchat, dating apps for recruitment; escort
  advertising sites such as LeoList for exploitation) are an assumption from frontline reports.

Intake dates spread over the three years before the load with a rising trend (about 1.8 times as
many intakes in the latest months as three years earlier), mostly on weekdays.
"""

import datetime as dt
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from harbour.demo.organisations import OrgSpec

Weights = Mapping[str, float]


def pick(rng: random.Random, weights: Weights) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def some(rng: random.Random, probabilities: Weights, *, at_least_one: bool = True) -> list[str]:
    """Each code independently with its probability (a "choose all that apply" answer)."""
    chosen = [code for code, p in probabilities.items() if rng.random() < p]
    if not chosen and at_least_one:
        chosen = [pick(rng, probabilities)]
    return sorted(chosen)


# --- what kind of exploitation, by the organisation's focus -----------------------------------

_GENERAL = {
    "sexual": 0.76, "labour": 0.12, "criminality": 0.07, "servitude": 0.04, "marriage": 0.01,
}  # fmt: skip
KIND_BY_FOCUS: dict[str, Weights] = {
    "general": _GENERAL,
    "health": _GENERAL,
    "women_shelter": {"sexual": 0.84, "labour": 0.05, "criminality": 0.05, "servitude": 0.04,
                      "marriage": 0.02},
    "family_shelter": {"sexual": 0.82, "labour": 0.06, "criminality": 0.05, "servitude": 0.05,
                       "marriage": 0.02},
    "survivor_led": {"sexual": 0.82, "labour": 0.08, "criminality": 0.07, "servitude": 0.02,
                     "marriage": 0.01},
    "legal_labour": {"sexual": 0.12, "labour": 0.70, "criminality": 0.03, "servitude": 0.13,
                     "marriage": 0.02},
    "farmworker": {"sexual": 0.06, "labour": 0.88, "servitude": 0.06},
    "indigenous": {"sexual": 0.86, "labour": 0.04, "criminality": 0.09, "servitude": 0.01},
    "police": {"sexual": 0.82, "labour": 0.08, "criminality": 0.08, "servitude": 0.02},
}  # fmt: skip

GENDER: dict[str, Weights] = {
    "sexual": {"woman": 0.885, "trans_woman": 0.03, "non_binary": 0.02, "two_spirit": 0.01,
               "man": 0.04, "trans_man": 0.005, "prefers_not_to_say": 0.005, "unknown": 0.005},
    "labour": {"man": 0.56, "woman": 0.41, "non_binary": 0.01, "unknown": 0.02},
    "criminality": {"woman": 0.58, "man": 0.36, "non_binary": 0.03, "trans_woman": 0.02,
                    "unknown": 0.01},
    "servitude": {"woman": 0.86, "man": 0.12, "unknown": 0.02},
    "marriage": {"woman": 0.95, "man": 0.03, "non_binary": 0.02},
}  # fmt: skip
WOMEN_ONLY: Weights = {"woman": 0.9, "trans_woman": 0.05, "two_spirit": 0.03, "non_binary": 0.02}

# (youngest, oldest, share) of age at intake.
AGE: dict[str, tuple[tuple[int, int, float], ...]] = {
    "sexual": ((13, 17, 0.22), (18, 24, 0.40), (25, 34, 0.26), (35, 44, 0.08), (45, 60, 0.04)),
    "labour": ((16, 17, 0.01), (18, 24, 0.15), (25, 34, 0.37), (35, 44, 0.30), (45, 62, 0.17)),
    "criminality": ((14, 17, 0.30), (18, 24, 0.45), (25, 34, 0.20), (35, 50, 0.05)),
    "servitude": ((18, 24, 0.15), (25, 34, 0.35), (35, 44, 0.30), (45, 65, 0.20)),
    "marriage": ((15, 17, 0.25), (18, 24, 0.55), (25, 34, 0.20)),
}
# Years between being first trafficked and the intake, and the youngest age it starts at.
GAP: dict[str, Weights] = {
    "sexual": {"0": 0.25, "1": 0.25, "2": 0.18, "3": 0.12, "5": 0.15, "9": 0.05},
    "labour": {"0": 0.55, "1": 0.30, "2": 0.10, "3": 0.05},
    "criminality": {"0": 0.4, "1": 0.35, "2": 0.15, "3": 0.10},
    "servitude": {"0": 0.3, "1": 0.3, "3": 0.25, "6": 0.15},
    "marriage": {"0": 0.4, "1": 0.3, "2": 0.2, "4": 0.1},
}
YOUNGEST = {"sexual": 12, "labour": 15, "criminality": 12, "servitude": 14, "marriage": 14}

INDIGENOUS_SHARE = {
    "CA-MB": 0.50, "CA-SK": 0.50, "CA-AB": 0.30, "CA-BC": 0.25, "CA-ON": 0.14, "CA-QC": 0.08,
    "CA-NS": 0.10, "CA-NB": 0.08, "CA-NL": 0.12, "CA-PE": 0.05, "CA-NT": 0.65, "CA-YT": 0.50,
    "CA-NU": 0.90,
}  # fmt: skip
INDIGENOUS_LANGUAGES = {
    "CA-MB": ("ojw", "csw", "crk"), "CA-SK": ("crk", "csw"), "CA-AB": ("crk", "bla"),
    "CA-BC": ("shs", "hai"), "CA-ON": ("ojg", "ojs", "moh"), "CA-QC": ("atj", "moe"),
    "CA-NS": ("mic",), "CA-NB": ("mic", "pqm"), "CA-NL": ("moe",), "CA-NT": ("dgr", "chp"),
}  # fmt: skip

FOREIGN_SHARE = {"sexual": 0.08, "labour": 0.85, "criminality": 0.05, "servitude": 0.6,
                 "marriage": 0.5}  # fmt: skip
COUNTRY: dict[str, Weights] = {
    "sexual": {"CN": 0.15, "KR": 0.12, "VN": 0.10, "HU": 0.08, "UA": 0.10, "RO": 0.08,
               "BR": 0.08, "MX": 0.08, "PH": 0.06, "NG": 0.06, "TH": 0.05, "CO": 0.04},
    "labour": {"MX": 0.22, "GT": 0.12, "PH": 0.14, "JM": 0.09, "IN": 0.14, "VN": 0.05,
               "HN": 0.04, "TT": 0.03, "SV": 0.03, "CN": 0.04, "UA": 0.04, "CO": 0.03,
               "NG": 0.03},
    "criminality": {"MX": 0.3, "JM": 0.3, "VN": 0.2, "CO": 0.2},
    "servitude": {"PH": 0.45, "IN": 0.15, "NG": 0.10, "JM": 0.10, "MX": 0.10, "CN": 0.10},
    "marriage": {"IN": 0.30, "NG": 0.15, "VN": 0.15, "UA": 0.10, "MX": 0.10, "PH": 0.10,
                 "CN": 0.10},
}  # fmt: skip
LANGUAGE: dict[str, Weights] = {
    "MX": {"spa": 1}, "GT": {"spa": 1}, "HN": {"spa": 1}, "SV": {"spa": 1}, "CO": {"spa": 1},
    "PH": {"tgl": 0.85, "eng": 0.15}, "JM": {"eng": 1}, "TT": {"eng": 1},
    "IN": {"pan": 0.6, "guj": 0.2, "hin": 0.2}, "VN": {"vie": 1}, "CN": {"cmn": 0.7, "yue": 0.3},
    "KR": {"kor": 1}, "HU": {"hun": 1}, "UA": {"ukr": 0.7, "rus": 0.3}, "RO": {"ron": 1},
    "NG": {"eng": 0.6, "yor": 0.2, "ibo": 0.2}, "TH": {"tha": 1}, "BR": {"por": 1},
}  # fmt: skip
IMMIGRATION: dict[str, Weights] = {
    "labour": {"work_permit": 0.42, "open_work_permit_vulnerable": 0.14, "vtip_trp_holder": 0.08,
               "other_trp_holder": 0.01, "visitor": 0.05, "no_status": 0.09,
               "refugee_claimant": 0.06, "study_permit": 0.08, "permanent_resident": 0.04,
               "unknown": 0.03},
    "sexual": {"study_permit": 0.3, "visitor": 0.2, "work_permit": 0.1, "vtip_trp_holder": 0.1,
               "refugee_claimant": 0.1, "no_status": 0.08, "permanent_resident": 0.08,
               "unknown": 0.04},
    "servitude": {"work_permit": 0.4, "visitor": 0.15, "no_status": 0.15, "vtip_trp_holder": 0.1,
                  "open_work_permit_vulnerable": 0.1, "permanent_resident": 0.1},
    "marriage": {"permanent_resident": 0.4, "visitor": 0.2, "refugee_claimant": 0.15,
                 "unknown": 0.25},
    "criminality": {"refugee_claimant": 0.3, "visitor": 0.2, "no_status": 0.3,
                    "study_permit": 0.2},
}  # fmt: skip
TRP_STAGE_HOLDER = {"initial_trp_issued": 0.6, "subsequent_trp_issued": 0.25,
                    "permanent_residence_applied": 0.1, "expired": 0.05}  # fmt: skip
TRP_STAGE_OTHER = {"not_considered": 0.35, "eligible_not_applied": 0.2,
                   "application_pending": 0.15, "refused": 0.05, "not_applicable": 0.05,
                   "unknown": 0.2}  # fmt: skip


@dataclass
class Person:
    """One synthetic survivor: the facts every other part of the story follows from."""

    kind: str
    gender: str
    age: int  # at intake
    age_trafficked: int
    birth_date: dt.date
    indigenous: list[str]
    country: str  # of birth and citizenship
    immigration: str
    trp_stage: str
    language: str
    other_languages: list[str] = field(default_factory=list)
    interpreter: bool = False

    @property
    def foreign(self) -> bool:
        return self.country != "CA"

    @property
    def minor(self) -> bool:
        return self.age < 18

    @property
    def is_indigenous(self) -> bool:
        return bool(set(self.indigenous) & {"first_nations", "metis", "inuit"})

    @property
    def child_at_exploitation(self) -> bool:
        return self.age_trafficked < 18

    def age_on(self, day: dt.date) -> int:
        before = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - before


def make_person(rng: random.Random, spec: OrgSpec, province: str, intake: dt.date) -> Person:
    kind = pick(rng, KIND_BY_FOCUS.get(spec.focus, _GENERAL))
    age = _age(rng, kind, adults_only=spec.focus in {"women_shelter", "family_shelter"})
    foreign = rng.random() < FOREIGN_SHARE[kind]
    country = pick(rng, COUNTRY[kind]) if foreign else "CA"
    indigenous = _indigenous(rng, spec, province, country)
    gender = _gender(rng, kind, spec, indigenous)
    immigration = pick(rng, IMMIGRATION[kind]) if foreign else _domestic_status(rng)
    language, others = _languages(rng, spec, province, country, indigenous)
    gap = min(int(pick(rng, GAP[kind])), max(0, age - YOUNGEST[kind]))
    return Person(
        kind=kind,
        gender=gender,
        age=age,
        age_trafficked=age - gap,
        birth_date=_birth_date(rng, age, intake),
        indigenous=indigenous,
        country=country,
        immigration=immigration,
        trp_stage=_trp_stage(rng, immigration),
        language=language,
        other_languages=others,
        interpreter=language not in {"eng", "fra"} and "eng" not in others and rng.random() < 0.85,
    )


def _age(rng: random.Random, kind: str, *, adults_only: bool) -> int:
    bands = [b for b in AGE[kind] if not adults_only or b[0] >= 18] or [(18, 30, 1.0)]
    low, high, _share = rng.choices(bands, weights=[b[2] for b in bands])[0]
    return rng.randint(low, high)


def _birth_date(rng: random.Random, age: int, intake: dt.date) -> dt.date:
    """A birth date that makes the person exactly `age` on the intake date."""
    latest = _years_before(intake, age)
    return latest - dt.timedelta(days=rng.randint(0, 364))


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _indigenous(rng: random.Random, spec: OrgSpec, province: str, country: str) -> list[str]:
    if country != "CA":
        outside = country in {"MX", "GT"} and rng.random() < 0.08
        return ["indigenous_outside_canada"] if outside else [pick(rng, _NOT_INDIGENOUS)]
    share = INDIGENOUS_SHARE.get(province, 0.1)
    if spec.focus == "indigenous":
        share = max(share, 0.75)
    if rng.random() >= share:
        return [pick(rng, _NOT_INDIGENOUS)]
    inuit = 0.25 if province in {"CA-NT", "CA-NU"} else 0.06
    identity = pick(rng, {"first_nations": 0.76 - inuit, "metis": 0.18, "inuit": inuit + 0.06})
    if identity == "first_nations" and rng.random() < 0.03:
        return ["first_nations", "metis"]
    return [identity]


_NOT_INDIGENOUS = {"not_indigenous": 0.85, "prefers_not_to_say": 0.04, "unknown": 0.11}


def _gender(rng: random.Random, kind: str, spec: OrgSpec, indigenous: list[str]) -> str:
    if spec.focus == "women_shelter":
        return pick(rng, WOMEN_ONLY)
    gender = pick(rng, GENDER[kind])
    if gender in {"woman", "non_binary"} and "first_nations" in indigenous and rng.random() < 0.04:
        return "two_spirit"
    return gender


def _domestic_status(rng: random.Random) -> str:
    return "prefers_not_to_say" if rng.random() < 0.01 else "canadian_citizen"


def _trp_stage(rng: random.Random, immigration: str) -> str:
    if immigration in {"canadian_citizen", "permanent_resident", "prefers_not_to_say"}:
        return "not_applicable"
    if immigration == "vtip_trp_holder":
        return pick(rng, TRP_STAGE_HOLDER)
    return pick(rng, TRP_STAGE_OTHER)


def _languages(
    rng: random.Random, spec: OrgSpec, province: str, country: str, indigenous: list[str]
) -> tuple[str, list[str]]:
    if country != "CA":
        primary = pick(rng, LANGUAGE[country])
        others = ["eng"] if primary != "eng" and rng.random() < 0.45 else []
        return primary, others
    french = rng.random() < spec.french
    primary, second = ("fra", "eng") if french else ("eng", "fra")
    others = [second] if rng.random() < (0.5 if french else 0.08) else []
    native = INDIGENOUS_LANGUAGES.get(province)
    if native and "inuit" in indigenous and rng.random() < 0.4:
        return "iku", ["eng"]
    if native and set(indigenous) & {"first_nations", "metis"} and rng.random() < 0.15:
        others = sorted({*others, rng.choice(native)})
    return primary, others
