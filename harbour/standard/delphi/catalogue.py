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

DEFAULT_CATALOGUE_PATH: Final = (
    Path(__file__).parent.parent / "data" / "delphi" / "ilo-ec-2009.yaml"
)

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
