"""The ILO/EC decision rules: which dimensions are positive, and whether the indicators of
trafficking are met. Pure functions over a loaded catalogue."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from harbour.standard.delphi.catalogue import (
    ASSESSMENT_FORMAT,
    DESTINATION_DIMENSIONS,
    RECRUITMENT_DIMENSIONS,
    Dimension,
    DimensionId,
    DimensionReason,
    IndicatorSet,
    Population,
    Strength,
    SummaryCode,
    _enum,
    _fail,
    _list,
    _mapping,
    _text,
)

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
