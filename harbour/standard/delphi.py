"""ILO/EC "Delphi" operational indicators of trafficking in human beings.

Two halves, both free of Django so they can run in workers, scripts and tests:

* the catalogue: versioned data (``data/delphi/*.yaml``) loaded into frozen
  dataclasses, with strict validation because indicator ids end up in case
  records and a silent typo would corrupt them;
* the engine: :func:`evaluate` applies the ILO/EC decision rules to the
  indicators a caseworker selected and returns an :class:`Assessment` that
  can be stored as JSON and read back unchanged.

No human-readable explanations are produced here: the UI translates the
machine-readable reason and summary codes.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NoReturn

import yaml

DEFAULT_CATALOGUE_PATH: Final = Path(__file__).parent / "data" / "delphi" / "ilo-ec-2009.yaml"

# Bumped whenever the decision rules or the Assessment layout change, so a
# stored assessment always says which rules produced it.
ASSESSMENT_FORMAT: Final = "harbour.delphi.assessment/1"

LANGUAGES: Final = ("en", "fr")
FR_SOURCES: Final = frozenset({"ilo-official", "harbour-translation"})
VERIFICATION_STATUSES: Final = frozenset({"ilo-official", "secondary-transcription", "unverified"})


class Strength(enum.StrEnum):
    STRONG = "strong"
    MEDIUM = "medium"
    WEAK = "weak"


class Population(enum.StrEnum):
    ADULT = "adult"
    CHILD = "child"


class Exploitation(enum.StrEnum):
    LABOUR = "labour"
    SEXUAL = "sexual"


class DimensionId(enum.StrEnum):
    """The six elements of the Palermo definition, in the ILO's order."""

    DECEPTIVE_RECRUITMENT = "deceptive_recruitment"
    COERCIVE_RECRUITMENT = "coercive_recruitment"
    ABUSIVE_RECRUITMENT = "abusive_recruitment"  # recruitment by abuse of vulnerability
    EXPLOITATIVE_CONDITIONS = "exploitative_conditions"
    COERCION_AT_DESTINATION = "coercion_at_destination"
    ABUSIVE_DESTINATION = "abusive_destination"  # abuse of vulnerability at destination


RECRUITMENT_DIMENSIONS: Final = frozenset(
    {
        DimensionId.DECEPTIVE_RECRUITMENT,
        DimensionId.COERCIVE_RECRUITMENT,
        DimensionId.ABUSIVE_RECRUITMENT,
    }
)
DESTINATION_DIMENSIONS: Final = frozenset(
    {DimensionId.COERCION_AT_DESTINATION, DimensionId.ABUSIVE_DESTINATION}
)


class DimensionReason(enum.StrEnum):
    """Why a dimension is (not) positive; the first matching rule wins."""

    TWO_STRONG = "two_strong"
    STRONG_PLUS_OTHER = "strong_plus_other"
    THREE_MEDIUM = "three_medium"
    TWO_MEDIUM_ONE_WEAK = "two_medium_one_weak"
    INSUFFICIENT = "insufficient"


class SummaryCode(enum.StrEnum):
    MET = "met"
    NO_RECRUITMENT = "no_recruitment"
    NO_EXPLOITATION = "no_exploitation"
    NO_COERCION_OR_ABUSE_AT_DESTINATION = "no_coercion_or_abuse_at_destination"


# --------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalizedText:
    en: str
    fr: str

    def get(self, language: str) -> str:
        if language == "fr":
            return self.fr
        if language == "en":
            return self.en
        raise ValueError(f"unsupported language {language!r} (expected one of {LANGUAGES})")


@dataclass(frozen=True)
class Source:
    id: str
    what: str
    where: str


@dataclass(frozen=True)
class Indicator:
    id: str
    dimension_id: DimensionId
    strength: Strength
    text: LocalizedText
    # False when the transcription could not be confirmed from a readable
    # source; the UI should flag such indicators until they are checked.
    verified: bool
    note: str | None = None


@dataclass(frozen=True)
class Dimension:
    id: DimensionId
    title: LocalizedText
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class IndicatorSet:
    id: str
    population: Population
    exploitation: Exploitation
    title: LocalizedText
    fr_source: str
    verification: str
    verification_note: str
    source_ids: tuple[str, ...]
    dimensions: tuple[Dimension, ...]
    # Copied from the catalogue so an assessment can name the data it used
    # without the caller having to pass the catalogue around.
    catalogue_id: str
    catalogue_version: str

    def dimension(self, dimension_id: DimensionId | str) -> Dimension:
        for dimension in self.dimensions:
            if dimension.id == dimension_id:
                return dimension
        raise KeyError(f"{self.id}: no dimension {dimension_id!r}")

    def indicators(self) -> Iterator[Indicator]:
        for dimension in self.dimensions:
            yield from dimension.indicators

    def indicator(self, indicator_id: str) -> Indicator:
        for candidate in self.indicators():
            if candidate.id == indicator_id:
                return candidate
        raise KeyError(f"{self.id}: no indicator {indicator_id!r}")

    @property
    def indicator_ids(self) -> frozenset[str]:
        return frozenset(indicator.id for indicator in self.indicators())

    @property
    def unverified_indicator_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.indicators() if not i.verified)


@dataclass(frozen=True)
class IndicatorCatalogue:
    id: str
    version: str
    title: LocalizedText
    citation: LocalizedText
    licence_note: str
    sources: tuple[Source, ...]
    sets: tuple[IndicatorSet, ...]

    def get_set(self, set_id: str) -> IndicatorSet:
        for indicator_set in self.sets:
            if indicator_set.id == set_id:
                return indicator_set
        raise KeyError(f"{self.id}: no indicator set {set_id!r}")

    def find_set(
        self, population: Population | str, exploitation: Exploitation | str
    ) -> IndicatorSet:
        for indicator_set in self.sets:
            if (
                indicator_set.population == population
                and indicator_set.exploitation == exploitation
            ):
                return indicator_set
        raise KeyError(f"{self.id}: no indicator set for {population}/{exploitation}")


# ---- loading and validation ----------------------------------------------

_CATALOGUE_KEYS: Final = frozenset(
    {"id", "version", "title", "citation", "licence_note", "sources", "sets"}
)
_SOURCE_KEYS: Final = frozenset({"id", "what", "where"})
_SET_KEYS: Final = frozenset(
    {
        "id",
        "population",
        "exploitation",
        "title",
        "fr_source",
        "verification",
        "verification_note",
        "sources",
        "dimensions",
    }
)
_DIMENSION_KEYS: Final = frozenset({"id", "title", "indicators"})
_INDICATOR_KEYS: Final = frozenset({"id", "strength", "text", "verified", "note"})
_OPTIONAL_INDICATOR_KEYS: Final = frozenset({"note"})
_SLUG_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys.

    PyYAML silently keeps the last duplicate, which would let a copy-paste
    error overwrite an indicator's strength without anyone noticing.
    """


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        if not isinstance(key, str | int | float | bool | None):
            raise ValueError(
                f"unsupported YAML mapping key {key!r} (line {key_node.start_mark.line + 1})"
            )
        if key in mapping:
            raise ValueError(
                f"duplicate key {key!r} in YAML mapping (line {key_node.start_mark.line + 1})"
            )
        mapping[key] = loader.construct_object(value_node)
    return mapping


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _fail(path: str, message: str) -> NoReturn:
    raise ValueError(f"{path}: {message}")


def _mapping(
    value: object, path: str, keys: frozenset[str], optional: frozenset[str] = frozenset()
) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        _fail(path, f"expected a mapping, got {type(value).__name__}")
    unknown = sorted(str(k) for k in value if k not in keys)
    if unknown:
        _fail(path, f"unknown key(s) {', '.join(unknown)}")
    missing = sorted(keys - optional - value.keys())
    if missing:
        _fail(path, f"missing key(s) {', '.join(missing)}")
    return value


def _list(value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        _fail(path, f"expected a list, got {type(value).__name__}")
    return value


def _text(value: object, path: str) -> str:
    # Blank text is as useless to a caseworker as missing text.
    if not isinstance(value, str) or not value.strip():
        _fail(path, "expected a non-empty string")
    return value


def _slug(value: object, path: str) -> str:
    text = _text(value, path)
    if not set(text) <= _SLUG_CHARS or text[0] == "_":
        _fail(path, f"{text!r} is not a lowercase slug (a-z, 0-9, _)")
    return text


def _localized(value: object, path: str) -> LocalizedText:
    if isinstance(value, dict):
        for language in LANGUAGES:
            if language not in value:
                label = "French" if language == "fr" else "English"
                _fail(path, f"missing {label} text ({language!r})")
    data = _mapping(value, path, frozenset(LANGUAGES))
    return LocalizedText(en=_text(data["en"], f"{path}.en"), fr=_text(data["fr"], f"{path}.fr"))


def _enum[E: enum.StrEnum](kind: type[E], value: object, path: str, label: str) -> E:
    try:
        if isinstance(value, str):
            return kind(value)
    except ValueError:
        pass
    allowed = ", ".join(member.value for member in kind)
    _fail(path, f"unknown {label} {value!r} (expected one of: {allowed})")


def _choice(value: object, path: str, allowed: frozenset[str], label: str) -> str:
    if value not in allowed:
        _fail(path, f"unknown {label} {value!r} (expected one of: {', '.join(sorted(allowed))})")
    assert isinstance(value, str)
    return value


def _parse_source(value: object, path: str) -> Source:
    data = _mapping(value, path, _SOURCE_KEYS)
    return Source(
        id=_text(data["id"], f"{path}.id"),
        what=_text(data["what"], f"{path}.what"),
        where=_text(data["where"], f"{path}.where"),
    )


def _parse_indicator(value: object, path: str, set_id: str, dimension_id: DimensionId) -> Indicator:
    data = _mapping(value, path, _INDICATOR_KEYS, _OPTIONAL_INDICATOR_KEYS)
    indicator_id = _text(data["id"], f"{path}.id")
    # The id embeds its set and dimension so a stored id is self-describing
    # and cannot be confused with the same wording in another list.
    prefix = f"{set_id}.{dimension_id}."
    if not indicator_id.startswith(prefix):
        _fail(f"{path}.id", f"{indicator_id!r} must start with {prefix!r}")
    _slug(indicator_id.removeprefix(prefix), f"{path}.id")
    verified = data["verified"]
    if not isinstance(verified, bool):
        _fail(f"{path}.verified", "expected true or false")
    note = data.get("note")
    return Indicator(
        id=indicator_id,
        dimension_id=dimension_id,
        strength=_enum(Strength, data["strength"], f"{path}.strength", "strength"),
        text=_localized(data["text"], f"{path}.text"),
        verified=verified,
        note=None if note is None else _text(note, f"{path}.note"),
    )


def _parse_dimension(value: object, path: str, set_id: str) -> Dimension:
    data = _mapping(value, path, _DIMENSION_KEYS)
    dimension_id = _enum(DimensionId, data["id"], f"{path}.id", "dimension id")
    raw_indicators = _list(data["indicators"], f"{path}.indicators")
    if not raw_indicators:
        _fail(f"{path}.indicators", "a dimension needs at least one indicator")
    indicators = tuple(
        _parse_indicator(item, f"{path}.indicators[{n}]", set_id, dimension_id)
        for n, item in enumerate(raw_indicators)
    )
    return Dimension(
        id=dimension_id, title=_localized(data["title"], f"{path}.title"), indicators=indicators
    )


def _check_dimension_ids(dimensions: tuple[Dimension, ...], path: str) -> None:
    # The decision rules need exactly the six ILO dimensions, each once.
    seen = [dimension.id for dimension in dimensions]
    duplicates = sorted({d.value for d in seen if seen.count(d) > 1})
    if duplicates:
        _fail(path, f"duplicate dimension id(s) {', '.join(duplicates)}")
    missing = [d.value for d in DimensionId if d not in seen]
    if missing:
        _fail(path, f"missing dimension id(s) {', '.join(missing)}")


def _parse_set(
    value: object, path: str, source_ids: frozenset[str], catalogue_id: str, version: str
) -> IndicatorSet:
    data = _mapping(value, path, _SET_KEYS)
    set_id = _text(data["id"], f"{path}.id")
    population = _enum(Population, data["population"], f"{path}.population", "population")
    exploitation = _enum(Exploitation, data["exploitation"], f"{path}.exploitation", "exploitation")
    if set_id != f"{population}-{exploitation}":
        _fail(f"{path}.id", f"{set_id!r} must be {population}-{exploitation!s}")
    refs = tuple(
        _text(ref, f"{path}.sources[{n}]")
        for n, ref in enumerate(_list(data["sources"], f"{path}.sources"))
    )
    for n, ref in enumerate(refs):
        if ref not in source_ids:
            _fail(f"{path}.sources[{n}]", f"unknown source id {ref!r}")
    dimensions = tuple(
        _parse_dimension(item, f"{path}.dimensions[{n}]", set_id)
        for n, item in enumerate(_list(data["dimensions"], f"{path}.dimensions"))
    )
    _check_dimension_ids(dimensions, f"{path}.dimensions")
    return IndicatorSet(
        id=set_id,
        population=population,
        exploitation=exploitation,
        title=_localized(data["title"], f"{path}.title"),
        fr_source=_choice(data["fr_source"], f"{path}.fr_source", FR_SOURCES, "fr_source"),
        verification=_choice(
            data["verification"], f"{path}.verification", VERIFICATION_STATUSES, "verification"
        ),
        verification_note=_text(data["verification_note"], f"{path}.verification_note"),
        source_ids=refs,
        dimensions=dimensions,
        catalogue_id=catalogue_id,
        catalogue_version=version,
    )


def _check_unique(ids: Iterable[str], label: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"duplicate {label} {item!r}")
        seen.add(item)


def parse_catalogue(raw: object) -> IndicatorCatalogue:
    """Validate already-parsed YAML/JSON data and build the catalogue."""
    data = _mapping(raw, "catalogue", _CATALOGUE_KEYS)
    catalogue_id = _text(data["id"], "catalogue.id")
    version = data["version"]
    # An unquoted 2009-09 would parse as something else entirely; insist on a string.
    if not isinstance(version, str) or not version.strip():
        _fail("catalogue.version", "expected a quoted, non-empty string")
    sources = tuple(
        _parse_source(item, f"sources[{n}]")
        for n, item in enumerate(_list(data["sources"], "sources"))
    )
    _check_unique((s.id for s in sources), "source id")
    source_ids = frozenset(s.id for s in sources)
    sets = tuple(
        _parse_set(item, f"sets[{n}]", source_ids, catalogue_id, version)
        for n, item in enumerate(_list(data["sets"], "sets"))
    )
    if not sets:
        _fail("sets", "the catalogue needs at least one indicator set")
    _check_unique((s.id for s in sets), "indicator set id")
    _check_unique((i.id for s in sets for i in s.indicators()), "indicator id")
    return IndicatorCatalogue(
        id=catalogue_id,
        version=version,
        title=_localized(data["title"], "catalogue.title"),
        citation=_localized(data["citation"], "catalogue.citation"),
        licence_note=_text(data["licence_note"], "catalogue.licence_note"),
        sources=sources,
        sets=sets,
    )


def load_catalogue(path: str | Path | None = None) -> IndicatorCatalogue:
    """Load and strictly validate a catalogue file (default: the bundled ILO/EC 2009 lists).

    The bundled file never changes while Harbour runs, so it is parsed once per process.
    """
    if path is None:
        return _bundled_catalogue()
    return _read_catalogue(Path(path))


@functools.cache
def _bundled_catalogue() -> IndicatorCatalogue:
    return _read_catalogue(DEFAULT_CATALOGUE_PATH)


def _read_catalogue(file_path: Path) -> IndicatorCatalogue:
    with file_path.open(encoding="utf-8") as handle:
        try:
            raw = yaml.load(handle, Loader=_StrictLoader)  # noqa: S506 - SafeLoader subclass
        except yaml.YAMLError as error:
            raise ValueError(f"{file_path}: invalid YAML: {error}") from error
    return parse_catalogue(raw)


# --------------------------------------------------------------------------
# Decision rules
# --------------------------------------------------------------------------


def dimension_reason(strong: int, medium: int, weak: int) -> DimensionReason:
    """Apply the ILO/EC rule for one dimension to counts of selected indicators.

    A dimension is positive with at least: two strong; or one strong and one
    medium or weak; or three medium; or two medium and one weak. A single
    strong indicator alone, or weak indicators alone, are never enough.
    """
    if min(strong, medium, weak) < 0:
        raise ValueError("indicator counts cannot be negative")
    if strong >= 2:
        return DimensionReason.TWO_STRONG
    if strong >= 1 and medium + weak >= 1:
        return DimensionReason.STRONG_PLUS_OTHER
    if medium >= 3:
        return DimensionReason.THREE_MEDIUM
    if medium >= 2 and weak >= 1:
        return DimensionReason.TWO_MEDIUM_ONE_WEAK
    return DimensionReason.INSUFFICIENT


@dataclass(frozen=True)
class DimensionResult:
    dimension_id: DimensionId
    positive: bool
    reason: DimensionReason
    fired_indicator_ids: tuple[str, ...]
    strong_count: int
    medium_count: int
    weak_count: int

    @property
    def counts(self) -> dict[Strength, int]:
        return {
            Strength.STRONG: self.strong_count,
            Strength.MEDIUM: self.medium_count,
            Strength.WEAK: self.weak_count,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "dimension_id": self.dimension_id.value,
            "positive": self.positive,
            "reason": self.reason.value,
            "fired_indicator_ids": list(self.fired_indicator_ids),
            "counts": {strength.value: count for strength, count in self.counts.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DimensionResult:
        path = "dimensions[]"
        body = _mapping(
            data,
            path,
            frozenset({"dimension_id", "positive", "reason", "fired_indicator_ids", "counts"}),
        )
        counts = _mapping(body["counts"], f"{path}.counts", frozenset(s.value for s in Strength))
        return cls(
            dimension_id=_enum(
                DimensionId, body["dimension_id"], f"{path}.dimension_id", "dimension id"
            ),
            positive=_bool(body["positive"], f"{path}.positive"),
            reason=_enum(DimensionReason, body["reason"], f"{path}.reason", "reason"),
            fired_indicator_ids=_str_tuple(
                body["fired_indicator_ids"], f"{path}.fired_indicator_ids"
            ),
            strong_count=_count(counts["strong"], f"{path}.counts.strong"),
            medium_count=_count(counts["medium"], f"{path}.counts.medium"),
            weak_count=_count(counts["weak"], f"{path}.counts.weak"),
        )


@dataclass(frozen=True)
class Assessment:
    set_id: str
    population: Population
    catalogue_id: str
    catalogue_version: str
    selected_indicator_ids: tuple[str, ...]
    dimensions: tuple[DimensionResult, ...]
    recruitment_positive: bool
    exploitation_positive: bool
    # For children this is informative only: the child rule does not use it.
    destination_positive: bool
    indicators_met: bool
    summary_code: SummaryCode
    # Every requirement that failed, in rule order (summary_code is the first).
    unmet_requirements: tuple[SummaryCode, ...]
    format: str = ASSESSMENT_FORMAT

    def dimension(self, dimension_id: DimensionId | str) -> DimensionResult:
        for result in self.dimensions:
            if result.dimension_id == dimension_id:
                return result
        raise KeyError(f"no result for dimension {dimension_id!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible dict (str, bool, int, list, dict only)."""
        return {
            "format": self.format,
            "set_id": self.set_id,
            "population": self.population.value,
            "catalogue_id": self.catalogue_id,
            "catalogue_version": self.catalogue_version,
            "selected_indicator_ids": list(self.selected_indicator_ids),
            "dimensions": [result.to_dict() for result in self.dimensions],
            "recruitment_positive": self.recruitment_positive,
            "exploitation_positive": self.exploitation_positive,
            "destination_positive": self.destination_positive,
            "indicators_met": self.indicators_met,
            "summary_code": self.summary_code.value,
            "unmet_requirements": [code.value for code in self.unmet_requirements],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Assessment:
        """Rebuild an assessment stored with :meth:`to_dict`; malformed data raises ValueError."""
        body = _mapping(data, "assessment", _ASSESSMENT_KEYS)
        if body["format"] != ASSESSMENT_FORMAT:
            _fail(
                "assessment.format",
                f"unsupported format {body['format']!r} (expected {ASSESSMENT_FORMAT!r})",
            )
        return cls(
            format=ASSESSMENT_FORMAT,
            set_id=_text(body["set_id"], "assessment.set_id"),
            population=_enum(Population, body["population"], "assessment.population", "population"),
            catalogue_id=_text(body["catalogue_id"], "assessment.catalogue_id"),
            catalogue_version=_text(body["catalogue_version"], "assessment.catalogue_version"),
            selected_indicator_ids=_str_tuple(
                body["selected_indicator_ids"], "assessment.selected_indicator_ids"
            ),
            dimensions=tuple(
                DimensionResult.from_dict(item)
                for item in _list(body["dimensions"], "assessment.dimensions")
            ),
            recruitment_positive=_bool(
                body["recruitment_positive"], "assessment.recruitment_positive"
            ),
            exploitation_positive=_bool(
                body["exploitation_positive"], "assessment.exploitation_positive"
            ),
            destination_positive=_bool(
                body["destination_positive"], "assessment.destination_positive"
            ),
            indicators_met=_bool(body["indicators_met"], "assessment.indicators_met"),
            summary_code=_enum(
                SummaryCode, body["summary_code"], "assessment.summary_code", "summary code"
            ),
            unmet_requirements=tuple(
                _enum(SummaryCode, code, f"assessment.unmet_requirements[{n}]", "summary code")
                for n, code in enumerate(
                    _list(body["unmet_requirements"], "assessment.unmet_requirements")
                )
            ),
        )


_ASSESSMENT_KEYS: Final = frozenset(
    {
        "format",
        "set_id",
        "population",
        "catalogue_id",
        "catalogue_version",
        "selected_indicator_ids",
        "dimensions",
        "recruitment_positive",
        "exploitation_positive",
        "destination_positive",
        "indicators_met",
        "summary_code",
        "unmet_requirements",
    }
)


def _bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        _fail(path, "expected true or false")
    return value


def _count(value: object, path: str) -> int:
    # bool is an int subclass; a stored True must not pass for a count of 1.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        _fail(path, "expected a non-negative integer")
    return value


def _str_tuple(value: object, path: str) -> tuple[str, ...]:
    return tuple(_text(item, f"{path}[{n}]") for n, item in enumerate(_list(value, path)))


def _evaluate_dimension(dimension: Dimension, selected: frozenset[str]) -> DimensionResult:
    # Keep the catalogue's order so results read like the ILO list.
    fired = tuple(indicator for indicator in dimension.indicators if indicator.id in selected)
    strong = sum(1 for i in fired if i.strength is Strength.STRONG)
    medium = sum(1 for i in fired if i.strength is Strength.MEDIUM)
    weak = sum(1 for i in fired if i.strength is Strength.WEAK)
    reason = dimension_reason(strong, medium, weak)
    return DimensionResult(
        dimension_id=dimension.id,
        positive=reason is not DimensionReason.INSUFFICIENT,
        reason=reason,
        fired_indicator_ids=tuple(i.id for i in fired),
        strong_count=strong,
        medium_count=medium,
        weak_count=weak,
    )


def unmet_requirements(
    population: Population, recruitment: bool, exploitation: bool, destination: bool
) -> tuple[SummaryCode, ...]:
    """Which elements of the overall rule are missing, in the ILO's order.

    Adults need a positive recruitment dimension (deceptive, coercive or by
    abuse of vulnerability), positive exploitative conditions and positive
    coercion or abuse of vulnerability at destination. Children need only the
    first two: means are not required for child victims (Palermo art. 3(c)).
    """
    unmet: list[SummaryCode] = []
    if not recruitment:
        unmet.append(SummaryCode.NO_RECRUITMENT)
    if not exploitation:
        unmet.append(SummaryCode.NO_EXPLOITATION)
    if population is Population.ADULT and not destination:
        unmet.append(SummaryCode.NO_COERCION_OR_ABUSE_AT_DESTINATION)
    return tuple(unmet)


def _selection(
    indicator_set: IndicatorSet, selected_indicator_ids: Iterable[str]
) -> frozenset[str]:
    # A bare string is iterable too; treating "abc" as {"a", "b", "c"} would
    # give a confusing unknown-id error instead of pointing at the real bug.
    if isinstance(selected_indicator_ids, str):
        raise TypeError("selected_indicator_ids must be a collection of ids, not a single string")
    selected = frozenset(selected_indicator_ids)
    known = indicator_set.indicator_ids
    for indicator_id in sorted(selected, key=str):
        if indicator_id not in known:
            raise ValueError(
                f"unknown indicator id {indicator_id!r} for indicator set {indicator_set.id!r}"
            )
    return selected


def evaluate(indicator_set: IndicatorSet, selected_indicator_ids: Iterable[str]) -> Assessment:
    """Apply the ILO/EC decision rules to the selected indicators of one set.

    Duplicate ids are ignored; ids that are not in ``indicator_set`` raise
    ValueError naming the id (ids from another list are a data error, not
    something to drop silently).
    """
    selected = _selection(indicator_set, selected_indicator_ids)
    results = tuple(
        _evaluate_dimension(dimension, selected) for dimension in indicator_set.dimensions
    )
    positive = {result.dimension_id for result in results if result.positive}
    recruitment = bool(positive & RECRUITMENT_DIMENSIONS)
    exploitation = DimensionId.EXPLOITATIVE_CONDITIONS in positive
    destination = bool(positive & DESTINATION_DIMENSIONS)
    unmet = unmet_requirements(indicator_set.population, recruitment, exploitation, destination)
    return Assessment(
        set_id=indicator_set.id,
        population=indicator_set.population,
        catalogue_id=indicator_set.catalogue_id,
        catalogue_version=indicator_set.catalogue_version,
        selected_indicator_ids=tuple(sorted(selected)),
        dimensions=results,
        recruitment_positive=recruitment,
        exploitation_positive=exploitation,
        destination_positive=destination,
        indicators_met=not unmet,
        summary_code=unmet[0] if unmet else SummaryCode.MET,
        unmet_requirements=unmet,
    )
