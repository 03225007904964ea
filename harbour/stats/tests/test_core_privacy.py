"""Rounding, discrete Laplace noise, the budget arithmetic and k-anonymity, property-tested.
The k-anonymity checker here is written independently of the code under test."""

import math
from collections import Counter
from decimal import Decimal
from fractions import Fraction
from random import Random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harbour.stats.core import budget, dp, kanon, rounding


@given(st.integers(0, 10_000), st.integers(1, 10), st.integers(0, 2**32))
def test_rounding_lands_on_the_base_within_one_step(value: int, base: int, seed: int) -> None:
    out = rounding.random_round(value, base, Random(seed))
    assert out % base == 0 and abs(out - value) < base
    assert value != 0 or out == 0


def test_rounding_is_unbiased() -> None:
    rng = Random(7)
    mean = sum(rounding.random_round(7, 5, rng) for _ in range(20_000)) / 20_000
    assert abs(mean - 7) < 0.1


@given(st.decimals(Decimal("0.05"), Decimal("10"), places=2), st.integers(1, 4))
def test_noise_scale_is_sensitivity_over_epsilon(epsilon: Decimal, sensitivity: int) -> None:
    scale = dp.scale_for(epsilon, sensitivity)
    assert scale == Fraction(sensitivity) / Fraction(epsilon)


def test_refuses_nonsense_parameters() -> None:
    with pytest.raises(ValueError):
        dp.scale_for(Decimal(0))
    with pytest.raises(ValueError):
        dp.scale_for(Decimal(1), sensitivity=0)


@pytest.mark.parametrize("epsilon", ["0.5", "1", "2"])
def test_sampler_matches_the_discrete_laplace_distribution(epsilon: str) -> None:
    """The empirical distribution against P(k) = (1 - a) / (1 + a) * a^|k|, a = exp(-1/scale)."""
    scale = dp.scale_for(epsilon)
    rng, n = Random(11), 20_000
    draws = Counter(dp.sample_discrete_laplace(scale, rng) for _ in range(n))
    alpha = math.exp(-1 / float(scale))
    for k in range(-3, 4):
        expected = (1 - alpha) / (1 + alpha) * alpha ** abs(k)
        assert abs(draws[k] / n - expected) < 4 * math.sqrt(expected / n) + 0.002, k
    variance = sum(c * k * k for k, c in draws.items()) / n
    assert abs(variance - 2 * alpha / (1 - alpha) ** 2) < 0.1 * (2 * alpha / (1 - alpha) ** 2)


def test_error_bound_at_epsilon_one_is_three() -> None:
    assert dp.error_bound(dp.scale_for("1")) == 3
    assert dp.tail_probability(1, 3) <= 0.05 < dp.tail_probability(1, 2)


@given(st.dictionaries(st.text(max_size=3), st.integers(0, 50), max_size=8), st.integers(0, 999))
def test_noisy_counts_are_never_negative(counts: dict[str, int], seed: int) -> None:
    out = dp.noisy_counts(counts, dp.scale_for("1"), Random(seed))
    assert set(out) == set(counts) and all(v >= 0 for v in out.values())


spends = st.lists(st.decimals(Decimal("0.01"), Decimal("3"), places=2), max_size=20)


@given(st.decimals(Decimal("0.1"), Decimal("10"), places=2), spends)
def test_the_ledger_never_exceeds_the_budget(total: Decimal, wanted: list[Decimal]) -> None:
    granted: list[Decimal] = []
    for eps in wanted:
        try:
            budget.check_spend(total, granted, eps)
        except budget.BudgetExceeded:
            assert budget.spent(granted) + eps > total
            continue
        granted.append(eps)
    assert budget.spent(granted) <= total


# --- k-anonymity ------------------------------------------------------------------------------


def smallest_group(rows: list[dict], qids: list[str]) -> int:
    """Written apart from kanon.class_sizes on purpose."""
    keys = sorted(repr([row[q] for q in qids]) for row in rows)
    runs = Counter(keys).values()
    return min(runs) if runs else 0


HIERARCHIES = {
    "age": [lambda a: a, lambda a: a // 10 * 10, lambda a: "*"],
    "province": [lambda p: p, lambda p: p[:1], lambda p: "*"],
}
people = st.lists(
    st.fixed_dictionaries(
        {
            "age": st.integers(12, 70),
            "province": st.sampled_from(["ON", "OB", "QC", "QN", "BC"]),
            "need": st.sampled_from(["housing", "legal"]),
        }
    ),
    max_size=120,
)


@settings(max_examples=60)
@given(people, st.integers(2, 11))
def test_extracts_are_k_anonymous(rows: list[dict], k: int) -> None:
    out = kanon.k_anonymise(rows, HIERARCHIES, k)
    assert not out.rows or smallest_group(out.rows, ["age", "province"]) >= k
    assert len(out.rows) + out.dropped == len(rows)


def test_opendp_noise_has_the_same_distribution_when_installed() -> None:
    pytest.importorskip("opendp")
    noise = dp._opendp_noise(Fraction(2), 20_000)
    assert noise is not None and all(isinstance(x, int) for x in noise)
    alpha = math.exp(-1 / 2)
    expected = 2 * alpha / (1 - alpha) ** 2
    assert abs(sum(x * x for x in noise) / len(noise) - expected) < 0.1 * expected
    assert dp.mechanism_name() == "opendp_discrete_laplace"


def test_dp_tables_count_at_most_three_codes_per_person_others_all() -> None:
    from harbour.stats.catalogue import variable

    control = variable("control_method")
    codes = control.categories()[:6]
    assert control.codes_of(codes) == codes
    capped = control.codes_of(codes, capped=True)
    assert len(capped) == 3 and set(capped) <= set(codes)


def test_neighbouring_counts_are_indistinguishable_within_e_to_the_epsilon() -> None:
    """The differencing attack on DP releases: the same count with and without one survivor
    (5 vs 6) gives output distributions whose ratio stays within exp(epsilon), up to sampling
    error, on the outputs that carry most of the mass."""
    scale, rng, n = dp.scale_for("1"), Random(5), 40_000
    without = Counter(5 + dp.sample_discrete_laplace(scale, rng) for _ in range(n))
    with_one = Counter(6 + dp.sample_discrete_laplace(scale, rng) for _ in range(n))
    for k in range(3, 9):
        ratio = with_one[k] / without[k]
        assert math.exp(-1) * 0.85 <= ratio <= math.e * 1.15, (k, ratio)


def test_the_catalogue_holds_no_identifier() -> None:
    from harbour.stats.catalogue import VARIABLES, check_catalogue

    assert check_catalogue() == []
    assert not {"given_name", "family_name", "birth_date", "email"} & set(VARIABLES)
