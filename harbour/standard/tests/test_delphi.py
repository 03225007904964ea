"""Tests for the ILO/EC Delphi indicator catalogue and decision rules (no Django needed)."""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harbour.standard.delphi import (
    ASSESSMENT_FORMAT,
    DEFAULT_CATALOGUE_PATH,
    Assessment,
    DimensionId,
    DimensionReason,
    IndicatorCatalogue,
    IndicatorSet,
    Population,
    Strength,
    SummaryCode,
    dimension_reason,
    evaluate,
    load_catalogue,
    parse_catalogue,
    unmet_requirements,
)

DIMENSIONS = [d.value for d in DimensionId]
RECRUITMENT = ["deceptive_recruitment", "coercive_recruitment", "abusive_recruitment"]
DESTINATION = ["coercion_at_destination", "abusive_destination"]


@pytest.fixture(scope="module")
def catalogue() -> IndicatorCatalogue:
    return load_catalogue()


REAL_CATALOGUE = load_catalogue()


# ---------------------------------------------------------------------------
# Independent reference for the dimension rule, written without looking at
# counts: a dimension is positive when the fired strengths contain one of the
# ILO's qualifying combinations as a sub-multiset.
# ---------------------------------------------------------------------------

QUALIFYING_COMBINATIONS = {
    ("strong", "strong"),
    ("medium", "strong"),
    ("strong", "weak"),
    ("medium", "medium", "medium"),
    ("medium", "medium", "weak"),
}


def reference_positive(strengths: Sequence[str]) -> bool:
    for size in (2, 3):
        for combo in itertools.combinations(strengths, size):
            if tuple(sorted(combo)) in QUALIFYING_COMBINATIONS:
                return True
    return False


# ---------------------------------------------------------------------------
# Synthetic catalogues with controlled strengths
# ---------------------------------------------------------------------------

PER_TIER = 3  # indicators of each strength per dimension in synthetic sets


def synthetic_set_data(set_id: str, population: str, exploitation: str) -> dict[str, Any]:
    dimensions = []
    for dimension in DIMENSIONS:
        indicators = [
            {
                "id": f"{set_id}.{dimension}.{strength}_{n}",
                "strength": strength,
                "text": {"en": f"{strength} {n}", "fr": f"{strength} {n} (fr)"},
                "verified": True,
            }
            for strength in ("strong", "medium", "weak")
            for n in range(PER_TIER)
        ]
        dimensions.append(
            {"id": dimension, "title": {"en": dimension, "fr": dimension}, "indicators": indicators}
        )
    return {
        "id": set_id,
        "population": population,
        "exploitation": exploitation,
        "title": {"en": set_id, "fr": set_id},
        "fr_source": "harbour-translation",
        "verification": "unverified",
        "verification_note": "synthetic",
        "sources": ["test"],
        "dimensions": dimensions,
    }


def synthetic_catalogue_data() -> dict[str, Any]:
    return {
        "id": "test",
        "version": "1",
        "title": {"en": "Test", "fr": "Essai"},
        "citation": {"en": "Test", "fr": "Essai"},
        "licence_note": "test data",
        "sources": [{"id": "test", "what": "synthetic", "where": "here"}],
        "sets": [
            synthetic_set_data("adult-labour", "adult", "labour"),
            synthetic_set_data("child-labour", "child", "labour"),
        ],
    }


SYNTHETIC = parse_catalogue(synthetic_catalogue_data())
ADULT = SYNTHETIC.get_set("adult-labour")
CHILD = SYNTHETIC.get_set("child-labour")


def pick(
    indicator_set: IndicatorSet, dimension: str, strong: int = 0, medium: int = 0, weak: int = 0
) -> list[str]:
    prefix = f"{indicator_set.id}.{dimension}."
    return (
        [f"{prefix}strong_{n}" for n in range(strong)]
        + [f"{prefix}medium_{n}" for n in range(medium)]
        + [f"{prefix}weak_{n}" for n in range(weak)]
    )


def positive_selection(indicator_set: IndicatorSet, *dimensions: str) -> list[str]:
    return [i for d in dimensions for i in pick(indicator_set, d, strong=2)]


# ---------------------------------------------------------------------------
# The bundled data file
# ---------------------------------------------------------------------------

EXPECTED_COUNTS = {
    "adult-labour": [10, 10, 16, 9, 15, 7],
    "adult-sexual": [10, 10, 16, 9, 15, 7],
    "child-labour": [10, 10, 15, 8, 15, 7],
    "child-sexual": [10, 10, 15, 8, 15, 7],
}


def test_catalogue_metadata(catalogue: IndicatorCatalogue) -> None:
    assert catalogue.id == "ilo-ec-2009"
    assert catalogue.version == "2009-09"
    assert DEFAULT_CATALOGUE_PATH.is_file()
    assert catalogue.title.en and catalogue.title.fr
    assert catalogue.citation.en and catalogue.citation.fr
    assert catalogue.licence_note
    assert catalogue.sources


def test_four_sets_with_six_dimensions_each(catalogue: IndicatorCatalogue) -> None:
    assert [s.id for s in catalogue.sets] == [
        "adult-labour",
        "adult-sexual",
        "child-labour",
        "child-sexual",
    ]
    for indicator_set in catalogue.sets:
        assert [d.id.value for d in indicator_set.dimensions] == DIMENSIONS
        assert (
            catalogue.find_set(indicator_set.population, indicator_set.exploitation)
            is indicator_set
        )


def test_indicator_counts_per_dimension(catalogue: IndicatorCatalogue) -> None:
    for indicator_set in catalogue.sets:
        counts = [len(d.indicators) for d in indicator_set.dimensions]
        assert counts == EXPECTED_COUNTS[indicator_set.id], indicator_set.id


def test_every_indicator_is_complete(catalogue: IndicatorCatalogue) -> None:
    for indicator_set in catalogue.sets:
        assert indicator_set.title.en.strip() and indicator_set.title.fr.strip()
        assert indicator_set.fr_source == "harbour-translation"
        for dimension in indicator_set.dimensions:
            assert dimension.title.en.strip() and dimension.title.fr.strip()
            for indicator in dimension.indicators:
                assert isinstance(indicator.strength, Strength)
                assert indicator.text.en.strip() and indicator.text.fr.strip()
                assert indicator.text.en != indicator.text.fr
                assert isinstance(indicator.verified, bool)
                assert indicator.id.startswith(f"{indicator_set.id}.{dimension.id.value}.")
                assert indicator.id == indicator.id.lower()


def test_indicator_ids_are_unique(catalogue: IndicatorCatalogue) -> None:
    ids = [i.id for s in catalogue.sets for i in s.indicators()]
    assert len(ids) == len(set(ids))


def test_known_anchor_indicators(catalogue: IndicatorCatalogue) -> None:
    # Spot checks of the ILO wording and strengths that every source agrees on.
    adult = catalogue.get_set("adult-labour")
    nature = adult.indicator("adult-labour.deceptive_recruitment.nature_of_job")
    assert nature.text.en == "Deceived about the nature of the job, location or employer"
    assert nature.strength is Strength.STRONG
    assert (
        adult.indicator("adult-labour.coercion_at_destination.debt_bondage").strength
        is Strength.STRONG
    )
    assert (
        adult.indicator("adult-labour.coercive_recruitment.debt_bondage").strength
        is Strength.MEDIUM
    )
    child = catalogue.get_set("child-labour")
    education = child.indicator("child-labour.deceptive_recruitment.education_opportunities")
    assert education.strength is Strength.STRONG


def test_unverified_indicators_are_reported(catalogue: IndicatorCatalogue) -> None:
    for indicator_set in catalogue.sets:
        if indicator_set.verification == "unverified":
            assert indicator_set.unverified_indicator_ids
        for indicator in indicator_set.indicators():
            if not indicator.verified:
                assert indicator.id in indicator_set.unverified_indicator_ids


# ---------------------------------------------------------------------------
# Strict validation
# ---------------------------------------------------------------------------


def first_indicator(data: dict[str, Any]) -> dict[str, Any]:
    indicator: dict[str, Any] = data["sets"][0]["dimensions"][0]["indicators"][0]
    return indicator


def mutate(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
    data = copy.deepcopy(synthetic_catalogue_data())
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: first_indicator(d).update(strength="strongish"), "unknown strength 'strongish'"),
        (lambda d: first_indicator(d)["text"].pop("fr"), "missing French text"),
        (lambda d: first_indicator(d)["text"].update(fr="  "), "expected a non-empty string"),
        (lambda d: first_indicator(d).pop("verified"), "missing key(s) verified"),
        (lambda d: first_indicator(d).update(verified="yes"), "expected true or false"),
        (lambda d: first_indicator(d).update(colour="red"), "unknown key(s) colour"),
        (
            lambda d: first_indicator(d).update(id="adult-labour.deceptive_recruitment.Nature"),
            "is not a lowercase slug",
        ),
        (
            lambda d: first_indicator(d).update(id="adult-labour.coercive_recruitment.x"),
            "must start with 'adult-labour.deceptive_recruitment.'",
        ),
        (
            lambda d: d["sets"][0]["dimensions"][0]["indicators"].append(
                copy.deepcopy(d["sets"][0]["dimensions"][0]["indicators"][0])
            ),
            "duplicate indicator id 'adult-labour.deceptive_recruitment.strong_0'",
        ),
        (
            lambda d: d["sets"][0]["dimensions"][0].update(id="deception"),
            "unknown dimension id 'deception'",
        ),
        (lambda d: d["sets"][0]["dimensions"].pop(), "missing dimension id(s) abusive_destination"),
        (
            lambda d: d["sets"][0]["dimensions"].__setitem__(
                1, copy.deepcopy(d["sets"][0]["dimensions"][0])
            ),
            "duplicate dimension id(s) deceptive_recruitment",
        ),
        (lambda d: d["sets"][0]["dimensions"][0].update(indicators=[]), "at least one indicator"),
        (lambda d: d["sets"][0].update(population="elder"), "unknown population 'elder'"),
        (lambda d: d["sets"][0].update(id="adults-labour"), "must be adult-labour"),
        (lambda d: d["sets"][0].update(fr_source="machine"), "unknown fr_source 'machine'"),
        (lambda d: d["sets"][0].update(sources=["nowhere"]), "unknown source id 'nowhere'"),
        (lambda d: d["sets"][0]["title"].pop("fr"), "missing French text"),
        (lambda d: d.update(version=2009), "expected a quoted, non-empty string"),
        (
            lambda d: d["sets"].append(copy.deepcopy(d["sets"][0])),
            "duplicate indicator set id 'adult-labour'",
        ),
        (lambda d: d.update(sets=[]), "at least one indicator set"),
    ],
)
def test_invalid_catalogues_are_rejected(
    change: Callable[[dict[str, Any]], object], message: str
) -> None:
    with pytest.raises(ValueError, match=None) as error:
        parse_catalogue(mutate(change))
    assert message in str(error.value)


def test_duplicate_yaml_keys_are_rejected(tmp_path: Path) -> None:
    text = DEFAULT_CATALOGUE_PATH.read_text(encoding="utf-8")
    target = "            strength: strong\n"
    assert target in text
    broken = text.replace(target, target + "            strength: weak\n", 1)
    path = tmp_path / "dup.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate key 'strength'"):
        load_catalogue(path)


def test_invalid_yaml_is_a_value_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ValueError, match="invalid YAML"):
        load_catalogue(path)


# ---------------------------------------------------------------------------
# Dimension rule
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strong", "medium", "weak", "reason"),
    [
        (2, 0, 0, DimensionReason.TWO_STRONG),
        (3, 1, 1, DimensionReason.TWO_STRONG),
        (1, 1, 0, DimensionReason.STRONG_PLUS_OTHER),
        (1, 0, 1, DimensionReason.STRONG_PLUS_OTHER),
        (1, 2, 2, DimensionReason.STRONG_PLUS_OTHER),
        (0, 3, 0, DimensionReason.THREE_MEDIUM),
        (0, 3, 2, DimensionReason.THREE_MEDIUM),
        (0, 2, 1, DimensionReason.TWO_MEDIUM_ONE_WEAK),
        (0, 2, 3, DimensionReason.TWO_MEDIUM_ONE_WEAK),
        # near misses
        (0, 0, 0, DimensionReason.INSUFFICIENT),
        (1, 0, 0, DimensionReason.INSUFFICIENT),  # one strong alone
        (0, 2, 0, DimensionReason.INSUFFICIENT),  # two medium alone
        (0, 1, 2, DimensionReason.INSUFFICIENT),  # two weak + one medium
        (0, 1, 1, DimensionReason.INSUFFICIENT),
        (0, 0, 3, DimensionReason.INSUFFICIENT),  # weak indicators alone
        (0, 1, 3, DimensionReason.INSUFFICIENT),
    ],
)
def test_dimension_rule_table(strong: int, medium: int, weak: int, reason: DimensionReason) -> None:
    assert dimension_reason(strong, medium, weak) is reason
    result = evaluate(
        ADULT, pick(ADULT, "exploitative_conditions", strong, medium, weak)
    ).dimension("exploitative_conditions")
    assert result.reason is reason
    assert result.positive is (reason is not DimensionReason.INSUFFICIENT)
    assert (result.strong_count, result.medium_count, result.weak_count) == (strong, medium, weak)
    assert len(result.fired_indicator_ids) == strong + medium + weak


def test_negative_counts_are_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        dimension_reason(-1, 3, 0)


def test_one_strong_alone_is_negative_on_real_data(catalogue: IndicatorCatalogue) -> None:
    adult = catalogue.get_set("adult-labour")
    assessment = evaluate(adult, ["adult-labour.deceptive_recruitment.nature_of_job"])
    result = assessment.dimension(DimensionId.DECEPTIVE_RECRUITMENT)
    assert not result.positive
    assert result.reason is DimensionReason.INSUFFICIENT
    assert result.fired_indicator_ids == ("adult-labour.deceptive_recruitment.nature_of_job",)
    assert result.counts == {Strength.STRONG: 1, Strength.MEDIUM: 0, Strength.WEAK: 0}


def test_strong_plus_weak_is_positive_on_real_data(catalogue: IndicatorCatalogue) -> None:
    adult = catalogue.get_set("adult-labour")
    assessment = evaluate(
        adult,
        [
            "adult-labour.deceptive_recruitment.nature_of_job",
            "adult-labour.deceptive_recruitment.education_opportunities",
        ],
    )
    assert assessment.dimension("deceptive_recruitment").reason is DimensionReason.STRONG_PLUS_OTHER


# ---------------------------------------------------------------------------
# Overall rule: adults vs children
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("recruitment", RECRUITMENT)
@pytest.mark.parametrize("destination", DESTINATION)
def test_adult_needs_recruitment_exploitation_and_destination(
    recruitment: str, destination: str
) -> None:
    assessment = evaluate(
        ADULT, positive_selection(ADULT, recruitment, "exploitative_conditions", destination)
    )
    assert assessment.indicators_met
    assert assessment.summary_code is SummaryCode.MET
    assert assessment.unmet_requirements == ()
    assert (
        assessment.recruitment_positive,
        assessment.exploitation_positive,
        assessment.destination_positive,
    ) == (
        True,
        True,
        True,
    )


@pytest.mark.parametrize("recruitment", RECRUITMENT)
def test_adult_without_destination_is_not_met_but_child_is(recruitment: str) -> None:
    adult = evaluate(ADULT, positive_selection(ADULT, recruitment, "exploitative_conditions"))
    assert not adult.indicators_met
    assert adult.summary_code is SummaryCode.NO_COERCION_OR_ABUSE_AT_DESTINATION
    child = evaluate(CHILD, positive_selection(CHILD, recruitment, "exploitative_conditions"))
    assert child.indicators_met
    assert child.summary_code is SummaryCode.MET
    assert not child.destination_positive


@pytest.mark.parametrize("indicator_set", [ADULT, CHILD], ids=["adult", "child"])
def test_missing_recruitment_or_exploitation(indicator_set: IndicatorSet) -> None:
    no_recruitment = evaluate(
        indicator_set, positive_selection(indicator_set, "exploitative_conditions", *DESTINATION)
    )
    assert not no_recruitment.indicators_met
    assert no_recruitment.summary_code is SummaryCode.NO_RECRUITMENT
    no_exploitation = evaluate(
        indicator_set, positive_selection(indicator_set, *RECRUITMENT, *DESTINATION)
    )
    assert not no_exploitation.indicators_met
    assert no_exploitation.summary_code is SummaryCode.NO_EXPLOITATION


def test_empty_selection_lists_every_unmet_requirement() -> None:
    adult = evaluate(ADULT, [])
    assert adult.unmet_requirements == (
        SummaryCode.NO_RECRUITMENT,
        SummaryCode.NO_EXPLOITATION,
        SummaryCode.NO_COERCION_OR_ABUSE_AT_DESTINATION,
    )
    assert adult.summary_code is SummaryCode.NO_RECRUITMENT
    child = evaluate(CHILD, [])
    assert child.unmet_requirements == (SummaryCode.NO_RECRUITMENT, SummaryCode.NO_EXPLOITATION)


def test_near_miss_dimensions_do_not_count_towards_the_overall_rule() -> None:
    # Every dimension one indicator short of positive: nothing is met.
    near_misses = [(1, 0, 0), (0, 2, 0), (0, 1, 2), (0, 0, 3), (1, 0, 0), (0, 1, 1)]
    selection = [
        i
        for dimension, counts in zip(DIMENSIONS, near_misses, strict=True)
        for i in pick(ADULT, dimension, *counts)
    ]
    assessment = evaluate(ADULT, selection)
    assert not any(result.positive for result in assessment.dimensions)
    assert not assessment.indicators_met
    assert len(assessment.unmet_requirements) == 3


def test_assessment_records_set_and_catalogue(catalogue: IndicatorCatalogue) -> None:
    assessment = evaluate(catalogue.get_set("child-sexual"), [])
    assert assessment.set_id == "child-sexual"
    assert assessment.population is Population.CHILD
    assert (assessment.catalogue_id, assessment.catalogue_version) == ("ilo-ec-2009", "2009-09")
    assert assessment.format == ASSESSMENT_FORMAT


# ---------------------------------------------------------------------------
# Selection handling
# ---------------------------------------------------------------------------


def test_unknown_indicator_id_is_named(catalogue: IndicatorCatalogue) -> None:
    with pytest.raises(ValueError, match=r"'adult-labour\.deceptive_recruitment\.nope'"):
        evaluate(catalogue.get_set("adult-labour"), ["adult-labour.deceptive_recruitment.nope"])


def test_indicator_from_another_set_is_rejected(catalogue: IndicatorCatalogue) -> None:
    with pytest.raises(ValueError, match=r"child-labour\.deceptive_recruitment\.nature_of_job"):
        evaluate(
            catalogue.get_set("adult-labour"), ["child-labour.deceptive_recruitment.nature_of_job"]
        )


def test_duplicate_ids_are_ignored() -> None:
    selection = pick(ADULT, "coercive_recruitment", strong=1, weak=1)
    once = evaluate(ADULT, selection)
    twice = evaluate(ADULT, selection + selection + list(reversed(selection)))
    assert once == twice
    # A repeated strong indicator must not count as two strong.
    repeated = evaluate(ADULT, pick(ADULT, "coercive_recruitment", strong=1) * 2)
    assert not repeated.dimension("coercive_recruitment").positive


def test_bare_string_selection_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        evaluate(ADULT, "adult-labour.coercive_recruitment.strong_0")


# ---------------------------------------------------------------------------
# Property tests
# ---------------------------------------------------------------------------

REAL_SETS = REAL_CATALOGUE.sets


@st.composite
def real_set_and_subsets(draw: st.DrawFn) -> tuple[IndicatorSet, frozenset[str], frozenset[str]]:
    indicator_set = draw(st.sampled_from(REAL_SETS))
    ids = sorted(indicator_set.indicator_ids)
    smaller = draw(st.frozensets(st.sampled_from(ids)))
    extra = draw(st.frozensets(st.sampled_from(ids)))
    return indicator_set, smaller, smaller | extra


@given(real_set_and_subsets())
def test_adding_indicators_never_removes_a_positive(
    case: tuple[IndicatorSet, frozenset[str], frozenset[str]],
) -> None:
    indicator_set, smaller, larger = case
    before = evaluate(indicator_set, smaller)
    after = evaluate(indicator_set, larger)
    for old, new in zip(before.dimensions, after.dimensions, strict=True):
        assert not old.positive or new.positive, old.dimension_id
    assert not before.recruitment_positive or after.recruitment_positive
    assert not before.exploitation_positive or after.exploitation_positive
    assert not before.destination_positive or after.destination_positive
    assert not before.indicators_met or after.indicators_met


@given(st.integers(0, 6), st.integers(0, 6), st.integers(0, 6))
def test_dimension_rule_matches_reference_on_counts(strong: int, medium: int, weak: int) -> None:
    strengths = ["strong"] * strong + ["medium"] * medium + ["weak"] * weak
    reason = dimension_reason(strong, medium, weak)
    assert (reason is not DimensionReason.INSUFFICIENT) == reference_positive(strengths)


@given(st.data())
def test_evaluate_matches_reference_on_real_sets(data: st.DataObject) -> None:
    indicator_set = data.draw(st.sampled_from(REAL_SETS))
    selected = data.draw(st.frozensets(st.sampled_from(sorted(indicator_set.indicator_ids))))
    assessment = evaluate(indicator_set, selected)
    for dimension, result in zip(indicator_set.dimensions, assessment.dimensions, strict=True):
        fired = [i.strength.value for i in dimension.indicators if i.id in selected]
        assert result.positive == reference_positive(fired), (dimension.id, fired)
    positive = {r.dimension_id.value for r in assessment.dimensions if r.positive}
    expected = bool(positive & set(RECRUITMENT)) and "exploitative_conditions" in positive
    if indicator_set.population is Population.ADULT:
        expected = expected and bool(positive & set(DESTINATION))
    assert assessment.indicators_met == expected


@given(
    st.frozensets(
        st.sampled_from(sorted(i.id.removeprefix("adult-labour.") for i in ADULT.indicators()))
    )
)
def test_adult_met_implies_child_met_for_same_dimension_results(suffixes: frozenset[str]) -> None:
    adult = evaluate(ADULT, [f"adult-labour.{s}" for s in suffixes])
    child = evaluate(CHILD, [f"child-labour.{s}" for s in suffixes])
    assert [r.positive for r in adult.dimensions] == [r.positive for r in child.dimensions]
    assert not adult.indicators_met or child.indicators_met


@given(st.booleans(), st.booleans(), st.booleans())
def test_overall_rule_child_is_weaker_than_adult(
    recruitment: bool, exploitation: bool, destination: bool
) -> None:
    adult_met = not unmet_requirements(Population.ADULT, recruitment, exploitation, destination)
    child_met = not unmet_requirements(Population.CHILD, recruitment, exploitation, destination)
    assert adult_met == (recruitment and exploitation and destination)
    assert child_met == (recruitment and exploitation)
    assert not adult_met or child_met


@settings(max_examples=50)
@given(st.data())
def test_assessment_round_trips_through_json(data: st.DataObject) -> None:
    indicator_set = data.draw(st.sampled_from(REAL_SETS))
    selected = data.draw(st.frozensets(st.sampled_from(sorted(indicator_set.indicator_ids))))
    assessment = evaluate(indicator_set, selected)
    stored = json.loads(json.dumps(assessment.to_dict()))
    assert stored == assessment.to_dict()
    restored = Assessment.from_dict(stored)
    assert restored == assessment
    assert restored.to_dict() == assessment.to_dict()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="other/9"), "unsupported format"),
        (lambda d: d.update(summary_code="maybe"), "unknown summary code 'maybe'"),
        (lambda d: d.update(indicators_met="yes"), "expected true or false"),
        (lambda d: d.pop("set_id"), "missing key(s) set_id"),
        (lambda d: d["dimensions"][0]["counts"].update(strong=True), "non-negative integer"),
        (lambda d: d["dimensions"][0].update(reason="vibes"), "unknown reason 'vibes'"),
    ],
)
def test_from_dict_rejects_malformed_data(
    change: Callable[[dict[str, Any]], object], message: str
) -> None:
    stored = evaluate(ADULT, pick(ADULT, "deceptive_recruitment", strong=2)).to_dict()
    change(stored)
    with pytest.raises(ValueError) as error:
        Assessment.from_dict(stored)
    assert message in str(error.value)
